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
N=${BENCH_N:-100}
CONCURRENT=${BENCH_CONCURRENT:-50}
work=$(mktemp -d /tmp/cell-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

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

median_ms() { # hyperfine's JSON → median in ms
	jq -r '.results[0].median * 1000 | . * 100 | round / 100' "$1"
}

printf '%s\n' "runtime benchmarks on $(uname -r), $(nproc) cores, $(date -u +%Y-%m-%d); $N runs each"
rows="$work/rows"
: >"$rows"
for rt in $runtimes; do
	name=${rt%%:*}
	bin=${rt#*:}
	root="$work/state-$name"
	# run: sequential, median
	inns "hyperfine -N --style none --warmup 3 --runs $N --export-json $work/$name-run.json '$bin --root $root run --bundle $work/bundle b'" >/dev/null
	run=$(median_ms "$work/$name-run.json")
	# create + start + delete, median
	inns "hyperfine --style none --warmup 3 --runs $N --export-json $work/$name-csd.json \
		'$bin --root $root create --bundle $work/bundle c </dev/null >/dev/null 2>&1 && $bin --root $root start c && $bin --root $root delete -f c'" >/dev/null
	csd=$(median_ms "$work/$name-csd.json")
	# exec into a running container, median
	inns "$bin --root $root run -d --bundle $work/sleeper x </dev/null >/dev/null 2>&1"
	inns "hyperfine -N --style none --warmup 3 --runs $N --export-json $work/$name-exec.json '$bin --root $root exec x /bin/true'" >/dev/null
	exec_ms=$(median_ms "$work/$name-exec.json")
	inns "$bin --root $root delete -f x >/dev/null 2>&1"
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
