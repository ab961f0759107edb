#!/usr/bin/env bats
# cell run and cell create: output and exit codes, the flags of the
# container's process, its limits, privileges, files and network, and the
# terminal.

load cell-engine
bats_require_minimum_version 1.5.0

@test "run prints the container's output and exits with its status" {
	run cell run --rm busybox sh -c 'echo to-stdout; echo to-stderr >&2; exit 3'
	[ "$status" -eq 3 ]
	[[ "$output" == *to-stdout* ]]
	[[ "$output" == *to-stderr* ]]
	# stdout and stderr stay apart
	out=$(cell run --rm busybox sh -c 'echo A; echo B >&2' 2>/dev/null)
	[ "$out" = A ]
	# a signal that ends it (pid 1 ignores what it has no handler for: the
	# shell runs under --init here)
	run cell run --rm --init busybox sh -c 'kill -TERM $$; sleep 5'
	[ "$status" -eq 143 ]
	[ -z "$(all_ids)" ]
}

@test "exit codes: 127 not found, 126 cannot be run, 125 cell's own failures" {
	run -127 cell run --rm busybox no-such-command
	[[ "$output" == *'exec: "no-such-command": executable file not found in $PATH'* ]]
	run cell run --rm busybox /etc
	[ "$status" -eq 126 ]
	run cell run --rm busybox /etc/passwd
	[ "$status" -eq 126 ]
	run cell run --no-such-flag busybox true
	[ "$status" -eq 125 ]
	[[ "$output" == *"run: unknown or incomplete flag --no-such-flag"* ]]
	run cell run --memory lots busybox true
	[ "$status" -eq 125 ]
	[[ "$output" == *'--memory: invalid size "lots"'* ]]
	# not in the store: pulled from the search registries (cell_setup's: a
	# closed port of loopback)
	run cell run --rm nosuchimage true
	[ "$status" -eq 125 ]
	[[ "$output" == *"Trying to pull 127.0.0.1:9/nosuchimage:latest..."* ]]
	[[ "$output" == *"127.0.0.1:9/v2/nosuchimage/manifests/latest: Couldn't connect to server"* ]]
	run cell run
	[ "$status" -eq 125 ]
	[[ "$output" == *"requires an image"* ]]
	run cell --no-such-global ps
	[ "$status" -eq 125 ]
	[ "$output" = "cell: unknown or incomplete option --no-such-global (see 'cell --help')" ]
	# --rm removed the containers that could not start
	[ -z "$(all_ids)" ]
}

@test "--pull never and always say what they cannot do; missing uses what is there" {
	run cell run --rm --pull never nosuchimage true
	[ "$status" -eq 125 ]
	[[ "$output" == *"image nosuchimage is not in the store (--pull never)"* ]]
	# always: even an image in the store is pulled first (and here cannot be)
	run cell run --rm --pull always busybox true
	[ "$status" -eq 125 ]
	[[ "$output" == *"Trying to pull 127.0.0.1:9/busybox:latest..."* ]]
	run cell run --rm -q --pull always busybox true
	[ "$status" -eq 125 ]
	[[ "$output" != *"Trying to pull"* ]]
	[[ "$output" == *"Couldn't connect to server"* ]]
	run cell run --rm --pull maybe busybox true
	[ "$status" -eq 125 ]
	[[ "$output" == *"must be missing, always or never"* ]]
	cell run --rm --pull missing busybox true
	cell run --rm --pull never busybox true
}

@test "run -d prints the ID and leaves the container under its own monitor" {
	id=$(cell run -d busybox sleep 100)
	[[ "$id" =~ ^[0-9a-f]{64}$ ]]
	run cell ps -q
	[ "$output" = "${id:0:12}" ]
	mon=$(cell inspect -f '{{.State.MonitorPid}}' "$id")
	[ "$mon" -gt 0 ]
	grep -q cell-monitor "/proc/$mon/cmdline"
	# the container's init is the monitor's child, not ours
	pid=$(host_pid_of "$id")
	[ "$(awk '{print $4}' "/proc/$pid/stat")" = "$mon" ]
	# the monitor is in a session of its own
	[ "$(awk '{print $6}' "/proc/$mon/stat")" = "$mon" ]
}

