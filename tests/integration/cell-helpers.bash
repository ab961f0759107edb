# Shared by the cell-*.bats files: a private store per test (--root and
# --runroot under a temporary directory), the busybox root file system as a
# tarball, and a teardown that unmounts what the test mounted and fails the
# test if anything is left mounted or the store is inconsistent.
# shellcheck shell=bash

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
CELL=${CELL:-$TOP/build/cell}
CACHE=$TOP/tests/.cache
ROOTFS_CACHE=$CACHE/busybox-rootfs

ensure_rootfs() {
	if [ ! -x "$ROOTFS_CACHE/bin/busybox" ]; then
		mkdir -p "$CACHE"
		local tmp="$ROOTFS_CACHE.tmp.$$"
		"$TOP/scripts/busybox-rootfs.sh" "$tmp"
		mv -T "$tmp" "$ROOTFS_CACHE" 2>/dev/null || rm -rf "$tmp"
	fi
	if [ ! -s "$CACHE/busybox-rootfs.tar" ]; then
		tar -C "$ROOTFS_CACHE" --numeric-owner -cf "$CACHE/busybox-rootfs.tar.$$" .
		mv "$CACHE/busybox-rootfs.tar.$$" "$CACHE/busybox-rootfs.tar"
	fi
	BUSYBOX_TAR=$CACHE/busybox-rootfs.tar
}

cell_setup() {
	ensure_rootfs
	WORK=$(mktemp -d /tmp/cell-images-test.XXXXXX)
	STORE=$WORK/store
	RUN=$WORK/run
	# A short name that is not in the store is looked for at a closed port
	# of loopback, never on the Internet (registry.bash's registries_conf
	# replaces this file for the tests that run registries).
	printf 'unqualified-search-registries = ["127.0.0.1:9"]\n[[registry]]\nlocation = "127.0.0.1:9"\ninsecure = true\n' \
		>"$WORK/registries.conf"
	export CONTAINERS_REGISTRIES_CONF=$WORK/registries.conf
}

cell() {
	"$CELL" --root "$STORE" --runroot "$RUN" "$@"
}

# Import the busybox root file system as localhost/busybox:latest.
import_busybox() {
	cell import --change 'CMD ["sh"]' --change 'ENV PATH=/bin:/usr/bin' "$BUSYBOX_TAR" "${1:-busybox}" >/dev/null
}

# The store must pass `system check` without anything broken.
store_is_sound() {
	run cell system check
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"broken:"* ]]
}

cell_teardown() {
	local leftovers=""
	if [ -n "${WORK:-}" ]; then
		local m
		for m in $(awk -v w="$WORK" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
			umount "$m" 2>/dev/null || umount -l "$m"
			leftovers="$leftovers mount:$m"
		done
		rm -rf "$WORK"
	fi
	if [ -n "$leftovers" ] && [ -z "${EXPECT_MOUNTS:-}" ]; then
		echo "left behind:$leftovers" >&2
		return 1
	fi
}

setup() {
	cell_setup
}

teardown() {
	cell_teardown
}

# The layer directories of a store (default: the test's).
layer_dirs() {
	find "${1:-$STORE}/layers" -mindepth 1 -maxdepth 1 -regextype egrep -regex '.*/[0-9a-f]{64}'
}
