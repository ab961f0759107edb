#!/bin/sh
# Registry benchmark, side by side, ratios measured in this run (never
# absolute targets): a pull of a 3-layer image, ~170 MB compressed and
# ~280 MB unpacked (a Debian bookworm minbase made by debootstrap from
# Debian's archive, plus two generated data layers), from Debian's
# docker-registry on 127.0.0.1 into an empty store:
#   cell pull      (overlay, a fresh store each run)
#   podman pull    (overlay, a fresh store each run)
#   skopeo copy    (to a dir: only downloads and checks the blobs)
# and the peak RSS of cell (its unpack workers included). BENCH_RUNS
# (default 5) runs of each, in alternating order; the medians are compared.
# The minbase tree is made once and kept in $BENCH_CACHE (default
# /var/tmp/cell-bench-cache); the image is built and pushed by this script.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/common.inc"
cell=$top/build/cell
runs=${BENCH_RUNS:-5}
cache=${BENCH_CACHE:-/var/tmp/cell-bench-cache}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
[ -x "$cell" ] || { echo "bench/registry: $cell is missing (make build)" >&2; exit 1; }
for t in podman skopeo docker-registry debootstrap; do
	command -v "$t" >/dev/null || { echo "bench/registry: $t is missing (make deps)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "bench/registry: /usr/bin/time is missing (make deps)" >&2; exit 1; }

# On the disk the stores live on (not a tmpfs): the comparison is about it.
work=$(mktemp -d /var/tmp/cell-bench-registry.XXXXXX)
registry_pid=""
# Under set -e: no command here may fail, or the rest would be skipped.
cleanup() {
	if [ -n "$registry_pid" ]; then
		kill "$registry_pid" 2>/dev/null || true
		wait "$registry_pid" 2>/dev/null || true
	fi
	for m in $(awk -v w="$work" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	remove_work "$work"
}
trap cleanup EXIT
trap "exit 130" INT TERM

now() { date +%s%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
secs() { awk -v ns="$1" 'BEGIN { printf "%.3f", ns / 1e9 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# 1. The base layer: debootstrap's minbase, made once (minutes, over the
# network to Debian's archive) and kept as a tarball without its .debs.
mkdir -p "$cache"
if [ ! -s "$cache/minbase-bookworm.tar" ]; then
	echo "making a Debian bookworm minbase with debootstrap (once; kept in $cache)"
	debootstrap --variant=minbase bookworm "$work/minbase" "$mirror" >"$work/debootstrap.log" 2>&1 ||
		{ tail -20 "$work/debootstrap.log" >&2; exit 1; }
	tar -C "$work/minbase" --numeric-owner --exclude='./var/cache/apt/archives/*.deb' \
		-cf "$cache/minbase-bookworm.tar.tmp" .
	mv "$cache/minbase-bookworm.tar.tmp" "$cache/minbase-bookworm.tar"
	rm -rf "$work/minbase"
fi

# 2. Two data layers: incompressible files (what compresses badly is what
# a registry moves most of) and many small text files.
echo "building the test image (minbase + two generated data layers)"
data_layers "$work" 240 9
python3 "$top/tests/integration/make-archive.py" "$work/image.tar" localhost/bench:1 \
	"$cache/minbase-bookworm.tar" "$work/l2.tar" "$work/l3.tar"
unpacked=$(($(stat -c %s "$cache/minbase-bookworm.tar") + $(stat -c %s "$work/l2.tar") + $(stat -c %s "$work/l3.tar")))
rm -f "$work/l2.tar" "$work/l3.tar"

# 3. The registry, and the image pushed to it (gzip layers, by skopeo).
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/registry.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
EOF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
reg=127.0.0.1:$port
i=0
until python3 -c "import socket, sys; socket.create_connection(('127.0.0.1', $port))" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 200 ] || { echo "bench/registry: docker-registry did not start" >&2; cat "$work/registry.log" >&2; exit 1; }
	sleep 0.05
done
skopeo copy -q --dest-tls-verify=false "docker-archive:$work/image.tar" "docker://$reg/bench:1"
rm -f "$work/image.tar"
compressed=$(skopeo inspect --raw --tls-verify=false "docker://$reg/bench:1" |
	python3 -c 'import json, sys; print(sum(l["size"] for l in json.load(sys.stdin)["layers"]))')
echo "image: 3 layers, $((compressed / 1000000)) MB compressed, $((unpacked / 1000000)) MB unpacked"

# One timed pull into a fresh directory (a new one each run, all removed at
# the end: removing gigabytes right before would time the file system's
# cleanup, not the pull); prints nanoseconds. cell's peak RSS goes to
# $work/rss.
pull_cell() {
	sync
	t0=$(now)
	/usr/bin/time -f %M -a -o "$work/rss" "$cell" --root "$work/cell$1/root" --runroot "$work/cell$1/run" \
		--storage-driver overlay pull -q --tls-verify=false "$reg/bench:1" >/dev/null
	echo $(($(now) - t0))
}
pull_podman() {
	sync
	t0=$(now)
	podman --root "$work/podman$1/root" --runroot "$work/podman$1/run" --storage-driver overlay \
		--events-backend none pull -q --tls-verify=false "$reg/bench:1" >/dev/null
	echo $(($(now) - t0))
}
copy_skopeo() {
	sync
	t0=$(now)
	skopeo copy -q --src-tls-verify=false "docker://$reg/bench:1" "dir:$work/skopeo$1"
	echo $(($(now) - t0))
}

# One untimed run of each first: the registry's files reach the page cache.
pull_cell w >/dev/null
pull_podman w >/dev/null
copy_skopeo w >/dev/null
: >"$work/rss"
: >"$work/cell.times"
: >"$work/podman.times"
: >"$work/skopeo.times"
i=0
while [ "$i" -lt "$runs" ]; do
	# rotate who goes first, so that none always inherits another's writeback
	case $((i % 3)) in
	0) order="cell podman skopeo" ;;
	1) order="podman skopeo cell" ;;
	*) order="skopeo cell podman" ;;
	esac
	for who in $order; do
		case $who in
		cell) pull_cell "$i" >>"$work/cell.times" ;;
		podman) pull_podman "$i" >>"$work/podman.times" ;;
		skopeo) copy_skopeo "$i" >>"$work/skopeo.times" ;;
		esac
	done
	i=$((i + 1))
done
c=$(median <"$work/cell.times")
p=$(median <"$work/podman.times")
s=$(median <"$work/skopeo.times")
rss=$(sort -n "$work/rss" | tail -1)
show() { awk '{ printf "%.2f ", $1 / 1e9 }' "$1"; }
echo "pull runs (s): cell $(show "$work/cell.times")| podman $(show "$work/podman.times")| skopeo $(show "$work/skopeo.times")"
echo "pull ($runs runs, median): cell $(secs "$c") s, podman $(secs "$p") s, skopeo copy (download only) $(secs "$s") s"
echo "cell/podman = $(ratio "$c" "$p") (target <= 0.33), cell/skopeo = $(ratio "$c" "$s") (target <= 1.5)"
echo "cell peak RSS: $((rss / 1024)) MB (target < 64 MB)"
