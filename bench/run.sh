#!/bin/sh
# make bench: every benchmark, one after the other.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
for b in "$here"/runtime.sh; do
	echo "== $(basename "$b" .sh)"
	"$b"
done
