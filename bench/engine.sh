#!/bin/sh
# Engine benchmarks: `cell run --rm IMAGE true` side by side with `podman run
# --rm` and `docker run --rm` (--network none for all three), and the idle
# memory a detached container costs: cell's monitor against podman's conmon.
# Each engine gets a private state directory and the same busybox image,
# imported from busybox-static (no registry); dockerd (with its containerd)
# is started here and stopped at the end. podman runs runc (crun 1.8 refuses
# this host's hybrid cgroup layout), as docker does. Reported as ratios to
# podman; targets from issue 8: time at most 0.1x podman's, monitor memory at
# most half of conmon's.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/common.inc"
N=${BENCH_N:-30}
IDLE=${BENCH_IDLE:-10}
work=$(mktemp -d /tmp/cell-bench-engine.XXXXXX)
cell_bin="$top/build/cell"

CELL="$cell_bin --root $work/cell --runroot $work/cell-run"
PODMAN="podman --root $work/podman --runroot $work/podman-run --storage-driver overlay --cgroup-manager cgroupfs --events-backend file --runtime runc"
DOCKER="docker -H unix://$work/docker/docker.sock"
# This host's hard limits are lower than podman's and docker's defaults.
ULIMITS="--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"

# podman and docker make parent cgroups of their own and leave them: the
# clean-up removes what was not there before.
cgroup_dirs() {
	find /sys/fs/cgroup -mindepth 2 -maxdepth 4 -type d 2>/dev/null | sort
}
cgroup_dirs >"$work/cgroups.before"

cleanup() {
	$CELL rm -af >/dev/null 2>&1 || true
	$PODMAN rm -af >/dev/null 2>&1 || true
	$DOCKER rm -f $($DOCKER ps -aq 2>/dev/null) >/dev/null 2>&1 || true
	[ -f "$work/docker/pid" ] && kill "$(cat "$work/docker/pid")" 2>/dev/null
	for _ in $(seq 100); do [ -f "$work/docker/pid" ] || break; sleep 0.1; done
	[ -f "$work/ctd/pid" ] && kill "$(cat "$work/ctd/pid")" 2>/dev/null
	sleep 0.5
	grep " $work" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
	$PODMAN system reset -f >/dev/null 2>&1 || true
	cgroup_dirs | comm -13 "$work/cgroups.before" - | sort -r | xargs -r rmdir 2>/dev/null || true
	remove_work "$work"
}
trap cleanup EXIT

"$top/scripts/busybox-rootfs.sh" "$work/rootfs"
tar -C "$work/rootfs" --numeric-owner -cf "$work/rootfs.tar" .
$CELL import --change 'CMD ["sh"]' "$work/rootfs.tar" localhost/benchbb >/dev/null
$PODMAN import "$work/rootfs.tar" localhost/benchbb:latest >/dev/null 2>&1
$PODMAN save -o "$work/image.tar" localhost/benchbb:latest >/dev/null 2>&1

mkdir -p "$work/ctd" "$work/docker"
cat >"$work/ctd/config.toml" <<CFG
version = 2
root = "$work/ctd/root"
state = "$work/ctd/state"
[grpc]
  address = "$work/ctd/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  disable = true
CFG
containerd --config "$work/ctd/config.toml" >"$work/ctd/log" 2>&1 &
echo $! >"$work/ctd/pid"
for _ in $(seq 100); do [ -S "$work/ctd/containerd.sock" ] && break; sleep 0.1; done
dockerd --data-root "$work/docker/data" --exec-root "$work/docker/exec" --pidfile "$work/docker/pid" \
	-H "unix://$work/docker/docker.sock" --iptables=false --ip6tables=false --bridge=none \
	--containerd "$work/ctd/containerd.sock" >"$work/docker/log" 2>&1 &
for _ in $(seq 150); do $DOCKER info >/dev/null 2>&1 && break; sleep 0.1; done
$DOCKER load -i "$work/image.tar" >/dev/null

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

median_ms() { # hyperfine's JSON → median in ms
	jq -r '.results[0].median * 1000 | . * 100 | round / 100' "$1"
}

printf '%s\n' "engine benchmarks on $(uname -r), $(nproc) cores, $(date -u +%Y-%m-%d); $N runs each"
printf '\n%-8s %14s %10s\n' engine "run --rm (ms)" "x podman"
for e in cell podman docker; do
	case $e in
	cell) cmd="$CELL run --rm --network none localhost/benchbb true" ;;
	podman) cmd="$PODMAN run --rm --network none $ULIMITS localhost/benchbb true" ;;
	docker) cmd="$DOCKER run --rm --network none $ULIMITS localhost/benchbb true" ;;
	esac
	hyperfine -N --style none --warmup 2 --runs "$N" --export-json "$work/$e.json" "$cmd" >/dev/null
	eval "t_$e=\$(median_ms \"\$work/\$e.json\")"
done
for e in cell podman docker; do
	eval "t=\$t_$e"
	printf '%-8s %14s %10s\n' "$e" "$t" "$(ratio "$t" "$t_podman")"
done

# Idle memory: IDLE detached sleepers each; the resident and proportional
# set sizes (kB) of their monitors, averaged.
mem() { # pid... → "rss pss" averaged over the pids
	for p in "$@"; do
		awk '/^Rss:/ { r = $2 } /^Pss:/ { s = $2 } END { print r, s }' "/proc/$p/smaps_rollup"
	done | awk '{ r += $1; s += $2; n++ } END { printf "%d %d\n", r / n, s / n }'
}
for _ in $(seq "$IDLE"); do
	$CELL run -d --network none localhost/benchbb sleep 1000 >/dev/null
	$PODMAN run -d --network none $ULIMITS localhost/benchbb sleep 1000 >/dev/null
done
sleep 1
cell_mons=$(for id in $($CELL ps -q); do $CELL inspect -f '{{.State.MonitorPid}}' "$id"; done)
conmons=$(for id in $($PODMAN ps -q); do $PODMAN inspect -f '{{.State.ConmonPid}}' "$id"; done)
# shellcheck disable=SC2086
set -- $(mem $cell_mons) $(mem $conmons)
printf '\n%-14s %9s %9s %10s\n' monitor "RSS (kB)" "PSS (kB)" "x conmon"
printf '%-14s %9s %9s %10s\n' cell-monitor "$1" "$2" "$(ratio "$1" "$3")"
printf '%-14s %9s %9s %10s\n' conmon "$3" "$4" 1