@test "--name names it; a name in use is refused" {
	cell run -d --name web busybox sleep 100
	run cell run -d --name web busybox sleep 100
	[ "$status" -eq 125 ]
	[[ "$output" == *'the container name "web" is already in use'* ]]
	run cell run --name 'bad name' busybox true
	[ "$status" -eq 125 ]
	[ "$(cell inspect -f '{{.Name}}' web)" = web ]
	# names are generated otherwise
	cell create busybox true
	[ "$(cell ps -a --format '{{.Names}}' | grep -cv '^web$')" -eq 1 ]
}

@test "-e, --env-file and the image's environment" {
	printf '# a comment\nFROMFILE=yes\n\nSPACED=a b\nHOSTVAR\n' >"$WORK/env"
	export HOSTVAR=from-host
	run cell run --rm -e A=1 -e PATH=/bin:/sbin --env-file "$WORK/env" -e HOSTVAR busybox env
	[ "$status" -eq 0 ]
	[[ "$output" == *"A=1"* ]]
	[[ "$output" == *"PATH=/bin:/sbin"* ]]
	[[ "$output" == *"FROMFILE=yes"* ]]
	[[ "$output" == *"SPACED=a b"* ]]
	[[ "$output" == *"HOSTVAR=from-host"* ]]
	[[ "$output" == *"HOSTNAME="* ]]
	[[ "$output" == *"HOME=/root"* ]]
	run cell run --rm -e =x busybox true
	[ "$status" -eq 125 ]
	run cell run --rm --env-file "$WORK/missing" busybox true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--env-file $WORK/missing"* ]]
}

@test "-w, -u and --entrypoint" {
	run cell run --rm -w /tmp/work busybox pwd
	[ "$output" = /tmp/work ]
	run cell run --rm -u nobody busybox sh -c 'id -u; id -g'
	[ "${lines[0]}" = 65534 ]
	run cell run --rm -u 1234:5678 busybox sh -c 'id -u; id -g; grep CapEff /proc/self/status'
	[ "${lines[0]}" = 1234 ]
	[ "${lines[1]}" = 5678 ]
	[[ "${lines[2]}" == *0000000000000000 ]]
	run cell run --rm -u nosuchuser busybox true
	[ "$status" -eq 125 ]
	[[ "$output" == *nosuchuser* ]]
	run cell run --rm --entrypoint /bin/echo busybox hello world
	[ "$output" = "hello world" ]
	run cell run --rm -w relative busybox true
	[ "$status" -eq 125 ]
}

@test "hostname, /etc/hosts, /etc/hostname and /etc/resolv.conf" {
	id=$(cell create busybox sh -c 'hostname; cat /etc/hostname; cat /etc/hosts; grep -c . /etc/resolv.conf || true')
	cell start -a "$id" >"$WORK/out"
	[ "$(sed -n 1p "$WORK/out")" = "${id:0:12}" ]
	[ "$(sed -n 2p "$WORK/out")" = "${id:0:12}" ]
	grep -q "^127.0.0.1.localhost" "$WORK/out"
	grep -q "^127.0.1.1.${id:0:12} $(cell inspect -f '{{.Name}}' "$id")" "$WORK/out"
	run cell run --rm --hostname myhost busybox sh -c 'hostname; grep myhost /etc/hosts; grep " /etc/resolv.conf " /proc/self/mountinfo'
	[ "${lines[0]}" = myhost ]
	[[ "${lines[1]}" == *myhost* ]]
	[[ "${lines[2]}" == *"/etc/resolv.conf"* ]]
	# no name server on loopback survives into a network namespace of its own
	run cell run --rm busybox grep -c '^nameserver 127' /etc/resolv.conf
	[ "$output" = 0 ]
}

