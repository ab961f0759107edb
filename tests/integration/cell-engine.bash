# Shared by the cell-run, cell-lifecycle, cell-logs, cell-exec, cell-files,
# cell-volumes and cell-robustness tests: a private store with the busybox
# image, and a teardown that removes every container and then fails the
# test if anything of them is left: monitors, processes, cgroups, mounts,
# or a store that `system check` does not find sound.
# shellcheck shell=bash

load cell-helpers

engine_setup() {
	cell_setup
	import_busybox
	PTYRUN=$TOP/tests/integration/ptyrun.py
}

# The IDs of every container of the store.
all_ids() {
	cell ps -aq --no-trunc 2>/dev/null || true
}

# Monitors (and the clean-ups they become) of this store.
store_processes() {
	pgrep -f -- "--root $STORE " 2>/dev/null || true
}

engine_teardown() {
	local left="" ids id cg p
	ids=$(all_ids)
	cell rm -af >/dev/null 2>&1 || true
	for _ in $(seq 1 100); do
		[ -z "$(store_processes)" ] && break
		sleep 0.05
	done
	for p in $(store_processes); do
		left="$left process:$p($(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null | cut -c1-80))"
		kill -9 "$p" 2>/dev/null || true
	done
	for id in $ids; do
		for cg in $(find /sys/fs/cgroup -maxdepth 4 -type d -name "$id" 2>/dev/null); do
			left="$left cgroup:$cg"
			rmdir "$cg" 2>/dev/null || true
		done
	done
	if [ -n "${WORK:-}" ] && [ -d "$STORE" ]; then
		run cell system check
		if [ "$status" -ne 0 ] || [[ "$output" == *broken:* ]] || [[ "$output" == *orphaned:* ]]; then
			left="$left unsound-store:$output"
		fi
	fi
	cell_teardown || left="$left mounts"
	if [ -n "$left" ]; then
		echo "left behind:$left" >&2
		return 1
	fi
}

setup() {
	engine_setup
}

teardown() {
	engine_teardown
}

# Wait until a command succeeds (up to ~10 s).
wait_until() {
	local i
	for i in $(seq 1 200); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.05
	done
	"$@"
}

# True once the container does not exist.
gone() {
	! cell inspect --type container "$1" >/dev/null 2>&1
}

# The container's status, as inspect has it.
ctr_status() {
	cell inspect -f '{{.State.Status}}' "$1"
}

status_is() {
	[ "$(ctr_status "$1")" = "$2" ]
}

# A process of the container seen from the host, by its command line.
host_pid_of() {
	cell inspect -f '{{.State.Pid}}' "$1"
}
