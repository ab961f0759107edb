#!/usr/bin/env bats
# The known runtime escapes, each attempted against cellrt; every attack
# must fail. Where an attack needs a second, hostile container, it runs the
# static attacker from tests/helpers/attack.c.

load helpers
load security

teardown() {
	teardown_bundle2 || true
	# the containers first: an attacker still swapping names in the volume
	# would race the removal and leave part of it
	local r=0
	teardown_bundle || r=$?
	[ -z "${VOL:-}" ] || rm -rf "$VOL"
	return $r
}

# Up to 20 s for container $1 to stop.
wait_stopped() {
	local i
	for i in $(seq 1 200); do
		status_is "$1" stopped && return 0
		sleep 0.1
	done
	return 1
}

@test "CVE-2019-5736: a container cannot reach the runtime's binary through /proc/PID/exe" {
	install_attack "$BUNDLE"
	before=$(sha256sum <"$CELLRT")
	# A watches its pid namespace for runtime processes and goes for them
	update_config '.process.args = ["/attack", "exe", "6"]'
	"$CELLRT" --root "$STATE" run -d --bundle "$BUNDLE" "$CID" </dev/null >"$BUNDLE/attack.out" 2>&1
	apid=$(container_pid "$CID")
	# B joins A's pid namespace: from its create to its exec, its init is
	# the runtime, in A's sight
	setup_bundle2
	update_config2 --arg ns "/proc/$apid/ns/pid" '.process.args = ["sleep", "1"]
		| .linux.namespaces |= map(if .type == "pid" then .path = $ns else . end)'
	cellrt create --bundle "$BUNDLE2" "$CID2" </dev/null >/dev/null 2>&1
	sleep 1.5
	cellrt start "$CID2"
	wait_stopped "$CID"
	cat "$BUNDLE/attack.out"
	# the attack happened: A saw the runtime's process and tried
	grep -q "comm cellrt: open exe O_PATH: Permission denied" "$BUNDLE/attack.out"
	grep -q "comm cellrt: open exe O_WRONLY: Permission denied" "$BUNDLE/attack.out"
	# and it got nowhere
	! grep -q -e GRANTED -e ESCAPED "$BUNDLE/attack.out"
	[ "$(sha256sum <"$CELLRT")" = "$before" ]
}

@test "CVE-2024-21626: no descriptor of the runtime or its caller reaches the container" {
	install_attack "$BUNDLE"
	set_args /attack fds
	# the caller leaves descriptors open without close-on-exec
	run "$CELLRT" --root "$STATE" run --bundle "$BUNDLE" "$CID" 7<"$BUNDLE/config.json" 8<"$STATE" 9<"$TOP" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c '^fd ')" -eq 3 ]
	[ "$(echo "$output" | grep '^fd ' | cut -d' ' -f2 | tr '\n' ' ')" = "0 1 2 " ]
}

@test "CVE-2024-21626: a process.cwd through /proc/self/fd cannot reach the host" {
	for cwd in /proc/self/fd/3 /proc/self/fd/4 /proc/self/fd/5 /proc/self/fd/6 /proc/self/fd/7 \
		/proc/self/fd/8 /proc/self/fd/9 /proc/self/fd/10 /proc/1/fd/5 /proc/thread-self/fd/6; do
		update_config --arg c "$cwd" '.process.cwd = $c'
		set_cmd 'pwd; ls /'
		run cellrt create --bundle "$BUNDLE" "$CID"
		echo "$cwd: $output"
		[ "$status" -ne 0 ]
		[[ "$output" == *"process.cwd: create $cwd:"* ]]
		assert_nothing_left
	done
}

