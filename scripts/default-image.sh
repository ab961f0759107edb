#!/bin/sh
# The built-in default image: localhost/busybox:latest, made from Debian's
# busybox-static (scripts/busybox-rootfs.sh) by `cell import`, in the default
# store (or --root $CELL_ROOT). No registry. The tarball is reproducible
# (sorted names, fixed times), so a rebuild finds the image up to date and
# leaves it alone.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cell=${CELL:-$top/build/cell}
name=localhost/busybox:latest
set -- ${CELL_ROOT:+--root "$CELL_ROOT"}

tmp=$(mktemp -d /tmp/cell-default-image.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$top/scripts/busybox-rootfs.sh" "$tmp/rootfs"
tar -C "$tmp/rootfs" --sort=name --mtime=@0 --numeric-owner --format=posix \
	--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -cf "$tmp/rootfs.tar" .
want=sha256:$(sha256sum "$tmp/rootfs.tar" | cut -d' ' -f1)
have=$("$cell" "$@" image inspect "$name" 2>/dev/null | jq -r '.[0].RootFS.Layers[0] // empty' || true)
if [ "$have" = "$want" ]; then
	echo "$name is up to date"
	exit 0
fi
"$cell" "$@" import -q -m "busybox-static from Debian, by scripts/default-image.sh" \
	--change 'CMD ["sh"]' \
	--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
	"$tmp/rootfs.tar" "$name"
echo "made $name: $("$cell" "$@" images | awk -v n=localhost/busybox '$1 == n && $2 == "latest"')"
