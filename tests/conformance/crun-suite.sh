#!/bin/sh
# Runs crun's own integration tests (from Debian's crun source package)
# against an OCI runtime, TAP out, one "# file" comment per test file.
#
#   crun-suite.sh RUNTIME [test_file ...]      (default: the files in SUITE_FILES)
#
# The sources are fetched once into tests/.cache/crun with `apt-get source`.
# When RUNTIME is crun itself, it runs in a private mount namespace with the
# cgroup2 mount of a hybrid host hidden, because crun 1.8 refuses that layout;
# cellrt is measured the same way when CELL_HIDE_UNIFIED=1.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache="$top/tests/.cache"
runtime=$(realpath "$1")
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

files="$*"
[ -n "$files" ] || files="${SUITE_FILES:-test_start test_delete test_detach test_hostname test_mounts test_paths test_pid test_pid_file test_uid_gid test_cwd test_rlimits test_hooks test_preserve_fds}"

# test_tty skips itself unless its stdout is a terminal: it runs on a pty
# that script(1) gives it (whose CRs are taken out again).
on_terminal() {
	case "$1" in
	test_tty) script -qec "$2" /dev/null </dev/null | tr -d '\r' ;;
	*) sh -c "$2" ;;
	esac
}

cd "$src"
for f in $files; do
	echo "# $f"
	export OCI_RUNTIME="$runtime" INIT=tests/init PYTHONPATH="$here"
	if [ "$(basename "$runtime")" = crun ] || [ "${CELL_HIDE_UNIFIED:-0}" = 1 ]; then
		on_terminal "$f" "unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec python3 tests/$f.py'" 2>&1 || true
	else
		on_terminal "$f" "python3 tests/$f.py" 2>&1 || true
	fi
done
