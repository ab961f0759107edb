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
# cellrt is measured the same way when CELL_HIDE_UNIFIED=1.
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
[ -n "$files" ] || files="${SUITE_FILES:-test_start test_delete test_detach test_hostname test_mounts test_paths test_pid test_pid_file test_uid_gid test_cwd test_rlimits test_hooks test_preserve_fds test_resources test_update test_limits}"

cd "$src"
log=$(mktemp /tmp/crun-suite.XXXXXX)
trap 'rm -f "$log"' EXIT
for f in $files; do
	echo "# $f"
	# Through a file, not our stdout: a helper that outlives its test (crun's
	# idmapped-mounts probe forks a child whose PR_SET_PDEATHSIG can come
	# too late) would otherwise hold the caller's pipe open for ever.
	if [ "$(basename "$runtime")" = crun ] || [ "${CELL_HIDE_UNIFIED:-0}" = 1 ]; then
		OCI_RUNTIME="$runtime" INIT=tests/init PYTHONPATH="$here" \
			unshare -m --propagation private sh -c "umount /sys/fs/cgroup/unified 2>/dev/null; exec python3 tests/$f.py" >"$log" 2>&1 </dev/null || true
	else
		OCI_RUNTIME="$runtime" INIT=tests/init PYTHONPATH="$here" python3 "tests/$f.py" >"$log" 2>&1 </dev/null || true
	fi
	cat "$log"
	# End such leftovers of this file's run, found by the run's own directory.
	for p in /proc/[0-9]*; do
		if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q "$src/.testsuite-run-"; then
			kill -9 "${p#/proc/}" 2>/dev/null || true
		fi
	done
done
