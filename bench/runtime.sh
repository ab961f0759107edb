#!/bin/sh
# Runtime benchmarks: cellrt side by side with runc and crun, measured in one
# run, reported as ratios to crun (never as pass/fail on absolute times).
#
# crun 1.8 refuses this host's hybrid cgroup layout, so every runtime runs in
# a private mount namespace with /sys/fs/cgroup/unified unmounted: the same
# conditions for all three. The bundle is busybox with the default spec of
# `cellrt spec`, no terminal, /bin/true; ociVersion is written as 1.0.2
# because crun 1.8 refuses 1.2.0.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/common.inc"
N=${BENCH_N:-100}
CONCURRENT=${BENCH_CONCURRENT:-50}
work=$(mktemp -d /tmp/cell-bench.XXXXXX)
# The runtimes keep their state on a tmpfs, as they do under the engines
# (podman: /run/crun, containerd: /run/containerd/runc; this machine has no
# tmpfs on /run). On this VM's ext4 without a journal, a file created soon
# after others were deleted costs a scan over the deleted inodes, and that
# measured the file system's history (several milliseconds for every
# runtime), not the runtimes.
mkdir "$work/run"
mount -t tmpfs -o mode=0700,size=64m cell-bench "$work/run"
trap 'umount "$work/run"; remove_work "$work"' EXIT

cellrt="$top/build/cellrt"
runtimes="cellrt:$cellrt crun:$(command -v crun) runc:$(command -v runc)"

"$top/scripts/busybox-rootfs.sh" "$work/bundle/rootfs"
(cd "$work/bundle" && "$cellrt" spec)
jq '.ociVersion = "1.0.2" | .process.terminal = false | .process.args = ["/bin/true"]' \
	"$work/bundle/config.json" >"$work/c" && mv "$work/c" "$work/bundle/config.json"
cp -r "$work/bundle" "$work/sleeper"
jq '.process.args = ["/bin/sleep", "1000"]' "$work/bundle/config.json" >"$work/sleeper/config.json"

# Run a shell snippet in the conditions every runtime gets.
inns() {
	unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; '"$1"
}

ROUNDS=${BENCH_ROUNDS:-5}
printf '%s\n' "runtime benchmarks on $(uname -r), $(nproc) cores, $(date -u +%Y-%m-%d); $N runs each, in $ROUNDS interleaved rounds"
rows="$work/rows"
: >"$rows"

# time_round NAME METRIC MODE CMD: one round of CMD (N/ROUNDS runs), its times (ms)
# appended to $work/NAME-METRIC.times. The runtimes take turns round by
# round, so that a drift of the machine (page cache, the file system's
# allocator after many deletions) weighs on all of them alike. MODE -N runs
# CMD directly; "shell" through hyperfine's shell, whose own start it
# subtracts (for commands joined with &&).
per_round=$(( (N + ROUNDS - 1) / ROUNDS ))
time_round() {
	mode=$3
	[ "$mode" = shell ] && mode=""
	inns "hyperfine $mode --style none --warmup 2 --runs $per_round --export-json $work/round.json '$4'" >/dev/null
	jq -r '.results[0].times[] * 1000' "$work/round.json" >>"$work/$1-$2.times"
}
median_of() { # the median of a file of numbers, two decimals
	sort -n "$1" | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f\n", m }'
}

# a sleeping container per runtime for exec
for rt in $runtimes; do
	name=${rt%%:*}
	bin=${rt#*:}
	inns "$bin --root $work/run/state-$name run -d --bundle $work/sleeper x </dev/null >/dev/null 2>&1"
done
for round in $(seq "$ROUNDS"); do
	for rt in $runtimes; do
		name=${rt%%:*}
		bin=${rt#*:}
		root="$work/run/state-$name"
		# run: sequential
		time_round "$name" run -N "$bin --root $root run --bundle $work/bundle b"
		# create + start + delete
		time_round "$name" csd shell "$bin --root $root create --bundle $work/bundle c </dev/null >/dev/null 2>&1 && $bin --root $root start c && $bin --root $root delete -f c"
		# exec into the running container
		time_round "$name" exec -N "$bin --root $root exec x /bin/true"
	done
done
for rt in $runtimes; do
	name=${rt%%:*}
	bin=${rt#*:}
	root="$work/run/state-$name"
	inns "$bin --root $root delete -f x >/dev/null 2>&1"
	run=$(median_of "$work/$name-run.times")
	csd=$(median_of "$work/$name-csd.times")
	exec_ms=$(median_of "$work/$name-exec.times")
	# many at once: wall time for CONCURRENT detached containers to start
	conc=$(inns "s=\$(date +%s%N); for i in \$(seq $CONCURRENT); do $bin --root $root run -d --bundle $work/sleeper p\$i </dev/null >/dev/null 2>&1 & done; wait; e=\$(date +%s%N); \
		for i in \$(seq $CONCURRENT); do $bin --root $root delete -f p\$i >/dev/null 2>&1; done; echo \$(( (e - s) / 1000000 ))")
	# peak RSS of the runtime process over one run
	rss=$(inns "/usr/bin/time -f %M $bin --root $root run --bundle $work/bundle r 2>&1 >/dev/null | tail -1")
	# size of the binary as installed: stripped of symbols and debug info
	strip -o "$work/$name.stripped" "$bin"
	size=$(stat -c %s "$work/$name.stripped")
	echo "$name $run $csd $exec_ms $conc $rss $size" >>"$rows"
done

awk '
	{ name[NR] = $1; for (i = 2; i <= 7; i++) v[NR, i] = $i; if ($1 == "crun") c = NR }
	END {
		split("run (ms, median)|create+start+delete (ms, median)|exec (ms, median)|'"$CONCURRENT"' started at once (ms, total)|peak RSS (KiB)|stripped binary (bytes)", label, "|")
		printf "%-34s", "metric"
		for (r = 1; r <= NR; r++) printf "%14s", name[r]
		printf "%14s\n", "cellrt/crun"
		for (i = 2; i <= 7; i++) {
			printf "%-34s", label[i - 1]
			for (r = 1; r <= NR; r++) printf "%14s", v[r, i]
			printf "%14.2f\n", v[1, i] / v[c, i]
		}
	}' "$rows"