@test "CVE-2021-30465: mounts land inside the root while a symlink on their way is swapped" {
	install_attack "$BUNDLE"
	VOL=$(mktemp -d /tmp/cell-vol.XXXXXX)
	mkdir "$VOL/d"
	ln -s / "$VOL/link"
	# A, sharing the volume, exchanges the directory and the symlink
	update_config --arg v "$VOL" '.mounts += [{"destination": "/shared", "type": "bind", "source": $v, "options": ["rbind"]}]
		| .process.args = ["/attack", "swap", "30", "/shared/d", "/shared/link"]'
	"$CELLRT" --root "$STATE" run -d --bundle "$BUNDLE" "$CID" </dev/null >"$BUNDLE/attack.out" 2>&1
	# B mounts twenty tmpfs below the name being swapped
	setup_bundle2
	update_config2 --arg v "$VOL" '.process.args = ["sleep", "1000"]
		| .mounts += [{"destination": "/vol", "type": "bind", "source": $v, "options": ["rbind"]}]
		| .mounts += [range(1; 21) | {"destination": "/vol/d/m\(.)", "type": "tmpfs", "source": "tmpfs",
			"options": ["size=\(1000 + .)k"]}]'
	# Losing the race makes the create fail; a busy machine loses it more
	# often, so the rounds go on until three creates succeeded (or twenty).
	made=0
	for round in $(seq 20); do
		[ "$made" -lt 3 ] || break
		if ! "$CELLRT" --root "$STATE" run -d --bundle "$BUNDLE2" "$CID2" </dev/null >"$BUNDLE2/out" 2>&1; then
			# losing the race may fail the create, clearly and cleanly
			cat "$BUNDLE2/out"
			grep -q "create container $CID2: mount tmpfs on /vol/d/m" "$BUNDLE2/out"
			! cellrt state "$CID2" >/dev/null 2>&1
			continue
		fi
		bpid=$(container_pid "$CID2")
		# all twenty are inside B's root, where B's mount table shows them
		n=$(grep -cE "tmpfs tmpfs rw,.*size=10(0[1-9]|1[0-9]|20)k" "/proc/$bpid/mountinfo")
		echo "round $round: $n of 20 inside the root:" $(grep -E "size=10(0[1-9]|1[0-9]|20)k" "/proc/$bpid/mountinfo" | cut -d" " -f5 | sort | tr "\n" " ")
		[ "$n" -eq 20 ]
		made=$((made + 1))
		cellrt delete -f "$CID2"
	done
	[ "$made" -ge 3 ]
	# none of them ever reached the host
	! grep -qE "size=10(0[1-9]|1[0-9]|20)k" /proc/self/mountinfo
	status_is "$CID" running # the attacker was at it the whole time
}

@test "CVE-2019-19921, CVE-2023-27561, CVE-2023-28642: procfs goes only on a real /proc" {
	# /proc is a symlink to a directory of the root file system
	rmdir "$BUNDLE/rootfs/proc"
	mkdir -p "$BUNDLE/rootfs/fakeproc"
	ln -s /fakeproc "$BUNDLE/rootfs/proc"
	run cellrt create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"mount proc on /proc: the destination is, or lies under, a symlink in the root file system"* ]]
	assert_nothing_left
	# ... or into a volume another container controls
	VOL=$(mktemp -d /tmp/cell-vol.XXXXXX)
	rm "$BUNDLE/rootfs/proc"
	ln -s /vol/proc "$BUNDLE/rootfs/proc"
	update_config --arg v "$VOL" '.mounts = [{"destination": "/vol", "type": "bind", "source": $v, "options": ["rbind"]}] + .mounts'
	run cellrt create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"mount proc on /proc: the destination is, or lies under, a symlink"* ]]
	assert_nothing_left
	[ -z "$(ls -A "$VOL")" ] || [ "$(ls -A "$VOL")" = proc ]
	# sysfs the same
	rm "$BUNDLE/rootfs/proc"
	mkdir "$BUNDLE/rootfs/proc"
	rmdir "$BUNDLE/rootfs/sys"
	ln -s /fakeproc "$BUNDLE/rootfs/sys"
	run cellrt create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"mount sysfs on /sys: the destination is, or lies under, a symlink"* ]]
	assert_nothing_left
}

# The runtime's own procfs writes (sysctls here; LSM labels take the same
# path) go to the real proc file, never to what is mounted over it.
@test "CVE-2019-16884, CVE-2025-52881: procfs writes reach the real procfs, not what covers it" {
	echo 0 >"$BUNDLE/decoy"
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1"}
		| .mounts += [{"destination": "/proc/sys/net/ipv4/ip_forward", "type": "bind", "source": "decoy", "options": ["bind"]}]'
	run_detached 'sleep 1000'
	pid=$(container_pid "$CID")
	[ "$(cat "$BUNDLE/decoy")" = 0 ]
	[ "$(nsenter --net="/proc/$pid/ns/net" cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
	cellrt delete -f "$CID"
	# Without the new mount API the container's /proc is checked instead,
	# and a write that would cross a mount is refused.
	run env CELL_NO_NEW_MOUNT_API=1 "$CELLRT" --root "$STATE" create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	echo "$output"
	[[ "$output" == *"linux.sysctl.net.ipv4.ip_forward: write \"1\" to /proc/sys/net/ipv4/ip_forward: Invalid cross-device link"* ]]
	[ "$(cat "$BUNDLE/decoy")" = 0 ]
	assert_nothing_left
}

# /dev bound from a directory that a hostile party controls, its null a
# symlink to a kernel setting of the host.
setup_hostile_dev() {
	VOL=$(mktemp -d /tmp/cell-vol.XXXXXX)
	update_config --arg v "$VOL" '.mounts |= map(if .destination == "/dev" then
		{"destination": "/dev", "type": "bind", "source": $v, "options": ["rbind"]} else . end)
		| .linux.maskedPaths = ["/proc/keys", "/proc/timer_list"]'
}

