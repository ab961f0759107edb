#!/usr/bin/env bats
# Real clients driving cellrt: podman (--runtime), dockerd (--add-runtime)
# and containerd (ctr run --runc-binary, the runc v2 shim: the path
# Kubernetes takes). Each client is started by these tests on loopback with
# its own state, and stopped afterwards. The image is made locally from
# busybox-static, never downloaded.

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
CELLRT=${CELLRT:-$TOP/build/cellrt}

# The clients make parent cgroups of their own (libpod_parent, docker,
# default) and leave them; the tests remove what was not there before.
cgroup_dirs() {
	find /sys/fs/cgroup -mindepth 2 -maxdepth 4 -type d 2>/dev/null | sort
}

setup_file() {
	export W
	W=$(mktemp -d /tmp/cell-clients.XXXXXX)
	cgroup_dirs >"$W/cgroups.before"
	"$TOP/scripts/busybox-rootfs.sh" "$W/rootfs"
	tar -C "$W/rootfs" -cf "$W/rootfs.tar" .
	# This host's hard limits are lower than the clients' defaults (no
	# CAP_SYS_RESOURCE here); the containers ask for what the host allows.
	export ULIMITS="--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
	export PODMAN="podman --root $W/podman --runroot $W/podman-run --storage-driver vfs --cgroup-manager cgroupfs --events-backend file --runtime $CELLRT"
	$PODMAN import "$W/rootfs.tar" localhost/cellbb:latest >/dev/null
	$PODMAN save -o "$W/image.tar" localhost/cellbb:latest >/dev/null

	# containerd, then dockerd on top of it
	mkdir -p "$W/ctd"
	cat >"$W/ctd/config.toml" <<CFG
version = 2
root = "$W/ctd/root"
state = "$W/ctd/state"
[grpc]
  address = "$W/ctd/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  disable = true
CFG
	containerd --config "$W/ctd/config.toml" >"$W/ctd/log" 2>&1 &
	echo $! >"$W/ctd/pid"
	export CTR="ctr --address $W/ctd/containerd.sock"
	for _ in $(seq 100); do [ -S "$W/ctd/containerd.sock" ] && break; sleep 0.1; done
	$CTR image import "$W/image.tar" >/dev/null

	mkdir -p "$W/docker"
	dockerd --data-root "$W/docker/data" --exec-root "$W/docker/exec" --pidfile "$W/docker/pid" \
		-H "unix://$W/docker/docker.sock" --iptables=false --ip6tables=false --bridge=none \
		--containerd "$W/ctd/containerd.sock" --add-runtime "cell=$CELLRT" >"$W/docker/log" 2>&1 &
	export DOCKER="docker -H unix://$W/docker/docker.sock"
	for _ in $(seq 150); do $DOCKER info >/dev/null 2>&1 && break; sleep 0.1; done
	$DOCKER load -i "$W/image.tar" >/dev/null
}

teardown_file() {
	$PODMAN rm -af >/dev/null 2>&1 || true
	$DOCKER rm -f $($DOCKER ps -aq) >/dev/null 2>&1 || true
	[ -f "$W/docker/pid" ] && kill "$(cat "$W/docker/pid")" 2>/dev/null
	for _ in $(seq 100); do [ -f "$W/docker/pid" ] || break; sleep 0.1; done
	kill "$(cat "$W/ctd/pid")" 2>/dev/null || true
	wait 2>/dev/null || true
	grep " $W" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
	$PODMAN system reset -f >/dev/null 2>&1 || true
	cgroup_dirs | comm -13 "$W/cgroups.before" - | sort -r | xargs -r rmdir 2>/dev/null || true
	rm -rf "$W"
}

@test "podman: run prints the container's output and returns its exit status" {
	run $PODMAN run --rm --network none $ULIMITS localhost/cellbb sh -c 'echo hello; hostname; exit 3'
	[ "$status" -eq 3 ]
	[ "${lines[0]}" = hello ]
}

@test "podman: --rm leaves nothing, in podman or in cellrt" {
	$PODMAN run --rm --network none $ULIMITS localhost/cellbb true
	[ -z "$($PODMAN ps -aq)" ]
}

@test "podman: a detached container, its logs, top, stop and kill" {
	$PODMAN run -d --name web --network none $ULIMITS localhost/cellbb sh -c 'echo up; trap "exit 0" TERM; while :; do sleep 0.1; done'
	# the log line is there once the shell ran; poll, a loaded machine is slow
	for _ in $(seq 100); do
		run $PODMAN logs web
		[ "$output" = up ] && break
		sleep 0.1
	done
	[ "$output" = up ]
	run $PODMAN top web
	[[ "$output" == *sleep* || "$output" == *sh* ]]
	$PODMAN stop -t 5 web
	[ "$($PODMAN inspect -f '{{.State.ExitCode}}' web)" = 0 ]
	$PODMAN start web
	$PODMAN kill web
	$PODMAN wait web
	$PODMAN rm web
}

@test "docker: run with output and exit status through containerd's shim" {
	run $DOCKER run --rm --runtime cell --network none $ULIMITS localhost/cellbb:latest sh -c 'echo from-docker; exit 5'
	[ "$status" -eq 5 ]
	[ "$output" = from-docker ]
}

