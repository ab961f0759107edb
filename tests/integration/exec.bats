#!/usr/bin/env bats
# exec: a second process in a running container, in all its namespaces and
# its cgroup, with the process's capabilities, limits and user.

load helpers

# The container runs sleep; $INIT is its init's pid on the host.
start_sleeper() {
	run_detached "${1:-sleep 1000}"
	INIT=$(container_pid "$CID")
}

@test "exec runs in every namespace and the cgroup of the container" {
	update_config '.linux.namespaces += [{"type": "cgroup"}] | .linux.namespaces |= unique_by(.type)'
	start_sleeper
	cellrt exec -d --pid-file "$BUNDLE/exec.pid" "$CID" sleep 1000
	pid=$(cat "$BUNDLE/exec.pid")
	[ "$pid" != "$INIT" ]
	for ns in pid net mnt ipc uts cgroup user; do
		[ "$(readlink /proc/$pid/ns/$ns)" = "$(readlink /proc/$INIT/ns/$ns)" ]
	done
	# Not ours: the exec'd process is not in the host's namespaces.
	[ "$(readlink /proc/$pid/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ]
	[ "$(readlink /proc/$pid/ns/pid)" != "$(readlink /proc/self/ns/pid)" ]
	diff /proc/$INIT/cgroup /proc/$pid/cgroup
	# Seen from inside: pid 1 is the init, and we are a sibling of it.
	run cellrt exec "$CID" sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; hostname'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "sleep 1000 " ]
	[ "${lines[1]}" = cell ]
}

@test "exec returns the process's exit status, and 128+N for a signal" {
	start_sleeper
	run cellrt exec "$CID" sh -c 'exit 42'
	[ "$status" -eq 42 ]
	run cellrt exec "$CID" sh -c 'kill -TERM $$'
	[ "$status" -eq 143 ]
	run cellrt exec "$CID" true
	[ "$status" -eq 0 ]
}

@test "exec forwards signals to the process" {
	start_sleeper
	"$CELLRT" --root "$STATE" exec "$CID" sh -c 'trap "echo got TERM; exit 9" TERM; echo ready; while :; do sleep 0.05; done' >"$BUNDLE/out" 2>&1 &
	runner=$!
	wait_for grep -q ready "$BUNDLE/out"
	kill -TERM "$runner"
	set +e
	wait "$runner"
	rc=$?
	set -e
	[ "$rc" -eq 9 ]
	grep -q "got TERM" "$BUNDLE/out"
}

@test "exec of a missing executable fails, in the foreground and detached, and leaves nothing" {
	start_sleeper
	run cellrt exec "$CID" /not.here
	[ "$status" -ne 0 ]
	[[ "$output" == *"exec in container $CID: exec: \"/not.here\": No such file or directory"* ]]
	run cellrt exec -d "$CID" /not.here
	[ "$status" -ne 0 ]
	[[ "$output" == *"No such file or directory"* ]]
	run cellrt exec "$CID" nothere
	[[ "$output" == *'"nothere": executable file not found in $PATH'* ]]
	# Only the init is left in the container.
	procs=$(find /sys/fs/cgroup/pids -type d -name "$CID" | head -1)/cgroup.procs
	[ "$(cat "$procs")" = "$INIT" ]
}

@test "exec takes the process from the container: user, env, cwd, capabilities, rlimits" {
	update_config '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [5]}
		| .process.env += ["FROM_CONFIG=yes"] | .process.cwd = "/home/user"
		| .process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 321, "hard": 654}]'
	start_sleeper
	run cellrt exec "$CID" sh -c 'id; echo $FROM_CONFIG; pwd; ulimit -n; ulimit -Hn; echo $HOME'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "uid=1000(user) gid=1000(user) groups=5(tty)" ]
	[ "${lines[1]}" = yes ]
	[ "${lines[2]}" = /home/user ]
	[ "${lines[3]}" = 321 ]
	[ "${lines[4]}" = 654 ]
	# HOME from the container's /etc/passwd
	[ "${lines[5]}" = /home/user ]
	cellrt exec "$CID" grep -E '^Cap(Eff|Bnd|Prm)' /proc/self/status >"$BUNDLE/caps"
	grep -q 'CapBnd:.*0000000020000420' "$BUNDLE/caps"
}