@test "--read-only makes the root read-only, not the engine's files" {
	run cell run --rm --read-only busybox sh -c 'touch /x 2>&1; grep " / " /proc/self/mountinfo'
	[[ "${lines[0]}" == *"Read-only file system"* ]]
	[[ "${lines[1]}" == *" ro,"* || "${lines[1]}" == *" ro "* ]]
	cell run --rm --read-only --tmpfs /scratch busybox touch /scratch/x
}

@test "--memory, --cpus and --pids-limit reach the container's cgroup" {
	run cell run --rm -m 64m --cpus 0.5 --pids-limit 42 busybox sh -c \
		'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us /sys/fs/cgroup/pids/pids.max'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 67108864 ]
	[ "${lines[1]}" = 50000 ]
	[ "${lines[2]}" = 100000 ]
	[ "${lines[3]}" = 42 ]
	run cell run --rm -m 1k busybox true
	[ "$status" -eq 125 ]
	[[ "$output" == *"minimum is 6MB"* ]]
	run cell run --rm --cpus 0 busybox true
	[ "$status" -eq 125 ]
	# the limit holds: a fork bomb stops at it
	run cell run --rm --pids-limit 5 busybox sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 5 & done 2>&1; wait'
	[[ "$output" == *"can't fork"* || "$output" == *"Resource temporarily unavailable"* ]]
}

@test "default capabilities are Podman's; --cap-add, --cap-drop, --privileged" {
	run cell run --rm busybox grep -E '^Cap(Eff|Bnd)' /proc/self/status
	[ "${lines[0]}" = "CapEff:	00000000800405fb" ]
	[ "${lines[1]}" = "CapBnd:	00000000800405fb" ]
	run cell run --rm --cap-add net_admin --cap-drop CAP_CHOWN busybox grep CapEff /proc/self/status
	# + NET_ADMIN (12) − CHOWN (0)
	[ "$output" = "CapEff:	00000000800415fa" ]
	run cell run --rm --cap-drop ALL --cap-add SETUID busybox grep CapEff /proc/self/status
	[ "$output" = "CapEff:	0000000000000080" ]
	run cell run --rm --cap-add NOT_A_CAP busybox true
	[ "$status" -eq 125 ]
	[[ "$output" == *'unknown capability "NOT_A_CAP"'* ]]
	all=$(awk '/^CapBnd/ {print $2}' /proc/self/status)
	run cell run --rm --privileged busybox sh -c 'grep -E "^(CapEff|Seccomp):" /proc/self/status; ls /dev | grep -c .; mount -t tmpfs none /tmp && echo mounted'
	[ "${lines[0]}" = "CapEff:	$all" ]
	[ "${lines[1]}" = "Seccomp:	0" ]
	[ "${lines[2]}" -gt 15 ]
	[ "${lines[3]}" = mounted ]
}

