#!/bin/sh
# Runs every fuzz target of build-fuzz for SECONDS seconds on its corpus
# (tests/fuzz/corpus/NAME/, read-only: new inputs go to a scratch directory)
# and prints TAP, one test per target. Crash reproducers land in
# build/check/fuzz-artifacts/.
#
#   scripts/fuzz.sh SECONDS
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-5}
bin="$top/build-fuzz/tests/fuzz"
art="$top/build/check/fuzz-artifacts"
mkdir -p "$art"
targets=""
for t in "$bin"/fuzz_*; do
	[ -f "$t" ] && [ -x "$t" ] && targets="$targets $t"
done
targets=${targets# }
if [ -z "$targets" ]; then
	echo "1..1"
	echo "not ok 1 - fuzz targets built (run make fuzz)"
	exit 1
fi
echo "1..$(echo "$targets" | wc -w)"
n=0
fail=0
for t in $targets; do
	n=$((n + 1))
	name=$(basename "$t")
	corpus="$top/tests/fuzz/corpus/${name#fuzz_}"
	scratch=$(mktemp -d)
	dict=""
	[ -f "$top/tests/fuzz/${name}.dict" ] && dict="-dict=$top/tests/fuzz/${name}.dict"
	log="$art/$name.log"
	# shellcheck disable=SC2086
	if ASAN_OPTIONS="detect_leaks=1" "$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$art/$name-" $dict "$scratch" "$corpus" >"$log" 2>&1; then
		runs=$(grep -o 'Done [0-9]* runs' "$log" | tail -1)
		echo "ok $n - $name: ${runs:-ran} in ${secs}s"
	else
		echo "not ok $n - $name: see $log"
		tail -n 30 "$log" | sed 's/^/# /'
		fail=1
	fi
	rm -rf "$scratch"
done
exit $fail
