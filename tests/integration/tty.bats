#!/usr/bin/env bats
# Terminals: process.terminal on a real terminal (ptyrun.py gives the
# runtime one), the --console-socket protocol (recvtty.py receives it), and
# the user's terminal back as it was on every way out.

load helpers

PTYRUN=$BATS_TEST_DIRNAME/ptyrun.py
RECVTTY=$BATS_TEST_DIRNAME/recvtty.py

# cellrt on a terminal of its own; ptyrun's arguments first, then "--".
on_tty() {
	local args=()
	while [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	shift
	python3 "$PTYRUN" --timeout 60 "${args[@]}" -- "$CELLRT" --root "$STATE" "$@"
}

# A console-socket receiver on $SOCK, in the background, output in $BUNDLE/recv.*
start_receiver() {
	SOCK=$BUNDLE/console.sock
	python3 "$RECVTTY" "$SOCK" "$@" >"$BUNDLE/recv.out" 2>"$BUNDLE/recv.err" &
	RECEIVER=$!
	wait_for test -e "$SOCK.ready"
}

@test "run on a terminal: the process gets a pty of the container's devpts as stdio and /dev/console" {
	update_config '.process.terminal = true'
	set_cmd 'for fd in 0 1 2; do readlink /proc/self/fd/$fd; done; tty; stat -c "%t:%T" /dev/console $(tty); grep devpts /proc/self/mountinfo | cut -d" " -f3 | head -1; stat -c "%d" /dev/pts/ptmx $(tty)'
	run on_tty -- run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	echo "$output"
	[[ "${lines[0]}" == "/dev/pts/0"* ]]
	[[ "${lines[1]}" == "/dev/pts/0"* ]]
	[[ "${lines[2]}" == "/dev/pts/0"* ]]
	[[ "${lines[3]}" == "/dev/pts/0"* ]]
	# /dev/console is the same device as the pty
	[ "${lines[4]//$'\r'/}" = "${lines[5]//$'\r'/}" ]
	# the pty is on the container's own devpts (the one at /dev/pts/ptmx)
	[ "${lines[7]//$'\r'/}" = "${lines[8]//$'\r'/}" ]
	[[ "$output" == *"ptyrun: status 0"* ]]
}

@test "run on a terminal: raw mode while it runs, input reaches the process, exit status, terminal restored" {
	update_config '.process.terminal = true'
	set_cmd 'echo READY; read line; echo "got <$line>"; echo MODE; sleep 0.5; exit 3'
	run on_tty --step READY:send='hello\r' --step MODE:mode -- run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[[ "$output" == *"got <hello>"* ]]
	[[ "$output" == *"ptyrun: raw yes"* ]]
	[[ "$output" == *"ptyrun: status 3"* ]]
	[[ "$output" == *"ptyrun: termios restored"* ]]
	[ -z "$(cellrt list -q)" ]
}

@test "run on a terminal: ^C goes to the container's process, and the terminal comes back" {
	update_config '.process.terminal = true'
	# The loop runs in a child, which ^C kills; the init traps it and goes on.
	set_cmd 'trap "echo init got INT" INT; sh -c "echo READY; while :; do sleep 0.05; done"; echo "child ended"; exit 5'
	run on_tty --step READY:sleep=0.3 --step ':send=\x03' -- run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[[ "$output" == *"child ended"* ]]
	[[ "$output" == *"ptyrun: status 5"* ]]
	[[ "$output" == *"ptyrun: termios restored"* ]]
}

@test "run on a terminal: a container killed from outside still gives the terminal back" {
	update_config '.process.terminal = true'
	set_cmd 'echo READY; sleep 1000'
	(
		wait_for sh -c "[ -n \"\$($CELLRT --root $STATE list -q)\" ]"
		wait_for test "$(container_status "$CID" 2>/dev/null)" = running
		sleep 0.3
		"$CELLRT" --root "$STATE" kill "$CID" KILL
	) &
	run on_tty -- run --bundle "$BUNDLE" "$CID"
	wait
	echo "$output"
	[[ "$output" == *"ptyrun: status 137"* ]]
	[[ "$output" == *"ptyrun: termios restored"* ]]
}

@test "the terminal's size: taken from the user's, followed on SIGWINCH, or process.consoleSize" {
	update_config '.process.terminal = true'
	set_cmd 'stty size; echo READY; read x; stty size'
	run on_tty --size 30x90 --step READY:resize=50x140 --step :sleep=0.3 --step ':send=x\r' -- run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "${lines[0]//$'\r'/}" = "30 90" ]
	[[ "$output" == *"50 140"* ]]
	update_config '.process.consoleSize = {"height": 33, "width": 101}'
	set_cmd 'stty size'
	run on_tty --size 30x90 -- run --bundle "$BUNDLE" "$CID"
	[ "${lines[0]//$'\r'/}" = "33 101" ]
}

