#!/usr/bin/env bats
# linux.seccomp: the filter as the container's process meets it.

load helpers
load security

# linux.seccomp = $1 (JSON), with the default allow unless it says otherwise.
set_seccomp() {
	update_config --argjson s "$1" '.linux.seccomp = $s'
}

@test "the process runs filtered, and a denied call returns the configured errno" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122}]}'
	set_cmd 'grep ^Seccomp: /proc/self/status; mkdir /tmp/x; echo "mkdir=$?"'
	run run_container
	[ "$status" -eq 0 ]
	[ "$(status_field Seccomp)" = 2 ]
	[[ "$output" == *"Disk quota exceeded"* ]]
	[[ "$output" == *"mkdir=1"* ]]
	[ ! -e "$BUNDLE/rootfs/tmp/x" ]
}

@test "errnoRet defaults to EPERM" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
	set_cmd 'mkdir /tmp/x'
	run run_container
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "KILL, KILL_PROCESS, KILL_THREAD and TRAP end the process with SIGSYS" {
	for action in SCMP_ACT_KILL SCMP_ACT_KILL_PROCESS SCMP_ACT_KILL_THREAD SCMP_ACT_TRAP; do
		set_seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [
			{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"$action\"}]}"
		set_args mkdir /tmp/x
		run run_container
		echo "$action: $status $output"
		[ "$status" -eq $((128 + 31)) ]
		[ ! -e "$BUNDLE/rootfs/tmp/x" ]
	done
}

@test "LOG and ALLOW let the call through" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_LOG"},
		{"names": ["rmdir"], "action": "SCMP_ACT_ALLOW"}]}'
	set_cmd 'mkdir /tmp/x && grep ^Seccomp: /proc/self/status'
	run run_container
	[ "$status" -eq 0 ]
	[ "$(status_field Seccomp)" = 2 ]
	[ -d "$BUNDLE/rootfs/tmp/x" ]
}

@test "a default ERRNO action with an allow list" {
	# what busybox's sh, cat and the runtime's last steps need, nothing more
	set_seccomp '{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 122, "syscalls": [
		{"names": ["execve", "brk", "mmap", "munmap", "mprotect", "arch_prctl", "set_tid_address",
		 "set_robust_list", "rseq", "prlimit64", "getuid", "getgid", "geteuid", "getegid", "getpid",
		 "getppid", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "read", "write", "open",
		 "openat", "close", "fstat", "newfstatat", "stat", "lseek", "exit_group", "exit",
		 "readlink", "getcwd", "ioctl", "fcntl", "uname", "sysinfo", "statx"],
		 "action": "SCMP_ACT_ALLOW"}]}'
	set_args cat /etc/passwd
	run run_container
	echo "$output"
	[ "$status" -eq 0 ]
	set_args mkdir /tmp/x
	run run_container
	[ "$status" -ne 0 ]
	[[ "$output" == *"Disk quota exceeded"* ]]
}

@test "argument rules match only their values (SCMP_CMP_EQ, SCMP_CMP_MASKED_EQ)" {
	# kill with signal 0 is refused, other signals pass; openat with O_CREAT
	# (0100) is refused, plain opens pass
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122,
		 "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}]},
		{"names": ["openat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122,
		 "args": [{"index": 2, "value": 64, "valueTwo": 64, "op": "SCMP_CMP_MASKED_EQ"}]}]}'
	set_cmd 'kill -0 $$; echo "kill0=$?"; kill -CONT $$; echo "kill18=$?"; grep -q root /etc/passwd; echo "read=$?"; echo > /tmp/new; echo "create=$?"'
	run run_container
	echo "$output"
	[[ "$output" == *"kill0=1"* ]]
	[[ "$output" == *"kill18=0"* ]]
	[[ "$output" == *"read=0"* ]]
	[[ "$output" == *"create=1"* ]]
	[ ! -e "$BUNDLE/rootfs/tmp/new" ]
}

@test "the filter holds for a non-root process without no_new_privs" {
	update_config '.process.noNewPrivileges = false | .process.user = {"uid": 1000, "gid": 1000}'
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122}]}'
	set_cmd 'grep -E "^(Seccomp|NoNewPrivs|CapEff):" /proc/self/status; mkdir /tmp/x'
	run run_container
	[ "$(status_field Seccomp)" = 2 ]
	[ "$(status_field NoNewPrivs)" = 0 ]
	[ "$(status_field CapEff)" = 0000000000000000 ]
	[[ "$output" == *"Disk quota exceeded"* ]]
}

