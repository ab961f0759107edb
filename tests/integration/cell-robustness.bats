#!/usr/bin/env bats
# Many cells at once on one store, cells killed at any point, monitors
# killed: the store stays sound and every container stays manageable.

load cell-engine
bats_require_minimum_version 1.5.0

# The store is sound and nothing is left over: not even orphans.
store_is_clean() {
	run cell system check
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *broken:* ]]
	[[ "$output" != *orphaned:* ]]
}

@test "20 cell run --rm at once on one store all succeed" {
	for i in $(seq 1 20); do
		"$CELL" --root "$STORE" --runroot "$RUN" run --rm busybox sh -c "echo out-$i; exit $((i % 4))" >"$WORK/out.$i" 2>&1 &
		echo $! >"$WORK/pid.$i"
	done
	for i in $(seq 1 20); do
		status=0
		wait "$(cat "$WORK/pid.$i")" || status=$?
		echo "run $i: status $status: $(cat "$WORK/out.$i")"
		[ "$status" -eq $((i % 4)) ]
		[ "$(cat "$WORK/out.$i")" = "out-$i" ]
	done
	[ -z "$(all_ids)" ]
	store_is_clean
}

@test "20 detached containers at once, then all removed at once" {
	for i in $(seq 1 20); do
		"$CELL" --root "$STORE" --runroot "$RUN" run -d --name "p$i" -v "vol$((i % 3)):/v" busybox sleep 1000 >/dev/null &
	done
	wait
	[ "$(cell ps -q | wc -l)" -eq 20 ]
	for i in $(seq 1 20); do
		"$CELL" --root "$STORE" --runroot "$RUN" rm -f "p$i" >/dev/null &
	done
	wait
	[ -z "$(all_ids)" ]
	cell volume prune -af >/dev/null
	store_is_clean
}

# Start cmd in the background and kill -9 it after a random delay of up to
# max_ms milliseconds.
kill_at_random() {
	local max_ms=$1
	shift
	"$CELL" --root "$STORE" --runroot "$RUN" "$@" >/dev/null 2>&1 &
	local pid=$!
	sleep "0.$(printf '%03d' $((RANDOM % max_ms)))"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# No clean-up of this store is running. The [-] keeps the pattern from
# matching a shell whose command line holds the pattern itself.
no_cleanups_running() {
	! pgrep -f -- "[-]-root $STORE .*container cleanup" >/dev/null
}

@test "kill -9 of cell at any point leaves the store sound" {
	for i in $(seq 1 25); do
		kill_at_random 150 run --rm busybox sh -c 'echo x; sleep 0.1'
		kill_at_random 150 run --rm busybox true
		kill_at_random 100 run -d --name "k$i" -v "kv$((i % 2)):/v" busybox sleep 0.3
		kill_at_random 80 create -v /anon busybox true
		kill_at_random 100 rm -f "k$((i - 1))"
		kill_at_random 60 volume create "kill$i"
	done
	# whatever was left is consistent: listed, and removable
	cell ps -a >/dev/null
	for id in $(all_ids); do
		cell inspect "$id" >/dev/null
	done
	wait_until no_cleanups_running
	cell rm -af -v >/dev/null
	cell volume prune -af >/dev/null
	[ -z "$(all_ids)" ]
	[ -z "$(cell volume ls -q)" ]
	store_is_clean
}

@test "a killed foreground run leaves the container running; --rm still removes it at its end" {
	"$CELL" --root "$STORE" --runroot "$RUN" run --rm --name orphan busybox sh -c 'sleep 1; echo done' >/dev/null 2>&1 &
	pid=$!
	wait_until status_is orphan running
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	[ "$(ctr_status orphan)" = running ]
	wait_until gone orphan
	store_is_clean
}

@test "a container whose monitor was killed is shown correctly and removable" {
	cell run -d --name m busybox sleep 1000
	mon=$(cell inspect -f '{{.State.MonitorPid}}' m)
	kill -9 "$mon"
	wait_until sh -c "! kill -0 $mon"
	run cell ps --format '{{.Names}} {{.State}}'
	[ "$output" = "m running" ]
	[ "$(cell inspect -f '{{.State.MonitorPid}}' m)" = 0 ]
	pid=$(host_pid_of m)
	kill -0 "$pid"
	cell stop -t 1 m
	! kill -0 "$pid" 2>/dev/null
	run cell ps -a --format '{{.Names}} {{.State}} {{.ExitCode}}'
	# nobody was there to see its status
	[ "$output" = "m exited -1" ]
	cell rm m
	store_is_clean

	# rm -f of one that runs without its monitor
	cell run -d --name m2 busybox sleep 1000
	kill -9 "$(cell inspect -f '{{.State.MonitorPid}}' m2)"
	pid=$(host_pid_of m2)
	cell rm -f m2
	! kill -0 "$pid" 2>/dev/null
	store_is_clean
}

@test "a container that exits after its monitor died: exited, cleaned up by rm or system check --repair" {
	cell run -d --name late busybox sleep 0.5
	kill -9 "$(cell inspect -f '{{.State.MonitorPid}}' late)"
	wait_until status_is late exited
	# the runtime's container and the mount are still there: repair finishes
	run cell system check --repair
	echo "$output"
	[[ "$output" == *"finished the clean-up its monitor did not"* ]]
	! grep -q "$STORE/containers" /proc/self/mountinfo
	cell start late
	wait_until status_is late exited
	cell rm late
	store_is_clean
}

@test "system check finds a broken container record, a broken volume and orphans; --repair fixes them" {
	cell create --name victim busybox true
	id=$(cell inspect -f '{{.Id}}' victim)
	echo '{not json' >"$STORE/containers/$id/state.json"
	cell volume create v >/dev/null
	rm -rf "$STORE/volumes/v/_data"
	mkdir -p "$STORE/volumes/.tmp-half-made" "$RUN/containers/$(printf '%064d' 0 | tr 0 a)"
	run cell system check
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"broken: container ${id:0:12}"* ]]
	[[ "$output" == *"broken: volume v: its directory is missing"* ]]
	[[ "$output" == *"orphaned: volumes/.tmp-half-made"* ]]
	[[ "$output" == *"the container is gone"* ]]
	run cell system check --repair
	echo "$output"
	[[ "$output" == *"removed broken container $id"* ]]
	[[ "$output" == *"removed broken volume v"* ]]
	store_is_clean
}