@test "the default seccomp profile; seccomp=unconfined; a profile file; no-new-privileges" {
	run cell run --rm busybox sh -c 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; unshare -U true 2>&1 || echo refused'
	[ "${lines[0]}" = "NoNewPrivs:	0" ]
	[ "${lines[1]}" = "Seccomp:	2" ]
	[ "${lines[3]}" = refused ]
	run cell run --rm --security-opt seccomp=unconfined busybox grep '^Seccomp:' /proc/self/status
	[ "$output" = "Seccomp:	0" ]
	# Docker's profile format: archMap, and rules with includes by capability
	cat >"$WORK/profile.json" <<-'EOF'
	{"defaultAction": "SCMP_ACT_ALLOW",
	 "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
	             {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
	 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
	              {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_SYS_ADMIN"]}}]}
	EOF
	run cell run --rm --security-opt "seccomp=$WORK/profile.json" busybox sh -c 'mkdir /x 2>&1; mkdir /tmp/y 2>&1; echo done'
	[[ "${lines[0]}" == *"Permission denied"* ]]
	[ "${lines[2]}" = done ]
	run cell run --rm --security-opt no-new-privileges busybox grep NoNewPrivs /proc/self/status
	[ "$output" = "NoNewPrivs:	1" ]
	run cell run --rm --security-opt seccomp=/nonexistent busybox true
	[ "$status" -eq 125 ]
	run cell run --rm --security-opt bogus=1 busybox true
	[ "$status" -eq 125 ]
	[[ "$output" == *"unknown option"* ]]
}

@test "masked and read-only paths of /proc and /sys" {
	run cell run --rm busybox sh -c 'cat /proc/keys | wc -c; ls /sys/firmware | wc -l'
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	run cell run --rm busybox sh -c '(echo 1 > /proc/sysrq-trigger) 2>&1; (touch /sys/x) 2>&1; grep -E " /(sys|proc/sys) " /proc/self/mountinfo'
	[[ "${lines[0]}" == *"can't create /proc/sysrq-trigger"* ]]
	[[ "${lines[1]}" == *"Read-only file system"* ]]
	[[ "${lines[2]}" == *" /sys ro,"* ]]
	[[ "${lines[3]}" == *" /proc/sys ro,"* ]]
}

@test "--init runs our init as pid 1: it reaps orphans and passes signals on" {
	run cell run --rm --init busybox sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; (sleep 0.2 &); sleep 1; ps -o stat,comm | grep -c "^Z" || true'
	[[ "${lines[0]}" == "/run/cell-init -- sh -c"* ]]
	[ "${lines[1]}" = 0 ]
	# pid 1 ignores SIGTERM it has no handler for; under the init, sleep gets it
	cell run -d --name withinit --init busybox sleep 100
	start=$(date +%s)
	cell stop -t 20 withinit
	[ $(($(date +%s) - start)) -lt 10 ]
	[ "$(cell inspect -f '{{.State.ExitCode}}' withinit)" = 143 ]
}

@test "--stop-signal and --stop-timeout" {
	cell run -d --name sig --stop-signal SIGUSR1 --stop-timeout 30 busybox sh -c 'trap "echo got USR1; exit 9" USR1; while :; do sleep 0.1; done'
	[ "$(cell inspect -f '{{.Config.StopSignal}} {{.Config.StopTimeout}}' sig)" = "SIGUSR1 30" ]
	cell stop sig
	[ "$(cell inspect -f '{{.State.ExitCode}}' sig)" = 9 ]
	run cell logs sig
	[ "$output" = "got USR1" ]
	run cell run --stop-signal NOPE busybox true
	[ "$status" -eq 125 ]
}

@test "--ulimit sets the process's limits" {
	run cell run --rm --ulimit nofile=512:1024 --ulimit core=0 busybox sh -c 'ulimit -n; ulimit -Hn; grep "Max core" /proc/self/limits'
	[ "${lines[0]}" = 512 ]
	[ "${lines[1]}" = 1024 ]
	[[ "${lines[2]}" == *" 0 "* ]]
	run cell run --rm --ulimit nosuch=1 busybox true
	[ "$status" -eq 125 ]
	run cell run --rm --ulimit nofile=9:1 busybox true
	[ "$status" -eq 125 ]
}

@test "--label is the container's, with the image's" {
	id=$(cell create --label tier=web -l team busybox true)
	[ "$(cell inspect -f '{{index .Config.Labels "tier"}}' "$id")" = web ]
	[ "$(cell inspect -f '{{json .Config.Labels}}' "$id")" = '{"tier":"web","team":""}' ]
	run cell ps -a --filter label=tier=web -q
	[ "$output" = "${id:0:12}" ]
	run cell ps -a --filter label=tier=db -q
	[ -z "$output" ]
}

@test "--network none has only loopback; host shares the host's; bridge is not here yet" {
	run cell run --rm busybox sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'
	[ "$output" = lo ]
	host=$(tail -n +3 /proc/net/dev | wc -l)
	run cell run --rm --network host busybox sh -c 'tail -n +3 /proc/net/dev | wc -l; hostname'
	[ "${lines[0]}" = "$host" ]
	[ "${lines[1]}" = "$(hostname)" ]
	run cell run --rm --network bridge busybox true
	[ "$status" -eq 125 ]
	[[ "$output" == *"bridge networking is not available yet"* ]]
	run cell run --rm --network other busybox true
	[ "$status" -eq 125 ]
}

@test "--rm removes the container, also when it crashes" {
	cell run --rm busybox true
	run cell run --rm busybox sh -c 'sh -c "kill -SEGV \$\$"; exit $?'
	[ "$status" -eq 139 ]
	cell run -d --rm --name crash busybox sh -c 'sleep 0.3; sh -c "kill -KILL \$\$"; exit $?'
	wait_until gone crash
	[ -z "$(all_ids)" ]
	run cell run --rm --restart always busybox true
	[ "$status" -eq 125 ]
	[[ "$output" == *"conflicting options: --restart and --rm"* ]]
}

@test "-i passes stdin on, and its end" {
	run sh -c "printf 'one\ntwo\n' | $CELL --root $STORE --runroot $RUN run -i --rm busybox sh -c 'wc -l; echo done'"
	[ "${lines[0]}" = 2 ]
	[ "${lines[1]}" = done ]
	# without -i the container reads nothing of ours
	run sh -c "echo data | $CELL --root $STORE --runroot $RUN run --rm busybox cat"
	[ -z "$output" ]
}

@test "-it through a real terminal: raw mode, its size, exit status, the terminal restored" {
	run python3 "$PTYRUN" --size 33x111 --step '# :send=stty size; tty; echo $TERM\r' \
		--step 'pts/0:mode' --step 'xterm:send=exit 4\r' -- "$CELL" --root "$STORE" --runroot "$RUN" run -it --rm busybox sh
	echo "$output"
	[[ "$output" == *"33 111"* ]]
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *"ptyrun: raw yes"* ]]
	[[ "$output" == *"ptyrun: status 4"* ]]
	[[ "$output" == *"ptyrun: termios restored"* ]]
}

@test "-it: a resize reaches the container; ctrl-p ctrl-q detaches and leaves it running" {
	run python3 "$PTYRUN" --size 24x80 --step '# :resize=40x120' --step ':sleep=0.3' \
		--step ':send=stty size\r' --step '40 120:send=\x10\x11' -- \
		"$CELL" --root "$STORE" --runroot "$RUN" run -it --name det busybox sh
	echo "$output"
	[[ "$output" == *"40 120"* ]]
	[[ "$output" == *"ptyrun: status 0"* ]]
	[ "$(ctr_status det)" = running ]
	cell rm -f det
}

@test "signals to a foreground run reach the container (--sig-proxy)" {
	"$CELL" --root "$STORE" --runroot "$RUN" run --rm --name proxied busybox sh -c 'trap "echo caught; exit 7" TERM; echo ready; while :; do sleep 0.1; done' >"$WORK/out" 2>&1 &
	pid=$!
	wait_until grep -q ready "$WORK/out"
	kill -TERM "$pid"
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 7 ]
	grep -q caught "$WORK/out"
}

@test "create records, start runs; -a attaches" {
	id=$(cell create --name later busybox sh -c 'echo started; exit 2')
	[ "$(ctr_status later)" = created ]
	run cell ps -a --format '{{.Names}} {{.Status}}'
	[ "$output" = "later Created" ]
	run cell start -a later
	[ "$status" -eq 2 ]
	[ "$output" = started ]
	[ "$(cell inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id")" = "exited 2" ]
	run cell create
	[ "$status" -eq 125 ]
}
