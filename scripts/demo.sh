#!/bin/sh
# make demo: the built-in image localhost/busybox:latest (made by `make
# image` from busybox-static, no registry), mounted read-only from the store
# as the root of a bundle (config from `cellrt spec`), and one container
# that shows its own isolation.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cellrt="$top/build/cellrt"
cell="$top/build/cell"
set -- ${CELL_ROOT:+--root "$CELL_ROOT"}
bundle=$(mktemp -d /tmp/cell-demo.XXXXXX)
root=$(mktemp -d /tmp/cell-demo-state.XXXXXX)
trap '"$cell" "$@" image unmount localhost/busybox:latest; rm -rf "$bundle" "$root"' EXIT

echo "== cell images"
"$cell" "$@" images
rootfs=$("$cell" "$@" image mount localhost/busybox:latest)
(cd "$bundle" && "$cellrt" spec)
jq --arg r "$rootfs" '.root = {"path": $r, "readonly": true}' "$bundle/config.json" >"$bundle/config.new"
mv "$bundle/config.new" "$bundle/config.json"
# The default spec asks for a terminal (as runc's does); the demo prints to
# the make output instead, and shows what the container sees.
jq '.process.terminal = false | .hostname = "cell-demo" | .process.args = ["sh", "-c",
  "echo \"hostname: $(hostname)\"; echo \"my pid: $$ (pid 1 is $(cat /proc/1/comm))\"; echo \"processes I can see:\"; ps -o pid,comm; echo \"my mounts:\"; cat /proc/self/mountinfo | cut -d\" \" -f5,9 | column -t 2>/dev/null || cat /proc/self/mountinfo | cut -d\" \" -f5,9"]' \
	"$bundle/config.json" > "$bundle/config.new" && mv "$bundle/config.new" "$bundle/config.json"

echo "== cellrt run demo (bundle $bundle)"
"$cellrt" --root "$root" run --bundle "$bundle" demo
echo "== the container exited; cellrt list shows nothing left:"
"$cellrt" --root "$root" list
