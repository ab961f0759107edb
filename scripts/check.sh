#!/bin/sh
# make check: every test, then one line of our own: "N passed, N failed[, N skipped]".
#
#   1. style: the tree is formatted with the committed .clang-format
#   2. unit tests (tests/unit, TAP) in the release build and under ASan+UBSan,
#      and every libFuzzer target (tests/fuzz) for a few seconds on its corpus
#   3. integration tests (tests/integration, bats) against the ASan+UBSan binaries
#   4. conformance: crun's own test suite, and podman/docker/containerd, against the release cellrt
#   5. the pure cgroup v2 guest (tests/vm) with the release cellrt
#
# Each part's TAP goes to build/check/*.tap; the tally reads them all.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out="$top/build/check"
rm -rf "$out"
mkdir -p "$out"

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=99"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=98"
# Leaks inside other projects' libraries, each explained in the file.
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp"

section() { printf '\n== %s\n' "$1"; }

# 1. style
section "style (clang-format)"
bad=$(find src tests -name '*.[ch]' -not -path 'tests/.cache/*' | sort | while read -r f; do
	clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || echo "$f"
done)
{
	echo "1..1"
	if [ -z "$bad" ]; then echo "ok 1 - sources follow .clang-format"; else
		echo "not ok 1 - sources follow .clang-format"
		echo "$bad" | sed 's/^/# needs make format: /'
	fi
} | tee "$out/style.tap"

# 2. unit tests, through meson
for b in build build-asan; do
	section "unit tests ($b)"
	meson test -C "$b" --no-rebuild --print-errorlogs --suite unit >"$out/meson-$b.log" 2>&1
	tail -n 8 "$out/meson-$b.log"
	jq -r '.stdout' "$b/meson-logs/testlog.json" >"$out/unit-$b.tap"
done

section "fuzz targets (${FUZZ_SECONDS:-5}s each)"
scripts/fuzz.sh "${FUZZ_SECONDS:-5}" | tee "$out/fuzz.tap"

# 3. integration tests
section "integration tests (bats, ASan+UBSan binaries)"
CELLRT="$top/build-asan/cellrt" CELL="$top/build-asan/cell" \
	bats --tap tests/integration 2>&1 | tee "$out/integration.tap"

# 4. conformance
section "conformance: crun's test suite against build/cellrt"
tests/conformance/crun-suite.sh build/cellrt 2>&1 | tee "$out/crun-suite.tap"
section "conformance: the runtime spec's MUSTs, and podman, docker and containerd driving build/cellrt"
CELLRT="$top/build/cellrt" bats --tap tests/conformance/spec.bats tests/conformance/binary.bats tests/conformance/clients.bats tests/conformance/clients-rootless.bats 2>&1 | tee "$out/clients.tap"

# 5. the VM
section "pure cgroup v2 guest (tests/vm, qemu)"
tests/vm/run.sh build/cellrt 2>&1 | tee "$out/vm.tap"

# The tally: ok / not ok / ok # SKIP, over every TAP file.
section "summary"
cat "$out"/*.tap | awk '
	/^not ok/ { fail++; print "FAILED: " $0; next }
	/^ok/ { if (tolower($0) ~ /# *skip/) skip++; else pass++ }
	END {
		line = sprintf("%d passed, %d failed", pass, fail)
		if (skip) line = line sprintf(", %d skipped", skip)
		print line
		exit (fail > 0 || pass == 0)
	}'