@test "architectures: the listed ones are accepted, an unknown one is an error" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122}]}'
	set_cmd 'mkdir /tmp/x'
	run run_container
	[[ "$output" == *"Disk quota exceeded"* ]]
	# another architecture of the spec: no process here makes its calls, skipped
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122}]}'
	run run_container
	[[ "$output" == *"Disk quota exceeded"* ]]
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_PDP11"]}'
	run cellrt create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.seccomp.architectures[0]: unknown architecture \"SCMP_ARCH_PDP11\""* ]]
	assert_nothing_left
}

@test "unknown system call names are skipped" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["no_such_call_anywhere", "mkdirat", "mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122}]}'
	set_cmd 'mkdir /tmp/x'
	run "$CELLRT" --root "$STATE" --debug run --bundle "$BUNDLE" "$CID"
	[[ "$output" == *"Disk quota exceeded"* ]]
	[[ "$output" == *"system call \"no_such_call_anywhere\" is unknown on x86_64, x86 and x32; skipped"* ]]
}

@test "an unknown action, operator or flag is an error naming it, and nothing is left" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_EXPLODE"}]}'
	run cellrt create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_EXPLODE\""* ]]
	assert_nothing_left
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO",
		"args": [{"index": 0, "value": 1, "op": "SCMP_CMP_APPROX"}]}]}'
	run cellrt create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_APPROX\""* ]]
	assert_nothing_left
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_FAST"]}'
	run cellrt create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FAST\""* ]]
	assert_nothing_left
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["kill"], "action": "SCMP_ACT_KILL", "errnoRet": 1}]}'
	run cellrt create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_KILL takes no errno"* ]]
	assert_nothing_left
}

# Starts the test agent on $BUNDLE/agent.sock, answering with errno $1.
start_agent() {
	python3 "$TOP/tests/helpers/seccomp-agent.py" "$BUNDLE/agent.sock" "$BUNDLE/agent.json" "$1" \
		>"$BUNDLE/agent.log" 2>&1 &
	AGENT_PID=$!
	wait_for test -e "$BUNDLE/agent.json.ready"
}

@test "SCMP_ACT_NOTIFY: the agent gets the notify fd and the container process state, and answers" {
	start_agent 30
	update_config '.annotations = {"org.example.team": "blue"}'
	set_seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$BUNDLE/agent.sock\",
		\"listenerMetadata\": \"MKDIR=yes\", \"flags\": [\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],
		\"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
	set_cmd 'mkdir /tmp/x; echo "mkdir=$?"'
	cellrt create --bundle "$BUNDLE" "$CID" </dev/null >"$BUNDLE/out" 2>&1
	pid=$(container_pid "$CID")
	cellrt start "$CID"
	wait_for test -e "$BUNDLE/agent.json"
	wait_for status_is "$CID" stopped
	# the agent's errno (EROFS) is what mkdir met
	grep -q "Read-only file system" "$BUNDLE/out"
	grep -q "mkdir=1" "$BUNDLE/out"
	[ ! -e "$BUNDLE/rootfs/tmp/x" ]
	jq -e --arg id "$CID" --arg b "$BUNDLE" --argjson pid "$pid" '
		.ociVersion == "1.2.0" and .fds == ["seccompFd"] and .pid == $pid and .metadata == "MKDIR=yes"
		and .state.id == $id and .state.pid == $pid and .state.bundle == $b and .state.status == "creating"
		and .state.annotations["org.example.team"] == "blue"
		and ._received_fds == 1 and ._fd_kind == "anon_inode:seccomp notify" and ._closed_after' \
		"$BUNDLE/agent.json"
	# the agent answered the container's mkdir (x86_64: mkdir 83, mkdirat 258)
	grep -qE " (83|258)$" "$BUNDLE/agent.json.calls"
	wait "$AGENT_PID"
}

@test "SCMP_ACT_NOTIFY without a listening agent fails the create, naming the path" {
	set_seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$BUNDLE/nobody.sock\",
		\"syscalls\": [{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
	run cellrt create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.seccomp.listenerPath: connect to $BUNDLE/nobody.sock: No such file or directory"* ]]
	assert_nothing_left
}

@test "listenerPath without a notify rule is ignored, as the spec says" {
	set_seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$BUNDLE/nobody.sock\"}"
	set_cmd 'grep ^Seccomp: /proc/self/status'
	run run_container
	[ "$status" -eq 0 ]
	[ "$(status_field Seccomp)" = 2 ]
}

@test "a process started by cellrt exec runs under the container's filter" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}'
	set_args sleep 1000
	"$CELLRT" --root "$STATE" run -d --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
	run cellrt exec "$CID" grep Seccomp: /proc/self/status
	[[ "$output" =~ Seccomp:[[:space:]]+2 ]]
	run cellrt exec "$CID" mkdir /tmp/denied
	[ "$status" -ne 0 ]
	[[ "$output" == *"Permission denied"* ]]
	[ ! -e "$BUNDLE/rootfs/tmp/denied" ]
}
