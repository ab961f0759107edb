#!/bin/sh
# Runs crun's own integration tests (from Debian's crun source package)
# against an OCI runtime, TAP out, one "# file" comment per test file.
#
#   crun-suite.sh RUNTIME [test_file ...]      (default: the files in SUITE_FILES)
#   crun-suite.sh --prepare                    (only fetch and build; prints the directory)
#
# The sources are fetched once into tests/.cache/crun with `apt-get source`.
# When RUNTIME is crun itself, it runs in a private mount namespace with the
# cgroup2 mount of a hybrid host hidden, because crun 1.8 refuses that layout;
# cellrt is measured the same way when CELL_HIDE_UNIFIED=1. test_checkpoint_restore
# needs a kernel criu works on: it runs in the VM (tests/vm/guest/checkpoint.bats).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache="$top/tests/.cache"
runtime=
[ "$1" = --prepare ] || runtime=$(realpath "$1")
shift

mkdir -p "$cache"
src=$(ls -d "$cache"/crun-*/ 2>/dev/null | head -1 || true)
if [ -z "$src" ]; then
	(cd "$cache" && apt-get source -qq crun >/dev/null 2>&1) || {
		echo "crun-suite: apt-get source crun failed; is a deb-src entry configured (make deps)?" >&2
		exit 1
	}
	src=$(ls -d "$cache"/crun-*/ | head -1)
fi
src=${src%/}
if [ ! -x "$src/tests/init" ]; then
	# tests/init.c is the suite's probe inside containers; it wants a config.h.
	: > "$src/config.h"
	gcc -static -O2 -DHAVE_ERROR_H -DHAVE_SECCOMP -I"$src" -o "$src/tests/init" "$src/tests/init.c" -lseccomp
fi

if [ -z "$runtime" ]; then
	echo "$src"
	exit 0
fi

files="$*"
[ -n "$files" ] || files="${SUITE_FILES:-test_start test_delete test_detach test_hostname test_mounts test_paths test_pid test_pid_file test_uid_gid test_cwd test_rlimits test_hooks test_preserve_fds test_exec test_tty test_resources test_update test_limits test_capabilities test_seccomp test_devices}"

# test_tty skips itself unless its stdout is a terminal: it runs on a pty
# that script(1) gives it (whose CRs are taken out again).
on_terminal() {
	case "$1" in
	test_tty) script -qec "$2" /dev/null </dev/null | tr -d '\r' ;;
	*) sh -c "$2" ;;
	esac
}

# Tests that no runtime can pass here, each with its reason: they are
# reported as skipped, with the reason, instead of run. Each line is
# "test-name|reason"; the probes decide, so they run where they can pass.
known_skips() {
	readlink /proc/1/ns/net >/dev/null 2>&1 ||
		echo "exec-root-netns-with-userns|this host does not let us open /proc/1/ns/net, which the test joins (crun fails it too)"
	# Its last two checks expect crun 1.8.1's reverse reading of a mount's
	# uidMappings (crun 1.8.1 fails them too); runc, crun from 1.8.2 and
	# cellrt read them as the spec does. tests/integration/idmap.bats runs
	# its crun-syntax checks.
	echo "mount-idmapped-mounts|expects crun 1.8.1's reverse mount uidMappings; see tests/integration/idmap.bats"
	# Where cellrt differs from crun on purpose (not skipped for crun itself).
	if [ "$(basename "$runtime")" != crun ]; then
		echo "unknown-caps|differs from crun on purpose: cellrt refuses unknown capability names, naming them (issue 3); crun ignores them"
		echo "seccomp-listener|differs from crun on purpose: the runtime spec ignores listenerPath without an SCMP_ACT_NOTIFY rule and sends the spec's ociVersion; crun sends the fd anyway as ociVersion 0.2.0 (cellrt's hand-off is tested in tests/integration/security-seccomp.bats)"
	fi
}

cd "$src"
skips=$(known_skips)
# test_exec's exec_write_pid_file wants a pid of five digits; on a fresh
# machine pids may still be below 10000, and on a busy one they wrap around
# pid_max (32768 here) in the middle of make check: before each file, when
# the next pids would be low or wrap soon, number from 10000.
five_digit_pids() {
	last=$(cat /proc/sys/kernel/ns_last_pid 2>/dev/null || echo 99999)
	max=$(cat /proc/sys/kernel/pid_max 2>/dev/null || echo 4194304)
	if [ "$last" -lt 10000 ] || [ "$last" -gt $((max - 5000)) ]; then
		echo 10000 >/proc/sys/kernel/ns_last_pid 2>/dev/null || true
	fi
}
out=$(mktemp)
# The suite's bundles (Python's tempfile) in a directory of our own, removed
# at the end: the suite leaves those of its tests that run as another user.
scratch=$(mktemp -d /tmp/cell-crun-suite.XXXXXX)
chmod 1777 "$scratch"
export TMPDIR="$scratch"
trap 'rm -f "$out"; rm -rf "$scratch"' EXIT
for f in $files; do
	echo "# $f"
	five_digit_pids
	export OCI_RUNTIME="$runtime" INIT=tests/init PYTHONPATH="$here"
	names=$(python3 -c "import sys; sys.path.insert(0, 'tests'); import $f; print(' '.join($f.all_tests))")
	run="" skipped=""
	for n in $names; do
		if echo "$skips" | grep -q "^$n|"; then skipped="$skipped $n"; else run="$run $n"; fi
	done
	# Into a file, not a pipe: a helper the suite leaves behind (tests/init's
	# idmapped-mounts probe can miss its parent's death) must not hold our
	# output open.
	if [ -n "$run" ]; then
		export RUN_TESTS="$run"
		if [ "$(basename "$runtime")" = crun ] || [ "${CELL_HIDE_UNIFIED:-0}" = 1 ]; then
			on_terminal "$f" "unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec python3 tests/$f.py'" >"$out" 2>&1 || true
		else
			on_terminal "$f" "python3 tests/$f.py" >"$out" 2>&1 || true
		fi
		cat "$out"
	fi
	# End such leftovers of this file's run, found by the run's own directory.
	for p in /proc/[0-9]*; do
		if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q "$src/.testsuite-run-"; then
			kill -9 "${p#/proc/}" 2>/dev/null || true
		fi
	done
	i=$(echo "$run" | wc -w)
	for n in $skipped; do
		i=$((i + 1))
		echo "ok $i - $n # SKIP $(echo "$skips" | grep "^$n|" | cut -d'|' -f2-)"
	done
done
