#!/usr/bin/env bats
# Registries that break or lie, through registry-proxy.py in front of a
# docker-registry: a connection dropped in the middle of each blob (the pull
# resumes with Range requests), a corrupt, a short and a long blob (refused,
# the store as it was), and hostile manifest answers (each refused with a
# message that says what was wrong). A pull killed part way leaves no image.

load cell-helpers
load registry

setup_file() {
	# shellcheck source=registry.bash
	. "$BATS_TEST_DIRNAME/registry.bash"
	REG=$(start_registry "$BATS_FILE_TMPDIR/registry")
	export REG
}

teardown_file() {
	stop "$BATS_FILE_TMPDIR/registry"
}

teardown() {
	stop "$WORK/proxy"
	cell_teardown
}

# Push localhost/three:1 (its second layer SIZE MiB), made in a store of its
# own ($WORK/src), as REPO:1; the digest of each layer blob as pushed goes
# to $WORK/layers.txt.
push_three() {
	STORE=$WORK/src load_three_layers "$2"
	cell_in src push -q --tls-verify=false localhost/three:1 "$REG/$1:1"
	skopeo inspect --raw --tls-verify=false "docker://$REG/$1:1" | jq -r '.layers[].digest' >"$WORK/layers.txt"
}

# The store as it was: its images and blobs, and nothing broken or left over.
snapshot() {
	{
		cell images -q --no-trunc | sort
		find "$STORE/blobs" "$STORE/layers" -mindepth 1 -maxdepth 2 | sort
	} >"$WORK/$1"
}

store_unchanged() {
	snapshot after
	diff "$WORK/before" "$WORK/after"
	run cell system check
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"0 broken, 0 orphaned"* ]]
}

@test "a connection dropped in the middle of every blob: the pull resumes with Range requests" {
	push_three hostile/drop 8
	PROXY=$(start_proxy "$WORK/proxy" "$REG" --drop-blobs)
	run cell_in other pull -q --tls-verify=false "$PROXY/hostile/drop:1"
	echo "$output"
	cat "$WORK/proxy.log"
	[ "$status" -eq 0 ]
	big=$(sed -n 2p "$WORK/layers.txt")
	grep -q "^GET /v2/hostile/drop/blobs/$big range=- status=200 dropped-after=" "$WORK/proxy.log"
	half=$(grep "blobs/$big range=- status=200 dropped-after=" "$WORK/proxy.log" | sed 's/.*dropped-after=//')
	grep -q "^GET /v2/hostile/drop/blobs/$big range=bytes=$half- status=206$" "$WORK/proxy.log"
	same_tree "$WORK/src" localhost/three:1 "$WORK/other" "$PROXY/hostile/drop:1"
	run cell_in other system check
	[[ "$output" == *"0 broken, 0 orphaned"* ]]
}

@test "a corrupt blob is refused by its digest, and the store is as it was" {
	push_three hostile/corrupt 4
	import_busybox
	snapshot before
	big=$(sed -n 2p "$WORK/layers.txt")
	PROXY=$(start_proxy "$WORK/proxy" "$REG" --corrupt-blob "$big")
	run cell pull -q --tls-verify=false "$PROXY/hostile/corrupt:1"
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "$output" == *"blob $big: content has digest sha256:"* ]]
	store_unchanged
	# the same with the vfs driver, whose layers are unpacked by the commit
	run "$CELL" --root "$WORK/vfs" --runroot "$RUN" --storage-driver vfs pull -q --tls-verify=false \
		"$PROXY/hostile/corrupt:1"
	[ "$status" -eq 125 ]
	[[ "$output" == *"content has digest"* ]]
	[ "$(blob_count "$WORK/vfs")" -eq 0 ]
	[ -z "$(layer_dirs "$WORK/vfs")" ]
}

@test "a blob shorter or longer than its descriptor is refused; nothing is stored" {
	push_three hostile/size 2
	snapshot before
	small=$(sed -n 3p "$WORK/layers.txt")
	big=$(sed -n 2p "$WORK/layers.txt")
	PROXY=$(start_proxy "$WORK/proxy" "$REG" --truncate-blob "$big")
	run cell pull -q --tls-verify=false "$PROXY/hostile/size:1"
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "$output" == *"blob $big: truncated"* ]]
	store_unchanged
	stop "$WORK/proxy"
	PROXY=$(start_proxy "$WORK/proxy" "$REG" --long-blob "$small")
	run cell pull -q --tls-verify=false "$PROXY/hostile/size:1"
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "$output" == *"blob $small: "*"sends more than the"*"bytes its descriptor says"* ]]
	store_unchanged
}

@test "hostile manifest answers are refused with a message that says what was wrong" {
	import_busybox
	cell push -q --tls-verify=false busybox "$REG/hostile/manifest:1"
	snapshot before
	check() {
		stop "$WORK/proxy"
		PROXY=$(start_proxy "$WORK/proxy" "$REG" --hostile "$1")
		run cell pull -q --tls-verify=false "$PROXY/hostile/manifest:1"
		echo "$1: $output"
		[ "$status" -eq 125 ]
		[[ "$output" == *$2* ]]
		[ "${#lines[@]}" -eq 1 ]
		store_unchanged
	}
	check huge "the answer is larger than 4194304 bytes"
	check html 'answered "text/html", which is not an image manifest or index'
	check bad-json "invalid JSON at line 1"
	check schema1 "Docker schema 1 manifest"
	check config-type '"application/vnd.oci.image.config.v1+json", which is not an image manifest'
	check redirect-loop "more than 5 redirects (a redirect loop?)"
	check wrong-digest "the registry says its digest is sha256:0000"
	stop "$WORK/proxy"
	PROXY=$(start_proxy "$WORK/proxy" "$REG" --token - --hostile token-garbage)
	run cell pull -q --tls-verify=false "$PROXY/hostile/manifest:1"
	[ "$status" -eq 125 ]
	[[ "$output" == *"token from http://$PROXY/token: not JSON"* ]]
	store_unchanged
}

@test "a pull killed part way leaves no image; what it left is debris the next change clears" {
	push_three hostile/killed 4
	PROXY=$(start_proxy "$WORK/proxy" "$REG" --delay-blobs 2)
	"$CELL" --root "$STORE" --runroot "$RUN" pull -q --tls-verify=false "$PROXY/hostile/killed:1" 3>&- &
	pid=$!
	# the config comes after 2 s; the layers' unpacks start then, and their
	# bytes would come 2 s later
	sleep 3
	kill -9 "$pid"
	wait "$pid" || true
	# its unpack workers see their input end and stop
	for i in $(seq 100); do
		pgrep -f "$STORE" >/dev/null || break
		sleep 0.1
	done
	! pgrep -f "$STORE"
	[ "$(cell images -q | wc -l)" -eq 0 ]
	run cell system check
	echo "$output"
	[[ "$output" == *"0 broken"* ]]
	[[ "$output" == *"layers/.tmp-job-"*": left by an interrupted change"* ]]
	run cell system check --repair
	run cell system check
	[[ "$output" == *"0 broken, 0 orphaned"* ]]
	# and a pull afterwards works
	stop "$WORK/proxy"
	cell pull -q --tls-verify=false "$REG/hostile/killed:1" >/dev/null
	same_tree "$WORK/src" localhost/three:1 "$STORE" "$REG/hostile/killed:1"
}