@test "docker: a detached container, logs, stop and rm" {
	$DOCKER run -d --name dweb --runtime cell --network none $ULIMITS localhost/cellbb:latest sh -c 'echo up; trap "exit 0" TERM; while :; do sleep 0.1; done'
	# the log line is there once the shell ran; poll, a loaded machine is slow
	for _ in $(seq 100); do
		run $DOCKER logs dweb
		[ "$output" = up ] && break
		sleep 0.1
	done
	[ "$output" = up ]
	$DOCKER stop -t 5 dweb
	[ "$($DOCKER inspect -f '{{.State.ExitCode}}' dweb)" = 0 ]
	$DOCKER rm dweb
}

@test "containerd: ctr run with cellrt as the runc binary" {
	run $CTR run --rm --runc-binary "$CELLRT" localhost/cellbb:latest c1 sh -c 'echo from-ctr; exit 4'
	[ "$status" -eq 4 ]
	[ "$output" = from-ctr ]
}

# The cgroup file of a container's init in a v1 controller, from the host.
cgroup_file() { # PID CONTROLLER FILE
	local path
	path=$(awk -F: -v c="$2" '$2 == c {print $3}' "/proc/$1/cgroup")
	cat "/sys/fs/cgroup/$2$path/$3"
}

@test "podman: -it through conmon and the console socket" {
	run script -qec "$PODMAN run -it --rm --network none $ULIMITS localhost/cellbb sh -c 'tty; test -t 0 && echo stdin-is-a-tty; exit 6'" /dev/null
	echo "$output"
	[ "$status" -eq 6 ]
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *stdin-is-a-tty* ]]
}

@test "podman: exec, pause and unpause" {
	$PODMAN run -d --name ex --network none $ULIMITS localhost/cellbb sh -c 'i=0; while :; do i=$((i + 1)); echo $i > /tmp/tick; sleep 0.05; done'
	run $PODMAN exec ex sh -c 'echo in-$(hostname); exit 4'
	[ "$status" -eq 4 ]
	[[ "$output" == in-* ]]
	root=$($PODMAN mount ex)
	$PODMAN pause ex
	[ "$($PODMAN inspect -f '{{.State.Status}}' ex)" = paused ]
	# frozen: the clock it writes stands still
	a=$(cat "$root/tmp/tick")
	sleep 0.3
	[ "$(cat "$root/tmp/tick")" = "$a" ]
	$PODMAN unpause ex
	[ "$($PODMAN inspect -f '{{.State.Status}}' ex)" = running ]
	for _ in $(seq 50); do
		[ "$(cat "$root/tmp/tick")" != "$a" ] && break
		sleep 0.1
	done
	[ "$(cat "$root/tmp/tick")" != "$a" ]
	$PODMAN unmount ex >/dev/null
	$PODMAN rm -f ex
}

@test "podman: --memory and --pids-limit reach the container's cgroups" {
	$PODMAN run -d --name lim --network none --memory 64m --pids-limit 42 $ULIMITS localhost/cellbb sleep 1000
	pid=$($PODMAN inspect -f '{{.State.Pid}}' lim)
	[ "$(cgroup_file "$pid" memory memory.limit_in_bytes)" = $((64 * 1024 * 1024)) ]
	[ "$(cgroup_file "$pid" pids pids.max)" = 42 ]
	$PODMAN rm -f lim
}

@test "docker: -it through the shim's console socket" {
	run script -qec "$DOCKER run -it --rm --runtime cell --network none $ULIMITS localhost/cellbb:latest sh -c 'tty; exit 6'" /dev/null
	echo "$output"
	[ "$status" -eq 6 ]
	[[ "$output" == *"/dev/pts/0"* ]]
}

@test "docker: exec, pause and unpause, top, --memory and --pids-limit" {
	$DOCKER run -d --name dex --runtime cell --network none --memory 64m --pids-limit 42 $ULIMITS localhost/cellbb:latest sleep 1000
	run $DOCKER exec dex sh -c 'echo in-container; exit 4'
	[ "$status" -eq 4 ]
	[ "$output" = in-container ]
	run $DOCKER top dex
	[[ "$output" == *"sleep 1000"* ]]
	$DOCKER pause dex
	[ "$($DOCKER inspect -f '{{.State.Status}}' dex)" = paused ]
	$DOCKER unpause dex
	[ "$($DOCKER inspect -f '{{.State.Status}}' dex)" = running ]
	pid=$($DOCKER inspect -f '{{.State.Pid}}' dex)
	[ "$(cgroup_file "$pid" memory memory.limit_in_bytes)" = $((64 * 1024 * 1024)) ]
	[ "$(cgroup_file "$pid" pids pids.max)" = 42 ]
	$DOCKER rm -f dex
}

@test "docker: kill and --rm" {
	$DOCKER run -d --name dk --runtime cell --network none $ULIMITS localhost/cellbb:latest sleep 1000
	$DOCKER kill dk
	[ "$($DOCKER inspect -f '{{.State.Status}}' dk)" = exited ]
	$DOCKER rm dk
	$DOCKER run --rm --name drm --runtime cell --network none $ULIMITS localhost/cellbb:latest true
	run $DOCKER inspect drm
	[ "$status" -ne 0 ]
}

@test "containerd: a detached task, exec into it, kill" {
	$CTR run -d --runc-binary "$CELLRT" localhost/cellbb:latest t1 sleep 1000
	run $CTR task exec --exec-id e1 t1 sh -c 'echo via-ctr-exec; exit 2'
	[ "$status" -eq 2 ]
	[ "$output" = via-ctr-exec ]
	$CTR task kill -s KILL t1
	for _ in $(seq 50); do $CTR task ls | grep -q "t1.*STOPPED" && break; sleep 0.1; done
	$CTR task rm t1
	$CTR container rm t1
}
