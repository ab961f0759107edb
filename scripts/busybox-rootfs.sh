#!/bin/sh
# Builds a minimal root file system from Debian's busybox-static into DIR:
# the busybox binary, a link per applet, /etc/passwd and /etc/group with
# root and a test user, and the usual empty mount points.
set -eu
dir=$1
bb=/bin/busybox
[ -x "$bb" ] || { echo "busybox-rootfs: $bb is missing (package busybox-static)" >&2; exit 1; }
mkdir -p "$dir/bin" "$dir/etc" "$dir/proc" "$dir/sys" "$dir/dev" "$dir/tmp" "$dir/root" "$dir/home/user"
cp "$bb" "$dir/bin/busybox"
for applet in $("$bb" --list); do
	[ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
done
mkdir -p "$dir/usr" "$dir/sbin"
ln -sfn ../bin "$dir/usr/bin"
cat > "$dir/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > "$dir/etc/group" <<'G'
root:x:0:
tty:x:5:
user:x:1000:
nogroup:x:65534:
G
chmod 1777 "$dir/tmp"
chown 1000:1000 "$dir/home/user"
