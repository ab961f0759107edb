#!/bin/sh
# make bench: every benchmark in bench/ (each NAME.sh is one), one after the
# other, each printing its own table of ratios measured in the same run.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
for b in "$here"/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	echo "== $(basename "$b" .sh)"
	"$b"
done
