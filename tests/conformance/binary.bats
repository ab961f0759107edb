#!/usr/bin/env bats
# The release cellrt as it is shipped: one static file (musl), which must
# behave as the glibc builds the other suites test under the sanitizers.

load ../integration/helpers

@test "binary: the release cellrt needs no shared library and no loader" {
	run readelf -lW "$CELLRT"
	[ "$status" -eq 0 ]
	[[ "$output" != *INTERP* ]]
	run readelf -dW "$CELLRT"
	[ "$status" -eq 0 ]
	[[ "$output" != *"(NEEDED)"* ]]
	# and it runs where there is nothing else at all
	root=$(mktemp -d /tmp/cell-static.XXXXXX)
	cp "$CELLRT" "$root/cellrt"
	run chroot "$root" /cellrt --version
	rm -rf "$root"
	[ "$status" -eq 0 ]
	[[ "$output" == "cellrt version "* ]]
}

@test "binary: RTMIN+n is glibc's, runc's and crun's number, not the C library's SIGRTMIN" {
	run_detached 'trap "echo 35 > /tmp/sig" 35; trap "echo 36 > /tmp/sig" 36; while :; do sleep 0.05; done'
	wait_for status_is "$CID" running
	cellrt kill "$CID" RTMIN+1
	wait_for test -s "$BUNDLE/rootfs/tmp/sig"
	[ "$(cat "$BUNDLE/rootfs/tmp/sig")" = 35 ]
}
