# Helpers of the security-*.bats files, loaded after helpers.bash: the
# attacker program, second bundles, and the proof that a refused container
# left nothing behind.
# shellcheck shell=bash

ATTACK_BIN=$TOP/tests/.cache/attack

# The attacker, built static once (and again when its source changes).
ensure_attack() {
	helper_bin attack >/dev/null
}

# Copy the attacker into the bundle $1's root file system as /attack.
install_attack() {
	ensure_attack
	cp "$ATTACK_BIN" "$1/rootfs/attack"
}

# A second bundle beside $BUNDLE, in $BUNDLE2, with its own root.
setup_bundle2() {
	BUNDLE2=$(mktemp -d /tmp/cell-test2.XXXXXX)
	cp -a "$ROOTFS_CACHE" "$BUNDLE2/rootfs"
	cp "$BUNDLE/config.json" "$BUNDLE2/config.json"
	CID2="${CID}b"
}

# jq filter applied to $BUNDLE2's config.
update_config2() {
	jq "$@" "$BUNDLE2/config.json" >"$BUNDLE2/config.json.new"
	mv "$BUNDLE2/config.json.new" "$BUNDLE2/config.json"
}

teardown_bundle2() {
	[ -n "${CID2:-}" ] && "$CELLRT" --root "$STATE" delete -f "$CID2" >/dev/null 2>&1
	if [ -n "${BUNDLE2:-}" ] && grep -q " $BUNDLE2" /proc/self/mountinfo; then
		echo "left behind: mounts under $BUNDLE2" >&2
		rm -rf "$BUNDLE2"
		return 1
	fi
	rm -rf "${BUNDLE2:-/nonexistent}"
}

# After a create that was refused: no state, no process, no cgroup, no
# mount of container $1 (default $CID).
assert_nothing_left() {
	local id=${1:-$CID}
	if [ -n "$(ls -A "$STATE")" ]; then
		echo "state left behind: $(ls -A "$STATE")" >&2
		return 1
	fi
	if grep -q " $BUNDLE" /proc/self/mountinfo; then
		echo "mounts left behind under $BUNDLE" >&2
		return 1
	fi
	if [ -n "$(find /sys/fs/cgroup -maxdepth 5 -type d -name "${id}*" 2>/dev/null | head -1)" ]; then
		echo "cgroup left behind for $id" >&2
		return 1
	fi
	# A lingering init is a copy of the cellrt that made it, with this
	# test's state root on its command line.
	local p
	for p in /proc/[0-9]*; do
		if { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -q -- "--root $STATE "; then
			echo "process left behind: ${p#/proc/}" >&2
			return 1
		fi
	done
}

# Fields of /proc/self/status as the container's process sees them.
status_field() {
	echo "$output" | awk -v k="$1:" '$1 == k { print $2 }'
}

# Run the bundle's container in the foreground (for `run`).
run_container() {
	"$CELLRT" --root "$STATE" run --bundle "$BUNDLE" "$CID" </dev/null
}
