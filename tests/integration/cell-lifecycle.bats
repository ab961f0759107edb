#!/usr/bin/env bats
# start, stop, kill, restart, rm, wait, rename, ps, inspect, container
# prune, and the restart policies.

load cell-engine
bats_require_minimum_version 1.5.0

@test "stop sends the stop signal, then SIGKILL after the timeout" {
	cell run -d --name polite busybox sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
	cell run -d --name stubborn busybox sleep 1000
	run cell stop polite
	[ "$output" = polite ]
	[ "$(cell inspect -f '{{.State.Status}} {{.State.ExitCode}}' polite)" = "exited 0" ]
	start=$(date +%s)
	cell stop -t 1 stubborn
	end=$(date +%s)
	[ $((end - start)) -ge 1 ]
	[ $((end - start)) -lt 8 ]
	[ "$(cell inspect -f '{{.State.ExitCode}}' stubborn)" = 137 ]
	# stopping a stopped container is fine; a missing one is not
	cell stop stubborn
	run cell stop nosuch
	[ "$status" -eq 125 ]
	[[ "$output" == *"no such container: nosuch"* ]]
	# nothing of theirs is left mounted or running
	[ -z "$(store_processes)" ]
	! grep -q "$STORE/containers" /proc/self/mountinfo
}

@test "kill sends a signal; -s picks it; a stopped container cannot be killed" {
	cell run -d --name k busybox sh -c 'trap "echo hup" HUP; echo up; while :; do sleep 0.1; done'
	wait_until sh -c "grep -q up $STORE/containers/*/ctr.log"
	cell kill -s HUP k
	wait_until sh -c "grep -q hup $STORE/containers/*/ctr.log"
	[ "$(ctr_status k)" = running ]
	cell kill k
	wait_until status_is k exited
	[ "$(cell inspect -f '{{.State.ExitCode}}' k)" = 137 ]
	run cell kill k
	[ "$status" -eq 125 ]
	[[ "$output" == *"is not running"* ]]
	run cell kill -s NOSIG k
	[ "$status" -eq 125 ]
}

@test "restart starts it again, with a new process" {
	cell run -d --name r busybox sleep 1000
	pid1=$(host_pid_of r)
	run cell restart -t 1 r
	[ "$output" = r ]
	[ "$(ctr_status r)" = running ]
	pid2=$(host_pid_of r)
	[ "$pid1" != "$pid2" ]
	! kill -0 "$pid1" 2>/dev/null
	cell stop -t 0 r
	cell restart r
	[ "$(ctr_status r)" = running ]
	# a time that is not seconds, or would wrap: refused, nothing done
	for cmd in stop restart; do
		for t in -1 99999999999 1s ""; do
			run cell "$cmd" -t "$t" r
			[ "$status" -eq 125 ]
			[[ "$output" == *"$cmd: --time \"$t\": must be seconds (0 to a year)"* ]]
		done
	done
	[ "$(ctr_status r)" = running ]
	[ "$(host_pid_of r)" != "$pid2" ]
}

@test "rm refuses a running container without -f; -f kills it; -v takes its anonymous volumes" {
	cell run -d --name busy -v /anon -v keep:/keep busybox sleep 1000
	run cell rm busy
	[ "$status" -eq 125 ]
	[[ "$output" == *"cannot remove container busy: it is running"* ]]
	vols=$(cell volume ls -q | wc -l)
	[ "$vols" -eq 2 ]
	pid=$(host_pid_of busy)
	run cell rm -f -v busy
	[ "$output" = busy ]
	! kill -0 "$pid" 2>/dev/null
	run cell volume ls -q
	[ "$output" = keep ]
	cell volume rm keep
	run cell rm nosuch
	[ "$status" -eq 125 ]
	cell create --name c1 busybox true
	cell create --name c2 busybox true
	cell rm -a
	[ -z "$(all_ids)" ]
}

@test "wait prints the exit code once it exits" {
	cell run -d --name w busybox sh -c 'sleep 0.5; exit 6'
	run cell wait w
	[ "$output" = 6 ]
	# an exited one at once
	run cell wait w
	[ "$output" = 6 ]
	cell run -d --name w2 busybox sh -c 'exit 1'
	run cell wait w w2
	[ "${lines[0]}" = 6 ]
	[ "${lines[1]}" = 1 ]
}

@test "rename changes the name; ps, inspect and the ID prefix find it" {
	id=$(cell create --name old busybox true)
	cell rename old new
	[ "$(cell inspect -f '{{.Name}}' "${id:0:8}")" = new ]
	run cell inspect old
	[ "$status" -eq 125 ]
	cell create --name other busybox true
	run cell rename new other
	[ "$status" -eq 125 ]
	[[ "$output" == *"already in use"* ]]
	run cell rename new 'bad/name'
	[ "$status" -eq 125 ]
}