@test "exec flags: --user, --additional-gids, --cwd, --env, --tty off by default" {
	start_sleeper
	run cellrt exec --user 1000:1000 -g 5 --additional-gids 7,9 --cwd /tmp -e FOO=bar -e PATH=/bin "$CID" \
		sh -c 'id; pwd; echo $FOO $PATH; [ -t 0 ] && echo tty || echo notty'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "uid=1000(user) gid=1000(user) groups=5(tty),7,9" ]
	[ "${lines[1]}" = /tmp ]
	[ "${lines[2]}" = "bar /bin" ]
	[ "${lines[3]}" = notty ]
	run cellrt exec --user 65534 "$CID" id -u
	[ "$output" = 65534 ]
	run cellrt exec --user nobody "$CID" id
	[ "$status" -ne 0 ]
	[[ "$output" == *'--user "nobody": must be UID or UID:GID'* ]]
	run cellrt exec -e NOEQUALS "$CID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *'--env "NOEQUALS": must be KEY=VALUE'* ]]
}

@test "exec --cap adds a capability, --no-new-privs sets it; unknown capabilities are skipped with a warning" {
	start_sleeper
	run cellrt exec "$CID" grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status
	[[ "$output" == *"CapEff:	0000000020000420"* ]]
	[[ "$output" == *"NoNewPrivs:	0"* ]]
	run cellrt exec --cap CAP_SYS_ADMIN --cap NET_RAW --no-new-privs "$CID" grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status
	[[ "$output" == *"CapEff:	0000000020202420"* ]]
	[[ "$output" == *"CapBnd:	0000000020202420"* ]]
	[[ "$output" == *"NoNewPrivs:	1"* ]]
	run cellrt exec --cap CAP_NOT_A_CAP "$CID" true
	[ "$status" -eq 0 ]
	[[ "$output" == *"--cap CAP_NOT_A_CAP: unknown capability; ignored"* ]]
}

@test "exec --process FILE: an OCI process, with the flags on top" {
	start_sleeper
	cat >"$BUNDLE/process.json" <<-'EOF'
	{"args": ["sh", "-c", "id -u; echo $A $B; pwd"], "env": ["A=1", "B=2", "PATH=/bin"],
	 "cwd": "/etc", "user": {"uid": 1000, "gid": 1000}, "noNewPrivileges": true}
	EOF
	run cellrt exec --process "$BUNDLE/process.json" -e B=3 "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = "1 3" ]
	[ "${lines[2]}" = /etc ]
	run cellrt exec --process "$BUNDLE/process.json" "$CID" grep NoNewPrivs /proc/self/status
	[ "$status" -ne 0 ]
	[[ "$output" == *"give the command in the file or on the command line, not both"* ]]
	echo '{"args": "sh", "cwd": "/"}' >"$BUNDLE/bad.json"
	run cellrt exec --process "$BUNDLE/bad.json" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--process $BUNDLE/bad.json: process.args"* ]]
	run cellrt exec --process "$BUNDLE/missing.json" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"missing.json"* ]]
}

@test "exec --preserve-fds passes exactly those fds, and no fd of the runtime" {
	start_sleeper
	echo three >"$BUNDLE/f3"
	echo four >"$BUNDLE/f4"
	# fd 5 is inheritable but not preserved: it must not arrive either.
	run cellrt exec --preserve-fds 2 "$CID" sh -c 'cat <&3; cat <&4; ls /proc/self/fd' 3<"$BUNDLE/f3" 4<"$BUNDLE/f4" 5<"$BUNDLE/f3"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = three ]
	[ "${lines[1]}" = four ]
	# ls's own directory fd is the only other one (it shows up as 5, taken
	# again after the runtime's fd 5 was closed).
	fds=$(echo "${lines[@]:2}" | tr ' ' '\n' | sort -n | tr '\n' ' ')
	[ "$fds" = "0 1 2 3 4 5 " ]
	run cellrt exec "$CID" sh -c 'ls /proc/self/fd; readlink /proc/self/cwd' 5<"$BUNDLE/f3"
	[ "$(echo "${lines[@]:0:4}")" = "0 1 2 3" ]
	[ "${lines[4]}" = / ]
}

