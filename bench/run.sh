#!/bin/sh
# make bench: every benchmark in bench/ (each NAME.sh is one), one after the
# other, each printing its own table of ratios measured in the same run.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# What the benchmarks leave is removed after the last one (bench/common.inc).
BENCH_TRASH=$(mktemp -d /var/tmp/cell-bench-trash.XXXXXX)
export BENCH_TRASH
trap 'rm -rf "$BENCH_TRASH"' EXIT
for b in "$here"/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	echo "== $(basename "$b" .sh)"
	"$b"
done
