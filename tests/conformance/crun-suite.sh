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
[ -n "$files" ] || files="${SUITE_FILES:-test_start test_delete test_detach test_hostname test_mounts test_paths test_pid test_pid_file test_uid_gid test_cwd test_rlimits test_hooks test_preserve_fds test_capabilities test_seccomp}"

# Tests where cellrt behaves differently from crun on purpose, one per line:
# FILE TEST REASON. They are not run against cellrt (the second would wait
# forever) and are reported as skips with the reason, every time.
divergent="
test_capabilities unknown-caps cellrt refuses unknown capability names, naming them (issue 3); crun ignores them
test_seccomp seccomp-listener the runtime spec ignores listenerPath without an SCMP_ACT_NOTIFY rule and wants the spec version as ociVersion; crun sends the fd anyway, as ociVersion 0.2.0 (cellrt's notify hand-off is tested in tests/integration/security-seccomp.bats)
"

cd "$src"
for f in $files; do
	echo "# $f"
	skips=""
	run_tests=""
	if [ "$(basename "$runtime")" != crun ]; then
		skips=$(echo "$divergent" | awk -v f="$f" '$1 == f { print $2 }')
	fi
	if [ -n "$skips" ]; then
		# The file's other tests, by name, for its RUN_TESTS filter.
		all=$(PYTHONPATH="$here:tests" python3 -c "import $f; print(' '.join($f.all_tests))")
		for t in $all; do
			echo "$skips" | grep -qx "$t" || run_tests="$run_tests $t"
		done
		run_tests=${run_tests# }
		for t in $skips; do
			echo "ok - $f/$t # SKIP differs from crun on purpose: $(echo "$divergent" | awk -v f="$f" -v t="$t" '$1 == f && $2 == t { $1 = ""; $2 = ""; sub(/^ +/, ""); print }')"
		done
		[ -n "$run_tests" ] || continue
	fi
	if [ "$(basename "$runtime")" = crun ] || [ "${CELL_HIDE_UNIFIED:-0}" = 1 ]; then
		env ${run_tests:+"RUN_TESTS=$run_tests"} OCI_RUNTIME="$runtime" INIT=tests/init PYTHONPATH="$here" \
			unshare -m --propagation private sh -c "umount /sys/fs/cgroup/unified 2>/dev/null; exec python3 tests/$f.py" 2>&1 || true
	else
		env ${run_tests:+"RUN_TESTS=$run_tests"} OCI_RUNTIME="$runtime" INIT=tests/init PYTHONPATH="$here" python3 "tests/$f.py" 2>&1 || true
	fi
done
