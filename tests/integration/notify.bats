#!/usr/bin/env bats
# NOTIFY_SOCKET: the container's readiness reaches the host's socket.

load helpers

# A datagram listener at $1 writing what it receives to $2, one per line.
listen() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
with open(sys.argv[2], "w", buffering=1) as out:
    while True:
        try:
            out.write(s.recv(4096).decode().replace("\n", ";") + "\n")
        except socket.timeout:
            break
' "$1" "$2" &
	LISTENER=$!
	wait_for test -S "$1"
}

# In the container: send a datagram to NOTIFY_SOCKET (our tests/helpers/sdnotify).
notify_cmd() {
	echo "/sdnotify '$1'"
}

setup() {
	setup_bundle
	cp "$(helper_bin sdnotify)" "$BUNDLE/rootfs/sdnotify"
}

teardown() {
	[ -n "${LISTENER:-}" ] && kill "$LISTENER" 2>/dev/null || true
	teardown_bundle
}

@test "the container sees a notify socket at the host's path, in its environment" {
	sock="$BUNDLE/host.sock"
	set_cmd 'echo "$NOTIFY_SOCKET"; ls -l "$(dirname "$NOTIFY_SOCKET")"; grep -c " '"$sock"' " /proc/self/mountinfo'
	run env NOTIFY_SOCKET="$sock" "$CELLRT" --root "$STATE" run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$sock/notify" ]
	[[ "${lines[2]}" == s*" notify" ]]
	[ "${lines[3]}" = 1 ]
}

@test "run forwards what the container says while it runs" {
	sock="$BUNDLE/host.sock"
	listen "$sock" "$BUNDLE/got"
	set_cmd "$(notify_cmd 'STATUS=starting'); $(notify_cmd 'READY=1\nSTATUS=up'); sleep 0.2"
	NOTIFY_SOCKET="$sock" "$CELLRT" --root "$STATE" run --bundle "$BUNDLE" "$CID"
	wait_for grep -q READY "$BUNDLE/got"
	[ "$(sed -n 1p "$BUNDLE/got")" = "STATUS=starting" ]
	[ "$(sed -n 2p "$BUNDLE/got")" = "READY=1;STATUS=up" ]
}

@test "start returns once the container says READY=1" {
	sock="$BUNDLE/host.sock"
	listen "$sock" "$BUNDLE/got"
	set_cmd "sleep 1; touch /tmp/before-ready; $(notify_cmd 'READY=1'); sleep 1000"
	NOTIFY_SOCKET="$sock" "$CELLRT" --root "$STATE" create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
	cellrt start "$CID"
	# start did not return before the container was ready
	[ -e "$BUNDLE/rootfs/tmp/before-ready" ]
	wait_for grep -qx READY=1 "$BUNDLE/got"
	[ "$(container_status "$CID")" = running ]
}

@test "run --detach waits for READY=1 too; a container that exits first is an error" {
	sock="$BUNDLE/host.sock"
	listen "$sock" "$BUNDLE/got"
	set_cmd "$(notify_cmd 'READY=1'); sleep 1000"
	NOTIFY_SOCKET="$sock" "$CELLRT" --root "$STATE" run -d --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
	wait_for grep -qx READY=1 "$BUNDLE/got"
	cellrt delete -f "$CID"
	set_cmd 'exit 0'
	run env NOTIFY_SOCKET="$sock" "$CELLRT" --root "$STATE" run -d --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"NOTIFY_SOCKET: the container exited before it said READY=1"* ]]
}

@test "an abstract NOTIFY_SOCKET is left alone" {
	set_cmd 'echo "[$NOTIFY_SOCKET]"'
	run env NOTIFY_SOCKET=@abstract "$CELLRT" --root "$STATE" run --bundle "$BUNDLE" "$CID"
	[ "$output" = "[]" ]
}
