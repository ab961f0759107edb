#!/bin/sh
# Image benchmarks, side by side, ratios measured in this run (never
# absolute targets):
#   1. `cell load` against `podman load` of the same docker-archive: a
#      3-layer, ~280 MB image (the busybox root file system and two generated
#      data layers), each into a fresh store, overlay driver, page cache
#      flushed before every run;
#   2. cell's layer unpack against `tar -x` of the same layer tarball.
# BENCH_RUNS (default 5) runs of each; the medians are compared.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/common.inc"
cell=$top/build/cell
unpack=$top/build/bench/cell-bench-unpack
runs=${BENCH_RUNS:-5}
for b in "$cell" "$unpack"; do
	[ -x "$b" ] || { echo "bench/images: $b is missing (make build)" >&2; exit 1; }
done
command -v podman >/dev/null || { echo "bench/images: podman is missing (make deps)" >&2; exit 1; }

# On the disk the stores live on (not a tmpfs): the comparison is about it.
work=$(mktemp -d /var/tmp/cell-bench-images.XXXXXX)
cleanup() {
	for m in $(awk -v w="$work" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	remove_work "$work"
}
trap cleanup EXIT INT TERM

now() { date +%s%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
secs() { awk -v ns="$1" 'BEGIN { printf "%.3f", ns / 1e9 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "building the test image (no registry: busybox-static and generated data)"
"$top/scripts/busybox-rootfs.sh" "$work/rootfs"
tar -C "$work/rootfs" --numeric-owner -cf "$work/l1.tar" .
data_layers "$work" 600 25
rm -rf "$work/rootfs"
python3 "$top/tests/integration/make-archive.py" "$work/image.tar" localhost/bench:1 \
	"$work/l1.tar" "$work/l2.tar" "$work/l3.tar"
size=$(stat -c %s "$work/image.tar")
echo "image: 3 layers, $((size / 1000000)) MB docker-archive"

# One timed load into a fresh store (a new directory each run, all removed
# at the end: removing the last one right before would time the file
# system's cleanup, not the load); prints nanoseconds.
load_cell() {
	sync
	t0=$(now)
	"$cell" --root "$work/cell$1/root" --runroot "$work/cell$1/run" --storage-driver overlay load -q \
		-i "$work/image.tar"
	echo $(($(now) - t0))
}
load_podman() {
	sync
	t0=$(now)
	podman --root "$work/podman$1/root" --runroot "$work/podman$1/run" --storage-driver overlay \
		--events-backend none load -q -i "$work/image.tar" >/dev/null
	echo $(($(now) - t0))
}

# One untimed load of each first: the first run after building the image
# pays for its writeback, whoever it is.
load_cell w >/dev/null
load_podman w >/dev/null
: >"$work/cell.times"
: >"$work/podman.times"
i=0
while [ $i -lt "$runs" ]; do
	# alternate who goes first, so that neither always inherits the other's writeback
	if [ $((i % 2)) -eq 0 ]; then
		load_cell $i >>"$work/cell.times"
		load_podman $i >>"$work/podman.times"
	else
		load_podman $i >>"$work/podman.times"
		load_cell $i >>"$work/cell.times"
	fi
	i=$((i + 1))
done
c=$(median <"$work/cell.times")
p=$(median <"$work/podman.times")
echo "load runs (s): cell $(awk '{ printf "%.2f ", $1 / 1e9 }' "$work/cell.times")| podman $(awk '{ printf "%.2f ", $1 / 1e9 }' "$work/podman.times")"
echo "load ($runs runs, median): cell $(secs "$c") s, podman $(secs "$p") s, cell/podman = $(ratio "$c" "$p")"

# Unpack against tar -x, layer by layer, each run into a new directory.
# Nothing is removed before the end: the store is mounted with discard, and
# deleting gigabytes would slow the file system for whatever runs next.
for l in l2 l3; do
	: >"$work/u.times"
	: >"$work/t.times"
	i=0
	while [ $i -lt "$runs" ]; do
		mkdir "$work/t$l$i" "$work/u$l$i"
		sync
		t0=$(now)
		tar -C "$work/t$l$i" --numeric-owner -xpf "$work/$l.tar"
		echo $(($(now) - t0)) >>"$work/t.times"
		sync
		t0=$(now)
		"$unpack" "$work/$l.tar" "$work/u$l$i" overlay >/dev/null
		echo $(($(now) - t0)) >>"$work/u.times"
		i=$((i + 1))
	done
	u=$(median <"$work/u.times")
	t=$(median <"$work/t.times")
	mb=$(($(stat -c %s "$work/$l.tar") / 1000000))
	echo "unpack $l ($mb MB, $runs runs, median): cell $(secs "$u") s, tar -x $(secs "$t") s, cell/tar = $(ratio "$u" "$t")"
done
