#!/bin/sh
# make bench: every benchmark (bench/*.sh), one after the other.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
for b in "$here"/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	echo "== $(basename "$b" .sh)"
	"$b"
done
