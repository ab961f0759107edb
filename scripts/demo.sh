#!/bin/sh
# make demo: the engine as its users meet it, on the built-in image
# localhost/busybox:latest (made by `make image` from busybox-static, no
# registry): a foreground `cell run`, a detached one with `cell logs` and
# `cell exec`, `cell ps`, `cell stop` and `cell rm`. The store is the default
# one (or --root $CELL_ROOT); the demo's container is named cell-demo-<pid> and
# removed at the end, whatever happens.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cell="$top/build/cell"
set -- ${CELL_ROOT:+--root "$CELL_ROOT"}
name=cell-demo-$$
trap '"$cell" "$@" rm -f "$name" >/dev/null 2>&1 || true' EXIT
img=localhost/busybox:latest

step() {
	printf '\n$ cell %s\n' "$*"
}

step images
"$cell" "$@" images

step run --rm $img sh -c '...'
"$cell" "$@" run --rm --hostname demo $img sh -c \
	'echo "hostname: $(hostname)"; echo "my pid: $$"; echo "processes I can see:"; ps -o pid,comm'

step run -d --name "$name" $img sh -c '...'
"$cell" "$@" run -d --name "$name" $img sh -c \
	'trap "exit 0" TERM; i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.2; done'
sleep 1

step ps
"$cell" "$@" ps

step logs --tail 3 "$name"
"$cell" "$@" logs --tail 3 "$name"

step exec "$name" sh -c '...'
"$cell" "$@" exec "$name" sh -c 'echo "in the same container: $(hostname), pid 1 is $(cat /proc/1/comm)"'

step stop -t 2 "$name"
"$cell" "$@" stop -t 2 "$name"

step ps -a --filter name="$name"
"$cell" "$@" ps -a --filter name="$name"

step rm "$name"
"$cell" "$@" rm "$name"

step ps -a --filter name="$name"
"$cell" "$@" ps -a --filter name="$name"