@test "exec into a paused or stopped container fails clearly" {
	start_sleeper
	freezer=$(find /sys/fs/cgroup/freezer -type d -name "$CID" | head -1)
	[ -n "$freezer" ]
	echo FROZEN >"$freezer/freezer.state"
	wait_for status_is "$CID" paused
	run cellrt exec "$CID" true
	echo THAWED >"$freezer/freezer.state"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot exec in container $CID: it is paused (resume it first)"* ]]
	cellrt kill "$CID" KILL
	wait_for status_is "$CID" stopped
	run cellrt exec "$CID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot exec in container $CID: it is stopped"* ]]
	run cellrt exec nosuchcontainer true
	[ "$status" -ne 0 ]
	[[ "$output" == *"container nosuchcontainer does not exist"* ]]
}

@test "exec --cgroup runs in an existing sub-cgroup" {
	start_sleeper
	pids=$(find /sys/fs/cgroup/pids -type d -name "$CID" | head -1)
	mkdir "$pids/sub"
	cellrt exec -d --pid-file "$BUNDLE/exec.pid" --cgroup pids:sub "$CID" sleep 1000
	pid=$(cat "$BUNDLE/exec.pid")
	grep -q "^[0-9]*:pids:.*/$CID/sub\$" /proc/$pid/cgroup
	# the other hierarchies: the container's own cgroup
	grep -q "^[0-9]*:memory:.*/$CID\$" /proc/$pid/cgroup
	run cellrt exec --cgroup nosub "$CID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"container $CID: --cgroup nosub: sub-cgroup /sys/fs/cgroup/"*"/$CID/nosub: No such file or directory"* ]]
	run cellrt exec --cgroup ../.. "$CID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"must stay inside the container's cgroup"* ]]
	kill -9 "$pid"
	wait_for sh -c "! grep -qx $pid $pids/sub/cgroup.procs"
}

@test "exec into a created container, before start" {
	set_cmd 'sleep 1000'
	cellrt create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
	run cellrt exec "$CID" cat /proc/1/cmdline
	[ "$status" -eq 0 ]
	# the init is still the runtime, waiting to be started
	[ "$(container_status "$CID")" = created ]
}

@test "exec --apparmor and --process-label need the LSM" {
	start_sleeper
	if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ]; then
		run cellrt exec --apparmor unconfined "$CID" true
		[ "$status" -ne 0 ]
		[[ "$output" == *'process.apparmorProfile: "unconfined": AppArmor is not enabled on this host'* ]]
	fi
	if [ ! -e /sys/fs/selinux/enforce ]; then
		run cellrt exec --process-label system_u:system_r:container_t:s0 "$CID" true
		[ "$status" -ne 0 ]
		[[ "$output" == *"process.selinuxLabel: \"system_u:system_r:container_t:s0\": SELinux is disabled or not supported on this host"* ]]
	fi
}

@test "exec usage errors" {
	start_sleeper
	run cellrt exec
	[ "$status" -ne 0 ]
	[[ "$output" == *"missing the container id"* ]]
	run cellrt exec "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"missing the command to run"* ]]
	run cellrt exec --preserve-fds x "$CID" true
	[[ "$output" == *'--preserve-fds: "x" is not a number of fds'* ]]
	run cellrt exec --tty --detach "$CID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"use --console-socket"* ]]
	run cellrt exec --console-socket /nonexistent "$CID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"--console-socket: only for a process with a terminal that runs detached"* ]]
}