@test "run with a terminal and stdio that are not terminals: output still flows" {
	update_config '.process.terminal = true'
	set_cmd '[ -t 0 ] && [ -t 1 ] && echo "a tty inside"; exit 4'
	run cellrt run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 4 ]
	[[ "$output" == *"a tty inside"* ]]
}

@test "--console-socket: the master fd arrives as runc sends it, and carries the terminal both ways" {
	update_config '.process.terminal = true'
	set_cmd 'tty; read line; echo "got <$line>"'
	start_receiver --send 'from-receiver\r'
	cellrt create --console-socket "$SOCK" --bundle "$BUNDLE" "$CID" </dev/null
	wait_for grep -q "recvtty: fd ok" "$BUNDLE/recv.err"
	grep -q "recvtty: name /dev/ptmx" "$BUNDLE/recv.err"
	cellrt start "$CID"
	wait "$RECEIVER"
	cat "$BUNDLE/recv.out"
	grep -q "^/dev/pts/0" "$BUNDLE/recv.out"
	grep -q "got <from-receiver>" "$BUNDLE/recv.out"
}

@test "run -d --console-socket" {
	update_config '.process.terminal = true | .process.consoleSize = {"height": 12, "width": 34}'
	set_cmd 'stty size; sleep 1000'
	start_receiver
	cellrt run -d --console-socket "$SOCK" --bundle "$BUNDLE" "$CID" </dev/null
	wait_for grep -q "12 34" "$BUNDLE/recv.out"
	[ "$(container_status "$CID")" = running ]
	cellrt delete -f "$CID"
	wait "$RECEIVER"
}

@test "terminal rules: a detached terminal needs --console-socket, a socket needs a terminal, and nothing is left" {
	update_config '.process.terminal = true'
	run cellrt create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"use --console-socket"* ]]
	run cellrt run -d --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"use --console-socket"* ]]
	run cellrt create --console-socket "$BUNDLE/nosock" --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--console-socket $BUNDLE/nosock: connect: No such file or directory"* ]]
	update_config '.process.terminal = false'
	run cellrt create --console-socket "$BUNDLE/nosock" --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--console-socket: only for a container with process.terminal"* ]]
	[ -z "$(cellrt list -q)" ]
}

@test "a terminal without a devpts in the container fails clearly" {
	update_config '.process.terminal = true | del(.mounts[] | select(.destination == "/dev/pts"))'
	run on_tty -- run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[[ "$output" == *"terminal: open /dev/pts/ptmx"* ]]
	[[ "$output" == *"ptyrun: termios restored"* ]]
	[ -z "$(cellrt list -q)" ]
}

@test "exec -t on a terminal, and exec -t -d --console-socket" {
	run_detached
	run on_tty --step '#:send=tty; stty size; exit 6\r' --size 40x120 -- exec -t "$CID" sh
	echo "$output"
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *"40 120"* ]]
	[[ "$output" == *"ptyrun: status 6"* ]]
	[[ "$output" == *"ptyrun: termios restored"* ]]
	# the size is there before the process runs: its very first question
	run on_tty --size 41x121 -- exec -t "$CID" stty size
	echo "$output"
	[ "${lines[0]//$'\r'/}" = "41 121" ]
	start_receiver --send 'x\r'
	cellrt exec -t -d --console-socket "$SOCK" "$CID" sh -c 'tty; read x; echo "exec got $x"'
	wait "$RECEIVER"
	grep -q "^/dev/pts/[0-9]" "$BUNDLE/recv.out"
	grep -q "exec got x" "$BUNDLE/recv.out"
}
