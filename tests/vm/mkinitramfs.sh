#!/bin/sh
# Builds the guest's initramfs for tests/vm/run.sh:
#
#   mkinitramfs.sh CELLRT OUT.img
#
# The image holds busybox, the tools the tests use (bash, bats, jq, python3,
# coreutils' stat and env, procps' ps) with their libraries, every binary
# named in tests/vm/binaries (one command or path a line), the cellrt binary
# given, and the repository's tests laid out as in the tree under /cell, so
# that tests/integration/helpers.bash finds everything where it expects it.
set -eu
# Debian's own tools, not whatever a user's PATH puts first (pyenv shims…).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cellrt=$(realpath "$1")
out=$2
root=$(mktemp -d /tmp/cell-vm-root.XXXXXX)
trap 'rm -rf "$root"' EXIT

# A merged-/usr tree, as on the host, so that library paths match.
mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib" "$root/usr/lib64" "$root/etc" "$root/root" \
	"$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/run" "$root/newroot" "$root/cell"
for d in bin sbin lib lib64; do ln -s "usr/$d" "$root/$d"; done

# Copy host file $1 (and what a symlink on the way points to) into the tree.
copy_file() {
	real=$(realpath "$1")
	if [ ! -e "$root$real" ]; then
		mkdir -p "$(dirname "$root$real")"
		cp -p "$real" "$root$real"
	fi
	if [ "$real" != "$1" ] && [ ! -e "$root$1" ]; then
		mkdir -p "$(dirname "$root$1")"
		ln -s "$real" "$root$1"
	fi
}

# A binary and the shared libraries it loads.
copy_binary() {
	copy_file "$1"
	ldd "$1" 2>/dev/null | awk '/=> \//{print $3} /^[ \t]*\//{print $1}' | while read -r lib; do
		copy_file "$lib"
	done
}

for b in bash env jq python3 stat ps dbus-daemon; do
	copy_binary "$(command -v "$b")"
done
if [ -f "$here/binaries" ]; then
	grep -v '^[[:space:]]*\(#\|$\)' "$here/binaries" | while read -r b; do
		p=$(command -v "$b" || true)
		[ -n "$p" ] || { echo "mkinitramfs: $b (tests/vm/binaries) is not installed" >&2; exit 1; }
		copy_binary "$p"
	done
fi

# bats is a bash program in three places.
for d in /usr/lib/bats-core /usr/libexec/bats-core; do
	mkdir -p "$root$d"
	cp -a "$d/." "$root$d/"
done
cp -p /usr/bin/bats "$root/usr/bin/bats"

# python3's standard library, without what the tests never import, and the
# extension modules' libraries.
py=$(python3 -c 'import sys; print("/usr/lib/python%d.%d" % sys.version_info[:2])')
mkdir -p "$root$py"
(cd "$py" && tar -cf - --exclude='./test' --exclude='./idlelib' --exclude='./tkinter' --exclude='./turtledemo' \
	--exclude='./ensurepip' --exclude='./lib2to3' --exclude='./pydoc_data' --exclude='./config-*' \
	--exclude='./distutils' --exclude='./site-packages' --exclude='*.opt-1.pyc' --exclude='*.opt-2.pyc' .) |
	(cd "$root$py" && tar -xf -)
for so in "$root$py"/lib-dynload/*.so; do
	ldd "$so" 2>/dev/null | awk '/=> \//{print $3}' | while read -r lib; do copy_file "$lib"; done
done

# python3-dbus and python3-gi, for the scripted systemd1 of the
# --systemd-cgroup tests (tests/integration/systemd).
dist=/usr/lib/python3/dist-packages
mkdir -p "$root$dist"
for m in dbus gi _dbus_bindings.cpython-*.so _dbus_glib_bindings.cpython-*.so; do
	for f in $dist/$m; do
		[ -e "$f" ] && cp -a "$f" "$root$dist/"
	done
done
typelibs=$(ls -d /usr/lib/*-linux-gnu/girepository-1.0 2>/dev/null | head -1)
[ -z "$typelibs" ] || { mkdir -p "$root$typelibs" && cp -a "$typelibs/." "$root$typelibs/"; }
find "$root$dist" -name '*.so' | while read -r so; do
	ldd "$so" 2>/dev/null | awk '/=> \//{print $3}' | while read -r lib; do copy_file "$lib"; done
done

# busybox for everything else; the real tools copied above take precedence.
cp /bin/busybox "$root/usr/bin/busybox"
for applet in $(/bin/busybox --list); do
	[ -e "$root/usr/bin/$applet" ] || ln -s busybox "$root/usr/bin/$applet"
done

# The repository, as far as the guest's tests need it.
mkdir -p "$root/cell/build" "$root/cell/tests/.cache" "$root/cell/scripts"
cp -p "$cellrt" "$root/cell/build/cellrt"
copy_binary "$cellrt"
cp -a "$top/tests/integration" "$top/tests/vm" "$top/tests/conformance" "$root/cell/tests/"
cp -p "$top/scripts/busybox-rootfs.sh" "$root/cell/scripts/"
if [ ! -x "$top/tests/.cache/busybox-rootfs/bin/busybox" ]; then
	"$top/scripts/busybox-rootfs.sh" "$top/tests/.cache/busybox-rootfs.tmp.$$"
	mv -T "$top/tests/.cache/busybox-rootfs.tmp.$$" "$top/tests/.cache/busybox-rootfs"
fi
cp -a "$top/tests/.cache/busybox-rootfs" "$root/cell/tests/.cache/"
crun=$(ls -d "$top"/tests/.cache/crun-*/ 2>/dev/null | head -1 || true)
if [ -n "$crun" ] && [ -x "$crun/tests/init" ]; then
	name=$(basename "$crun")
	mkdir -p "$root/cell/tests/.cache/$name"
	cp -a "$crun/tests" "$root/cell/tests/.cache/$name/"
fi

# Kernel modules the guest tests need (tests/vm/modules, one a line), with
# what they depend on, from the kernel package run.sh unpacked.
if [ -f "$here/modules" ]; then
	kdir=$(ls -d "$top"/tests/.cache/vm/k 2>/dev/null || true)
	kver=$(ls "$kdir/lib/modules" | head -1)
	mods=$(grep -v '^[[:space:]]*\(#\|$\)' "$here/modules")
	depmod -b "$kdir" "$kver"
	for m in $mods; do
		modprobe -d "$kdir" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
	done | sort -u | while read -r ko; do
		rel=${ko#"$kdir"}
		mkdir -p "$(dirname "$root$rel")"
		cp -p "$ko" "$root$rel"
	done
	mkdir -p "$root/lib/modules/$kver"
	depmod -b "$root" "$kver"
	echo "$mods" >"$root/etc/cell-modules"
fi

cp "$here/guest-init.sh" "$root/init"
chmod 755 "$root/init"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

(cd "$root" && find . -print | /bin/busybox cpio -o -H newc 2>/dev/null) | zstd -q -3 -T0 >"$out.tmp"
mv "$out.tmp" "$out"