@test "CVE-2025-31133: masked paths never take the container's /dev/null" {
	before=$(cat /proc/sys/kernel/core_pattern)
	setup_hostile_dev
	ln -s /proc/sys/kernel/core_pattern "$VOL/null"
	set_cmd 'echo "keys=[$(cat /proc/keys)]"; stat -c "%F %t:%T" /proc/keys /proc/timer_list; echo x > /proc/keys; echo "write=$?"'
	run run_container
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"keys=[]"* ]]
	[ "$(echo "$output" | grep -c "character special file 1:3")" -eq 2 ]
	[ "$(cat /proc/sys/kernel/core_pattern)" = "$before" ]
	# with no /dev/null at all the masks are still made
	rm "$VOL/null"
	run run_container
	[ "$status" -eq 0 ]
	[[ "$output" == *"keys=[]"* ]]
	[ "$(cat /proc/sys/kernel/core_pattern)" = "$before" ]
}

@test "CVE-2025-31133: without the new mount API a hostile /dev/null is refused" {
	before=$(cat /proc/sys/kernel/core_pattern)
	setup_hostile_dev
	ln -s /proc/sys/kernel/core_pattern "$VOL/null"
	run env CELL_NO_NEW_MOUNT_API=1 "$CELLRT" --root "$STATE" create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	echo "$output"
	[[ "$output" == *"linux.maskedPaths: the container's /dev/null is not the null device"* ]]
	assert_nothing_left
	rm "$VOL/null"
	run env CELL_NO_NEW_MOUNT_API=1 "$CELLRT" --root "$STATE" create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.maskedPaths: open the container's /dev/null: No such file or directory"* ]]
	assert_nothing_left
	[ "$(cat /proc/sys/kernel/core_pattern)" = "$before" ]
	# a real null device passes
	mknod "$VOL/null" c 1 3
	run env CELL_NO_NEW_MOUNT_API=1 "$CELLRT" --root "$STATE" run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
}

@test "CVE-2019-5736: neither can a container reach it while cellrt exec joins it" {
	install_attack "$BUNDLE"
	before=$(sha256sum <"$CELLRT")
	update_config '.process.args = ["/attack", "exe", "6"]'
	"$CELLRT" --root "$STATE" run -d --bundle "$BUNDLE" "$CID" </dev/null >"$BUNDLE/attack.out" 2>&1
	# every exec puts runtime processes into the attacker's pid namespace
	for i in $(seq 40); do
		cellrt exec "$CID" true || true
	done
	wait_stopped "$CID"
	cat "$BUNDLE/attack.out"
	grep -q "comm cellrt: open exe O_PATH: Permission denied" "$BUNDLE/attack.out"
	! grep -q -e GRANTED -e ESCAPED "$BUNDLE/attack.out"
	[ "$(sha256sum <"$CELLRT")" = "$before" ]
}

@test "CVE-2024-21626: no host descriptor reaches an exec'd process, and --cwd cannot reach the host" {
	install_attack "$BUNDLE"
	set_args sleep 1000
	"$CELLRT" --root "$STATE" run -d --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
	run "$CELLRT" --root "$STATE" exec "$CID" /attack fds 7<"$BUNDLE/config.json" 8<"$STATE" 9<"$TOP" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep '^fd ' | cut -d' ' -f2 | tr '\n' ' ')" = "0 1 2 " ]
	for cwd in /proc/self/fd/3 /proc/self/fd/4 /proc/self/fd/5 /proc/self/fd/6 /proc/self/fd/7 /proc/1/fd/3; do
		run cellrt exec --cwd "$cwd" "$CID" sh -c 'pwd; ls /'
		echo "$cwd: $output"
		[ "$status" -ne 0 ]
		[[ "$output" != *"/proc/self/fd/"*"bin"* ]]
	done
}
