# Registries for the cell-registry*.bats files: Debian's docker-registry on
# 127.0.0.1 (plain HTTP, TLS with a CA the test makes, htpasswd Basic auth),
# and registry-proxy.py in front of one (Bearer tokens, dropped
# connections, corrupt blobs, hostile answers). Everything is started and
# stopped by the tests; nothing leaves loopback.
# shellcheck shell=bash

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() {
	local i
	for i in $(seq 400); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.05
	done
	echo "nothing listens on 127.0.0.1:$1" >&2
	return 1
}

# make_ca DIR: a CA (DIR/ca.crt) and a certificate for 127.0.0.1 signed by it.
make_ca() {
	local d=$1
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" -days 2 \
		-subj /CN=cell-test-ca 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -keyout "$d/server.key" -out "$d/server.csr" \
		-subj /CN=127.0.0.1 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1\n' >"$d/ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-out "$d/server.crt" -days 2 -extfile "$d/ext" 2>/dev/null
}

# start_registry DIR [htpasswd USER PASS] [tls CADIR]: docker-registry with
# its data in DIR; prints its host:port.
start_registry() {
	local dir=$1
	shift
	local auth="" tls=""
	while [ $# -gt 0 ]; do
		case $1 in
		htpasswd)
			htpasswd -Bbn "$2" "$3" >"$dir.htpasswd"
			auth="auth:
  htpasswd:
    realm: cell-test
    path: $dir.htpasswd"
			shift 3
			;;
		tls)
			tls="  tls:
    certificate: $2/server.crt
    key: $2/server.key"
			shift 2
			;;
		*)
			echo "start_registry: $1?" >&2
			return 1
			;;
		esac
	done
	mkdir -p "$dir"
	local port
	port=$(free_port)
	cat >"$dir.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $dir
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
$tls
$auth
EOF
	docker-registry serve "$dir.yml" >"$dir.log" 2>&1 3>&- &
	echo $! >"$dir.pid"
	wait_port "$port" || return 1
	echo "127.0.0.1:$port"
}

# start_proxy DIR UPSTREAM ARGS...: registry-proxy.py; prints its host:port.
# Its request log is DIR.log.
start_proxy() {
	local dir=$1 upstream=$2
	shift 2
	rm -f "$dir.port"
	: >"$dir.log"
	python3 "$BATS_TEST_DIRNAME/registry-proxy.py" --upstream "$upstream" --port-file "$dir.port" \
		--log "$dir.log" "$@" >"$dir.err" 2>&1 3>&- &
	echo $! >"$dir.pid"
	local i
	for i in $(seq 200); do
		[ -s "$dir.port" ] && break
		sleep 0.05
	done
	[ -s "$dir.port" ] || { cat "$dir.err" >&2; return 1; }
	echo "127.0.0.1:$(cat "$dir.port")"
}

# stop DIR: end what start_registry or start_proxy started for DIR.
stop() {
	local pidfile=$1.pid pid i
	[ -f "$pidfile" ] || return 0
	pid=$(cat "$pidfile")
	kill "$pid" 2>/dev/null || true
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$pidfile"
}

# A registries.conf of the test's (cell reads $CONTAINERS_REGISTRIES_CONF)
# where the given registries speak plain HTTP; with search=A,B… it sets
# unqualified-search-registries too.
registries_conf() {
	local f=$WORK/registries.conf search=""
	: >"$f"
	local r
	for r in "$@"; do
		case $r in
		search=*) search=${r#search=} ;;
		*) printf '[[registry]]\nlocation = "%s"\ninsecure = true\n\n' "$r" >>"$f" ;;
		esac
	done
	if [ -n "$search" ]; then
		printf 'unqualified-search-registries = ["%s"]\n' "$(echo "$search" | sed 's/,/", "/g')" >"$f.tmp"
		cat "$f" >>"$f.tmp"
		mv "$f.tmp" "$f"
	fi
	export CONTAINERS_REGISTRIES_CONF=$f
}

# A three-layer image with a deletion (whiteout) and an opaque directory, in
# the test's store as localhost/three:1 (its second layer gzip, the others
# plain; SIZE MiB of random data in the second).
load_three_layers() {
	local d=$WORK/layers
	mkdir -p "$d/2/data/keep" "$d/2/data/gone" "$d/3/data/gone" "$d/3/etc"
	echo keep >"$d/2/data/keep/file"
	echo old >"$d/2/data/gone/old"
	dd if=/dev/urandom of="$d/2/data/blob" bs=1M count="${1:-2}" status=none
	ln -s keep/file "$d/2/data/link"
	echo new >"$d/3/data/gone/new"
	touch "$d/3/data/gone/.wh..wh..opq" "$d/3/etc/.wh.group"
	tar -C "$d/2" -cf "$WORK/l2.tar" .
	tar -C "$d/3" -cf "$WORK/l3.tar" .
	gzip -c "$WORK/l2.tar" >"$WORK/l2.tar.gz"
	python3 "$BATS_TEST_DIRNAME/make-archive.py" "$WORK/three.tar" localhost/three:1 "$BUSYBOX_TAR" \
		"$WORK/l2.tar.gz" "$WORK/l3.tar"
	cell load -q -i "$WORK/three.tar"
}

# The merged tree of IMAGE in STORE, as tree-list.py prints it.
tree_of() {
	local store=$1 image=$2 mp
	mp=$("$CELL" --root "$store" --runroot "$RUN" image mount "$image")
	python3 "$BATS_TEST_DIRNAME/tree-list.py" "$mp"
	"$CELL" --root "$store" --runroot "$RUN" image unmount "$image" >/dev/null
}

# The trees of two images the same (STORE1 IMAGE1 STORE2 IMAGE2), listed
# one after the other: stores sharing $RUN mount the same image ID at the
# same place, so two listings at once would unmount each other's.
same_tree() {
	local a b
	a=$(tree_of "$1" "$2")
	b=$(tree_of "$3" "$4")
	[ -n "$a" ]
	diff <(echo "$a") <(echo "$b")
}

# cell against a store of its own ($WORK/NAME).
cell_in() {
	local name=$1
	shift
	"$CELL" --root "$WORK/$name" --runroot "$RUN" "$@"
}

blob_count() {
	find "${1:-$STORE}/blobs/sha256" -type f | wc -l
}
