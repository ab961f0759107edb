#!/usr/bin/env bats
# exec, attach, top and stats on running containers.

load cell-engine
bats_require_minimum_version 1.5.0

@test "exec runs in the container's namespaces and returns the status" {
	cell run -d --name e busybox sleep 1000
	run cell exec e sh -c 'hostname; cat /proc/1/cmdline | tr "\0" " "; exit 5'
	[ "$status" -eq 5 ]
	[ "${lines[0]}" = "$(cell inspect -f '{{.Config.Hostname}}' e)" ]
	[ "${lines[1]}" = "sleep 1000 " ]
	run -127 cell exec e no-such-thing
	[[ "$output" == *"executable file not found"* ]]
	run -126 cell exec e /etc
	run cell exec nosuch true
	[ "$status" -eq 125 ]
	cell stop -t 0 e
	run cell exec e true
	[ "$status" -eq 125 ]
	[[ "$output" == *"is not running"* ]]
}

@test "exec -e, -u, -w and --env-file" {
	cell run -d --name e busybox sleep 1000
	echo FROMFILE=1 >"$WORK/env"
	run cell exec -e A=b --env-file "$WORK/env" -u nobody -w /tmp e sh -c 'echo $A $FROMFILE; id -un; pwd'
	[ "${lines[0]}" = "b 1" ]
	[ "${lines[1]}" = nobody ]
	[ "${lines[2]}" = /tmp ]
	run cell exec -u 42:43 e sh -c 'id -u; id -g'
	[ "${lines[0]}" = 42 ]
	[ "${lines[1]}" = 43 ]
	run cell exec -u nosuchuser e true
	[ "$status" -eq 125 ]
}

@test "exec -d leaves the process running; -i passes stdin; -it has a terminal" {
	cell run -d --name e busybox sleep 1000
	cell exec -d e sh -c 'echo detached > /tmp/mark; sleep 1000'
	wait_until cell exec e test -f /tmp/mark
	run cell exec e sh -c 'ps -o comm | grep -c sleep'
	[ "$output" = 2 ]
	run sh -c "echo piped | $CELL --root $STORE --runroot $RUN exec -i e cat"
	[ "$output" = piped ]
	run python3 "$PTYRUN" --size 20x70 --step '# :send=stty size; tty\r' --step 'pts:send=exit 3\r' -- \
		"$CELL" --root "$STORE" --runroot "$RUN" exec -it e sh
	echo "$output"
	[[ "$output" == *"20 70"* ]]
	[[ "$output" == *"ptyrun: status 3"* ]]
	[[ "$output" == *"ptyrun: termios restored"* ]]
	run cell exec -dt e true
	[ "$status" -eq 125 ]
}

@test "attach copies output and input, and returns the exit status" {
	cell run -d -i --name a busybox sh -c 'read line; echo "got $line"; exit 4'
	run sh -c "echo hello | $CELL --root $STORE --runroot $RUN attach a"
	[ "$status" -eq 4 ]
	[ "$output" = "got hello" ]
	run cell attach a
	[ "$status" -eq 125 ]
	[[ "$output" == *"is not running"* ]]
	# two clients see the same output
	cell run -d --name b busybox sh -c 'sleep 1; echo shared; sleep 1'
	"$CELL" --root "$STORE" --runroot "$RUN" attach b >"$WORK/one" &
	"$CELL" --root "$STORE" --runroot "$RUN" attach b >"$WORK/two" &
	wait
	[ "$(cat "$WORK/one")" = shared ]
	[ "$(cat "$WORK/two")" = shared ]
}

@test "attach -it through a terminal, and ctrl-p ctrl-q detaches" {
	cell run -d -it --name t busybox sh
	run python3 "$PTYRUN" --step ':send=echo attached-$((1+1))\r' --step 'attached-2:send=\x10\x11' -- \
		"$CELL" --root "$STORE" --runroot "$RUN" attach t
	echo "$output"
	[[ "$output" == *"attached-2"* ]]
	[[ "$output" == *"ptyrun: status 0"* ]]
	[ "$(ctr_status t)" = running ]
}

@test "top lists the container's processes" {
	cell run -d --name tp busybox sh -c 'sleep 1000 & sleep 1000'
	run cell top tp
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID* ]]
	[ "$(echo "$output" | grep -c 'sleep 1000')" -eq 2 ]
	run cell top tp -o pid,comm
	[[ "${lines[0]}" =~ PID\ +COMMAND ]]
	cell stop -t 0 tp
	run cell top tp
	[ "$status" -eq 125 ]
}

@test "stats --no-stream shows CPU, memory, I/O and processes" {
	cell run -d --name st -m 32m busybox sh -c 'while :; do :; done'
	run cell stats --no-stream
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ CONTAINER\ ID\ +NAME\ +CPU\ %\ +MEM\ USAGE\ /\ LIMIT\ +MEM\ %\ +NET\ I/O\ +BLOCK\ I/O\ +PIDS ]]
	[[ "${lines[1]}" =~ \ st\ .*/\ 32MiB ]]
	cell stats --no-stream --format json st | jq -e '.[0].Name == "st" and (.[0].CPUPerc | rtrimstr("%") | tonumber) > 1 and .[0].PIDs == "1"'
	[ "$(cell stats --no-stream --format '{{.Name}} {{.PIDs}}' st)" = "st 1" ]
	# streaming refreshes until interrupted
	run timeout 3 "$CELL" --root "$STORE" --runroot "$RUN" stats st
	[ "$status" -eq 124 ]
	[ "$(echo "$output" | grep -c ' st ')" -ge 2 ]
	run cell stats --no-stream nosuch
	[ "$status" -eq 125 ]
}
