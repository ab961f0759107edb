# Shared by every bats file: a fresh busybox bundle per test, cellrt bound to
# the test's own state root, and a teardown that proves nothing was left
# behind (containers, mounts, cgroups).
# shellcheck shell=bash

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CELLRT=${CELLRT:-$TOP/build/cellrt}
ROOTFS_CACHE=$TOP/tests/.cache/busybox-rootfs

ensure_rootfs() {
	[ -x "$ROOTFS_CACHE/bin/busybox" ] && return 0
	mkdir -p "$TOP/tests/.cache"
	local tmp="$ROOTFS_CACHE.tmp.$$"
	"$TOP/scripts/busybox-rootfs.sh" "$tmp"
	mv -T "$tmp" "$ROOTFS_CACHE" 2>/dev/null || rm -rf "$tmp"
}

# A static helper program of tests/helpers/NAME.c, built once (and again
# when its source changes); prints where it is.
helper_bin() {
	local src=$TOP/tests/helpers/$1.c bin=$TOP/tests/.cache/$1
	if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
		mkdir -p "$TOP/tests/.cache"
		gcc -static -O2 -Wall -o "$bin.tmp.$$" "$src" && mv "$bin.tmp.$$" "$bin"
	fi
	echo "$bin"
}

# A new bundle in $BUNDLE with the default spec, no terminal, a writable
# root (tests leave marks in it), running `true`. Called again within a
# test, it first removes the bundle it made before.
setup_bundle() {
	ensure_rootfs
	if [ -n "${BUNDLE:-}" ]; then
		teardown_bundle || return 1
	fi
	BUNDLE=$(mktemp -d /tmp/cell-test.XXXXXX)
	STATE=$(mktemp -d /tmp/cell-state.XXXXXX)
	# Reachable by the ids a user namespace maps container root to.
	chmod 755 "$BUNDLE"
	cp -a "$ROOTFS_CACHE" "$BUNDLE/rootfs"
	(cd "$BUNDLE" && "$CELLRT" spec)
	update_config '.process.terminal = false | .process.args = ["true"] | .root.readonly = false'
	CID="t$$-${BATS_TEST_NUMBER}"
}

# jq filter (with jq's own options before it) applied to the bundle's config.
update_config() {
	jq "$@" "$BUNDLE/config.json" >"$BUNDLE/config.json.new"
	mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

# The process's args, one per argument.
set_args() {
	local a
	a=$(printf '%s\n' "$@" | jq -R . | jq -cs .)
	update_config --argjson a "$a" '.process.args = $a'
}

# Run a shell command line inside the container.
set_cmd() {
	set_args sh -c "$1"
}

cellrt() {
	"$CELLRT" --root "$STATE" "$@"
}

# Start a detached container running the given shell command (default: sleep),
# with its output in $BUNDLE/out.
run_detached() {
	set_cmd "${1:-sleep 1000}"
	"$CELLRT" --root "$STATE" run -d --bundle "$BUNDLE" "$CID" </dev/null >"$BUNDLE/out" 2>&1
}

container_pid() {
	cellrt state "$1" | jq -r .pid
}

container_status() {
	cellrt state "$1" | jq -r .status
}

# For wait_for: true once container $1 is in status $2.
status_is() {
	[ "$(container_status "$1")" = "$2" ]
}

# Wait until a condition holds (up to ~5 s).
wait_for() {
	local i
	for i in $(seq 1 100); do
		if "$@"; then return 0; fi
		sleep 0.05
	done
	"$@"
}

# Deletes what the test left running, then fails the test if anything of the
# containers remains: mounts under the bundle, cgroups named after them.
teardown_bundle() {
	local leftovers="" id
	if [ -n "${STATE:-}" ] && [ -d "$STATE" ]; then
		for id in $("$CELLRT" --root "$STATE" list -q 2>/dev/null); do
			"$CELLRT" --root "$STATE" delete -f "$id" >/dev/null 2>&1 ||
				leftovers="$leftovers undeletable-container:$id"
		done
	fi
	if [ -n "${BUNDLE:-}" ] && grep -q " $BUNDLE" /proc/self/mountinfo; then
		leftovers="$leftovers mounts-under-$BUNDLE"
	fi
	if [ -n "${CID:-}" ]; then
		local cg
		cg=$(find /sys/fs/cgroup -maxdepth 5 -type d -name "${CID}*" 2>/dev/null | head -3)
		if [ -n "$cg" ]; then
			leftovers="$leftovers cgroups:$cg"
			echo "$cg" | xargs -r rmdir 2>/dev/null || true
		fi
	fi
	# a network namespace the test made with ip netns (NETNS), whether or
	# not the test got as far as deleting it
	if [ -n "${NETNS:-}" ] && [ -e "/run/netns/$NETNS" ]; then
		ip netns del "$NETNS" 2>/dev/null || leftovers="$leftovers netns:$NETNS"
	fi
	rm -rf "${BUNDLE:-/nonexistent}" "${STATE:-/nonexistent}"
	if [ -n "$leftovers" ]; then
		echo "left behind:$leftovers" >&2
		return 1
	fi
}

setup() {
	setup_bundle
}

teardown() {
	teardown_bundle
}
