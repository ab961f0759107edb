#!/usr/bin/env bats
# The process: args, env, cwd, user and groups, umask, rlimits, OOM score,
# sysctls, personality, I/O priority, scheduler, preserved fds.

load helpers

@test "env is the config's, and HOME comes from the image's passwd when unset" {
	update_config '.process.env = ["A=1", "PATH=/bin"]'
	set_cmd 'echo "$A $HOME"'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$output" = "1 /root" ]
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$output" = "1 /home/user" ]
	update_config '.process.env += ["HOME=/custom"]'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$output" = "1 /custom" ]
}

@test "cwd: used, created when missing, relative executables resolved from it" {
	update_config '.process.cwd = "/var/lib/new/dir"'
	set_cmd 'pwd'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$output" = /var/lib/new/dir ]
	update_config '.process.cwd = "/bin" | .process.args = ["./echo", "relative"]'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$output" = relative ]
}

@test "the executable is searched in the container's PATH" {
	mkdir -p "$BUNDLE/rootfs/opt/tools"
	printf '#!/bin/sh\necho found-in-opt\n' >"$BUNDLE/rootfs/opt/tools/mytool"
	chmod +x "$BUNDLE/rootfs/opt/tools/mytool"
	update_config '.process.env = ["PATH=/opt/tools:/bin"] | .process.args = ["mytool"]'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$output" = found-in-opt ]
}

@test "user: uid, gid and additional groups; none inherited from the runtime" {
	update_config '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [5, 65534]}'
	set_cmd 'grep -E "^(Uid|Gid|Groups):" /proc/self/status'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[[ "${lines[0]}" =~ ^Uid:[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000$ ]]
	[[ "${lines[1]}" =~ ^Gid:[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000$ ]]
	[[ "${lines[2]}" =~ ^Groups:[[:space:]]+5[[:space:]]+65534 ]]
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[[ "${lines[2]}" =~ ^Groups:[[:space:]]*$ ]]
}

@test "umask" {
	update_config '.process.user.umask = 63'
	set_cmd 'umask'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$output" = 0077 ]
	update_config 'del(.process.user.umask)'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$output" = 0022 ]
}

@test "rlimits are set, soft and hard" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1024},
		{"type": "RLIMIT_NPROC", "soft": 100, "hard": 200}, {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]'
	set_cmd 'grep -E "^Max (open files|processes|core file size)" /proc/self/limits'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[[ "$output" == *"Max core file size        0                    0"* ]]
	[[ "$output" == *"Max processes             100                  200"* ]]
	[[ "$output" == *"Max open files            512                  1024"* ]]
}

@test "asking for a hard limit above what the runtime may set fails naming the limit" {
	hard=$(ulimit -Hn)
	update_config --argjson h $((hard + 10000)) '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": $h}]'
	run cellrt run --bundle "$BUNDLE" "$CID"
	echo "$output"
	# CAP_SYS_RESOURCE is bit 24 of the effective set: with it the limit
	# could be raised, and there would be nothing to refuse.
	if (( (0x$(awk '/^CapEff:/ {print $2}' /proc/self/status) >> 24) & 1 )); then
		skip "this host can raise hard limits (CAP_SYS_RESOURCE)"
	fi
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.rlimits: RLIMIT_NOFILE hard limit $((hard + 10000)) is above the $hard this runtime may set"* ]]
	[ -z "$(ls -A "$STATE")" ]
}

@test "oomScoreAdj" {
	update_config '.process.oomScoreAdj = 500'
	set_cmd 'cat /proc/self/oom_score_adj'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$output" = 500 ]
}

@test "sysctls in the container's own namespaces" {
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmax": "123456789", "kernel.domainname": "sysctl.example"}'
	set_cmd 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax /proc/sys/kernel/domainname'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = 123456789 ]
	[ "${lines[2]}" = sysctl.example ]
	[ "$(cat /proc/sys/kernel/shmmax)" != 123456789 ]
}

@test "personality LINUX32" {
	update_config '.linux.personality = {"domain": "LINUX32"}'
	set_cmd 'uname -m'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$output" = i686 ]
	update_config '.linux.personality = {"domain": "WINDOWS"}'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'linux.personality.domain: must be "LINUX" or "LINUX32", got "WINDOWS"'* ]]
}

@test "ioPriority and scheduler as the host sees them" {
	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_IDLE"}
		| .process.scheduler = {"policy": "SCHED_BATCH", "nice": 5}'
	run_detached
	pid=$(container_pid "$CID")
	[[ "$(ionice -p "$pid")" == idle* ]]
	[[ "$(chrt -p "$pid" | head -1)" == *SCHED_BATCH* ]]
	[ "$(ps -o ni= -p "$pid" | tr -d ' ')" = 5 ]
}

@test "no host fd reaches the container; --preserve-fds passes exactly the ones asked for" {
	set_cmd 'ls /proc/self/fd | sort -n | tr "\n" " "'
	run cellrt run --bundle "$BUNDLE" "$CID" 5</dev/null 6</dev/null
	# 0-2, and 3 is ls's own directory fd
	[ "$output" = "0 1 2 3 " ]
	set_cmd 'readlink /proc/self/fd/3; readlink /proc/self/fd/4; ls /proc/self/fd | sort -n | tail -1'
	# fds 3 and 4 of the caller (bats keeps its own fd 3, so a child shell opens them)
	run bash -c 'exec 3<"$0" 4</dev/null 7</dev/null; exec "$@"' "$BUNDLE/config.json" \
		"$CELLRT" --root "$STATE" run --preserve-fds 2 --bundle "$BUNDLE" "$CID"
	[ "${lines[0]}" = "$BUNDLE/config.json" ]
	[ "${lines[1]}" = /dev/null ]
	# 5 is ls's directory; 7 was not preserved
	[ "${lines[2]}" = 5 ]
}

@test "LISTEN_FDS passes socket activation through" {
	set_cmd 'echo "$LISTEN_FDS $LISTEN_PID"'
	run bash -c 'exec 3</dev/null; exec env LISTEN_FDS=1 "$@"' _ "$CELLRT" --root "$STATE" run --bundle "$BUNDLE" "$CID"
	[ "$output" = "1 1" ]
}

@test "signals reach the process with default dispositions and no blocked mask" {
	# The process itself (a shell would set its own dispositions).
	set_args cat /proc/self/status
	run cellrt run --bundle "$BUNDLE" "$CID"
	[[ "$output" =~ SigBlk:[[:space:]]+0+$'\n' ]]
	[[ "$output" =~ SigIgn:[[:space:]]+0+$'\n' ]]
}

@test "a session keyring of its own, named for the container, unless --no-new-keyring" {
	update_config '.linux.maskedPaths = []'
	set_cmd 'grep -c " keyring *${0}: " /proc/keys || true'
	update_config --arg id "$CID" '.process.args = ["sh", "-c", "grep -c \" keyring *" + $id + ":\" /proc/keys || true"]'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$output" = 1 ]
	# with the caller's keyring, no keyring of the container's name
	update_config --arg id "${CID}n" '.process.args = ["sh", "-c", "grep -c \" keyring *" + $id + ":\" /proc/keys || true"]'
	run cellrt run --no-new-keyring --bundle "$BUNDLE" "${CID}n"
	[ "$(printf '%s\n' "$output" | tail -1)" = 0 ]
}