@test "ps shows running ones, -a all; -q, --no-trunc, --format, --filter, -n, -l" {
	cell run -d --name up busybox sleep 1000
	cell create --name made busybox true
	cell run --name done busybox sh -c 'exit 3' || true
	run cell ps
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" =~ ^CONTAINER\ ID\ +IMAGE\ +COMMAND\ +CREATED\ +STATUS\ +PORTS\ +NAMES$ ]]
	[[ "${lines[1]}" =~ ^[0-9a-f]{12}\ +busybox\ +\"sleep\ 1000\"\ +.*\ +Up\ .*\ up$ ]]
	run cell ps -a --format '{{.Names}}|{{.Status}}|{{.State}}'
	[[ "$output" == *"up|Up "*"|running"* ]]
	[[ "$output" == *"made|Created|created"* ]]
	[[ "$output" == *"done|Exited (3) "*"|exited"* ]]
	run cell ps -a --filter status=exited --format '{{.Names}}'
	[ "$output" = done ]
	run cell ps -a --filter exited=3 -q
	[ "${#lines[@]}" -eq 1 ]
	run cell ps -a --filter name=ma --filter name=do --format '{{.Names}}'
	[ "${#lines[@]}" -eq 2 ]
	run cell ps -a --filter ancestor=busybox -q
	[ "${#lines[@]}" -eq 3 ]
	run cell ps -q --no-trunc
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	run cell ps -l --format '{{.Names}}'
	[ "$output" = done ]
	run cell ps -n 2 -q
	[ "${#lines[@]}" -eq 2 ]
	cell ps -a --format json | jq -e 'length == 3 and all(.[]; .Id | test("^[0-9a-f]{64}$"))'
	run cell ps --filter bogus=1
	[ "$status" -eq 125 ]
	run cell ps --format '{{.Names'
	[ "$status" -eq 125 ]
}

@test "inspect: Docker's shape, -f templates, --type, images and volumes too" {
	id=$(cell run -d --name insp -e X=1 busybox sleep 1000)
	cell inspect insp | jq -e --arg id "$id" '.[0] | .Id == $id and .Name == "insp" and .State.Running == true
		and .State.Pid > 0 and (.Config.Env | index("X=1")) != null and .HostConfig.RestartPolicy.Name == "no"
		and .Path == "sleep" and .Args == ["1000"] and (.Image | startswith("sha256:"))'
	[ "$(cell inspect -f '{{.State.Status}} {{.Config.Cmd}}' insp)" = 'running ["sleep","1000"]' ]
	[ "$(cell inspect -f '{{json .HostConfig.CapAdd}}' insp)" = '[]' ]
	cell inspect busybox | jq -e '.[0].RepoTags == ["localhost/busybox:latest"]'
	cell volume create v1 >/dev/null
	[ "$(cell inspect -f '{{.Driver}}' v1)" = local ]
	run cell inspect --type image insp
	[ "$status" -eq 125 ]
	run cell inspect nothing-called-this
	[ "$status" -eq 125 ]
	[[ "$output" == *"no such object: nothing-called-this"* ]]
	cell inspect -s insp | jq -e '.[0].SizeRw >= 0'
	cell volume rm v1
}

@test "container prune removes what does not run; container ls is ps" {
	cell run -d --name keep busybox sleep 1000
	cell create --name gone1 busybox true
	cell run --name gone2 busybox true
	run cell container prune -f
	[ "$status" -eq 0 ]
	[[ "$output" == *"Deleted Containers:"* ]]
	[[ "$output" == *"Total reclaimed space:"* ]]
	run cell container ls -a --format '{{.Names}}'
	[ "$output" = keep ]
	# without -f it asks, and no answer is no
	cell create --name maybe busybox true
	echo n | cell container prune
	[ "$(cell ps -a -q | wc -l)" -eq 2 ]
	echo y | cell container prune
	[ "$(cell ps -a -q | wc -l)" -eq 1 ]
}

@test "--restart on-failure:N retries N times, then gives up" {
	cell run -d --name flaky --restart on-failure:2 busybox sh -c 'echo try; exit 4'
	wait_until sh -c "[ \"\$($CELL --root $STORE --runroot $RUN inspect -f '{{.RestartCount}} {{.State.Status}}' flaky)\" = '2 exited' ]"
	[ "$(cell inspect -f '{{.State.ExitCode}}' flaky)" = 4 ]
	run cell logs flaky
	[ "${#lines[@]}" -eq 3 ]
	# success is not a failure
	cell run -d --name fine --restart on-failure busybox true
	wait_until status_is fine exited
	sleep 0.5
	[ "$(cell inspect -f '{{.RestartCount}}' fine)" = 0 ]
}

@test "--restart always brings it back until it is stopped; unless-stopped too" {
	cell run -d --name again --restart always busybox sh -c 'sleep 0.2; exit 0'
	wait_until sh -c "[ \"\$($CELL --root $STORE --runroot $RUN inspect -f '{{.RestartCount}}' again)\" -ge 2 ]"
	cell stop again
	[ "$(ctr_status again)" = exited ]
	n=$(cell inspect -f '{{.RestartCount}}' again)
	sleep 1
	[ "$(cell inspect -f '{{.RestartCount}} {{.State.Status}}' again)" = "$n exited" ]
	# a kill of the user counts as a stop too
	cell run -d --name unless --restart unless-stopped busybox sleep 1000
	cell kill unless
	wait_until status_is unless exited
	sleep 1
	[ "$(cell inspect -f '{{.RestartCount}} {{.State.Status}}' unless)" = "0 exited" ]
	# a crash is not the user's: it comes back
	cell start unless
	pid=$(host_pid_of unless)
	kill -9 "$pid"
	wait_until sh -c "[ \"\$($CELL --root $STORE --runroot $RUN inspect -f '{{.RestartCount}} {{.State.Status}}' unless)\" = '1 running' ]"
}

@test "start -a of a container that runs is refused; start of one prints its name" {
	cell run -d --name s busybox sleep 1000
	run cell start -a s
	[ "$status" -eq 125 ]
	run cell start s
	[ "$output" = s ]
	run cell start nosuch
	[ "$status" -eq 125 ]
}
