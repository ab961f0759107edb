#!/bin/busybox sh
# The guest's init (tests/vm): pure cgroup v2, then the tests, their TAP on
# the second serial port (/dev/ttyS1) between "@@BEGIN NAME" and "@@END NAME"
# lines, "@@DONE" at the end, then power off. The console (ttyS0) gets
# everything else.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C TERM=dumb

if [ ! -e /.stage2 ]; then
	# The initramfs is rootfs, which cannot be pivot_root'ed away from, and
	# containers pivot: move everything to a tmpfs and start again there.
	mount -t proc proc /proc
	mount -t tmpfs -o mode=755 tmpfs /newroot
	for x in /*; do
		case "$x" in
		/proc | /sys | /dev | /newroot) mkdir -p "/newroot$x" ;;
		*) cp -a "$x" /newroot/ ;;
		esac
	done
	touch /newroot/.stage2
	umount /proc
	exec switch_root /newroot /init
fi

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
# cell.cgroup=v1 on the command line: the layout of older hosts, one
# hierarchy per controller; otherwise pure cgroup v2.
layout=v2
grep -q 'cell.cgroup=v1' /proc/cmdline && layout=v1
if [ $layout = v1 ]; then
	mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup
	for c in cpu,cpuacct cpuset memory devices freezer blkio pids hugetlb net_cls,net_prio perf_event rdma; do
		mkdir /sys/fs/cgroup/$c
		mount -t cgroup -o $c cgroup /sys/fs/cgroup/$c 2>/dev/null || rmdir /sys/fs/cgroup/$c
	done
	ln -s cpu,cpuacct /sys/fs/cgroup/cpu
	ln -s cpu,cpuacct /sys/fs/cgroup/cpuacct
	ln -s net_cls,net_prio /sys/fs/cgroup/net_cls
	ln -s net_cls,net_prio /sys/fs/cgroup/net_prio
else
	mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
fi
[ -f /etc/cell-modules ] && for m in $(cat /etc/cell-modules); do modprobe "$m"; done
mount --make-rshared /
hostname cell-vm
ip link set lo up 2>/dev/null
stty -F /dev/ttyS1 raw -echo 2>/dev/null
out=/dev/ttyS1

echo "cell-vm: kernel $(uname -r), cgroup $layout: $(ls /sys/fs/cgroup | tr '\n' ' ')"
# The tests stay in the root cgroup, the one cgroup that may hold processes
# and still give controllers to its children (the containers' cgroups).

section() {
	name=$1
	shift
	echo "cell-vm: running $name"
	echo "@@BEGIN $name" >$out
	"$@" >$out 2>/dev/console
	echo "@@END $name" >$out
}

cd /cell || exit 1
export CELLRT=/cell/build/cellrt
section "$layout/integration/cgroups.bats" bats --tap tests/integration/cgroups.bats
if [ $layout = v1 ]; then
	echo "@@DONE" >$out
	sync
	poweroff -f
fi
for f in tests/vm/guest/*.bats; do
	[ -e "$f" ] || continue
	section "vm/guest/$(basename "$f")" bats --tap "$f"
done

# crun's own tests of cgroup resources, as tests/conformance/crun-suite.sh
# runs them on the host.
crun=$(ls -d /cell/tests/.cache/crun-*/ 2>/dev/null | head -1)
if [ -n "$crun" ]; then
	for f in test_resources test_update test_limits; do
		(cd "$crun" && section "crun/$f" env OCI_RUNTIME=$CELLRT INIT=tests/init \
			PYTHONPATH=/cell/tests/conformance python3 "tests/$f.py")
	done
else
	echo "@@BEGIN crun" >$out
	echo "1..1" >$out
	echo "not ok 1 - crun's test suite is not in the image (tests/.cache/crun-*)" >$out
	echo "@@END crun" >$out
fi

echo "@@DONE" >$out
sync
poweroff -f
