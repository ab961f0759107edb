#!/bin/sh
# The guests: boots Debian's cloud kernel under qemu (TCG; KVM with
# CELL_VM_KVM=1) with an initramfs of the built cellrt and the tests
# (mkinitramfs.sh), twice: with pure cgroup v2, running
# tests/integration/cgroups.bats, every tests/vm/guest/*.bats and crun's
# test_resources, test_update and test_limits; then with the v1 hierarchies
# of older hosts, running cgroups.bats again. It prints the TAP of what ran,
# one "# vm: LAYOUT/NAME" comment before each part. Anything that keeps a
# guest from reporting is a "not ok" line, never silence.
#
#   tests/vm/run.sh [CELLRT]      (default build/cellrt)
#
# The kernel package is fetched once into tests/.cache/vm with apt-get
# download and unpacked there; nothing is installed on the host.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache="$top/tests/.cache/vm"
out="$top/build/vm"
cellrt=${1:-$top/build/cellrt}
timeout=${CELL_VM_TIMEOUT:-3000}
mkdir -p "$cache" "$out"

fail() {
	echo "1..1"
	echo "not ok 1 - vm: $*"
	exit 0
}

[ -x "$cellrt" ] || fail "no cellrt binary at $cellrt (make build)"
qemu=$(command -v qemu-system-x86_64) || fail "qemu-system-x86_64 is missing (make deps installs qemu-system-x86)"

kernel=$(ls "$cache"/k/boot/vmlinuz-*-cloud-amd64 2>/dev/null | head -1)
if [ -z "$kernel" ]; then
	pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
	[ -n "$pkg" ] || fail "apt-cache knows no linux-image-cloud-amd64 (apt-get update?)"
	(cd "$cache" && rm -f ./*.deb && apt-get download -q "$pkg" >/dev/null 2>&1) ||
		fail "apt-get download $pkg failed"
	rm -rf "$cache/k"
	dpkg-deb -x "$cache"/linux-image-*.deb "$cache/k" || fail "unpack $pkg failed"
	kernel=$(ls "$cache"/k/boot/vmlinuz-*-cloud-amd64 | head -1)
fi

# crun's suite (sources and its probe binary), as the conformance run has it.
"$top/tests/conformance/crun-suite.sh" --prepare >/dev/null 2>"$out/crun-prepare.log" ||
	fail "preparing crun's test suite failed: $(tail -1 "$out/crun-prepare.log")"

"$here/mkinitramfs.sh" "$cellrt" "$out/initramfs.img" 2>"$out/mkinitramfs.log" ||
	fail "building the initramfs failed: $(tail -1 "$out/mkinitramfs.log")"

accel="-accel tcg,thread=multi"
[ "${CELL_VM_KVM:-0}" = 1 ] && accel="-accel kvm"

# boot LAYOUT: one guest; its sections as TAP on stdout.
boot() {
	layout=$1
	rm -f "$out/console-$layout.log" "$out/results-$layout.txt"
	# shellcheck disable=SC2086
	timeout "$timeout" "$qemu" $accel -cpu max -m 2048 -smp 2 -nodefaults -display none -no-reboot \
		-monitor none -serial "file:$out/console-$layout.log" -serial "file:$out/results-$layout.txt" \
		-kernel "$kernel" -initrd "$out/initramfs.img" \
		-append "console=ttyS0 loglevel=1 panic=-1 rdinit=/init cell.cgroup=$layout" >"$out/qemu-$layout.log" 2>&1
	rc=$?
	tr -d '\r' <"$out/results-$layout.txt" 2>/dev/null | awk -v rc="$rc" -v timeout="$timeout" -v layout="$layout" '
		/^@@BEGIN / { name = substr($0, 9); print "# vm: " name; open = 1; next }
		/^@@END / { open = 0; next }
		/^@@DONE/ { done = 1; next }
		open { print }
		END {
			if (open) { print "not ok 1 - vm: " name " did not finish" }
			if (!done) {
				print "1..1"
				if (rc == 124) print "not ok 1 - vm: the " layout " guest did not finish within " timeout " s (build/vm/console-" layout ".log)"
				else print "not ok 1 - vm: the " layout " guest stopped before it finished, qemu status " rc " (build/vm/console-" layout ".log)"
			}
		}'
}

boot v2
boot v1
