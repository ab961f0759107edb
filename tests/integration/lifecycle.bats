#!/usr/bin/env bats
# The OCI lifecycle: create, start, state, list, kill, delete, and run.

load helpers

@test "create leaves a created container; start runs it; delete removes it" {
	set_cmd 'echo started > /tmp/marker; sleep 1000'
	cellrt create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
	[ "$(container_status "$CID")" = created ]
	pid=$(container_pid "$CID")
	[ "$pid" -gt 0 ]
	# the init waits: the marker is not there yet
	[ ! -e "$BUNDLE/rootfs/tmp/marker" ]
	cellrt start "$CID"
	[ "$(container_status "$CID")" = running ]
	wait_for test -e "$BUNDLE/rootfs/tmp/marker"
	run cellrt start "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot start container $CID: it is running, not created"* ]]
	cellrt kill "$CID" KILL
	wait_for status_is "$CID" stopped
	cellrt delete "$CID"
	run cellrt state "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"container $CID does not exist"* ]]
}

@test "state has the spec's fields and runc's extras" {
	run_detached
	run cellrt state "$CID"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg id "$CID" --arg b "$BUNDLE" '
		.ociVersion == "1.2.0" and .id == $id and .status == "running" and (.pid > 0)
		and .bundle == $b and .rootfs == ($b + "/rootfs") and (.created | test("^[0-9-]+T[0-9:.]+Z$"))
		and .owner == ""'
}

@test "annotations appear in the state" {
	update_config '.annotations = {"org.example.key": "value"}'
	run_detached
	cellrt state "$CID" | jq -e '.annotations["org.example.key"] == "value"'
}

@test "state is right after the init dies behind our back" {
	run_detached
	pid=$(container_pid "$CID")
	kill -9 "$pid"
	wait_for status_is "$CID" stopped
	[ "$(container_pid "$CID")" = 0 ]
	cellrt delete "$CID"
}

@test "delete of a running container fails without --force and changes nothing" {
	run_detached
	run cellrt delete "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot delete container $CID: it is running"* ]]
	[ "$(container_status "$CID")" = running ]
	cellrt delete --force "$CID"
	run cellrt state "$CID"
	[ "$status" -ne 0 ]
}

@test "delete of a created container kills its init" {
	cellrt create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
	pid=$(container_pid "$CID")
	cellrt delete "$CID"
	! kill -0 "$pid" 2>/dev/null || [ "$(awk '{print $3}' /proc/$pid/stat)" = Z ]
}

@test "delete --force of a missing container succeeds, without it fails" {
	cellrt delete --force nosuchcontainer
	run cellrt delete nosuchcontainer
	[ "$status" -ne 0 ]
	[[ "$output" == *"container nosuchcontainer does not exist"* ]]
}

@test "create refuses an id that exists" {
	run_detached
	run cellrt create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"container $CID already exists"* ]]
	[ "$(container_status "$CID")" = running ]
}

@test "list: table, json and quiet" {
	run_detached
	run cellrt list
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "ID"*"PID"*"STATUS"*"BUNDLE"*"CREATED"*"OWNER" ]]
	[[ "${lines[1]}" == "$CID "*"running"*"$BUNDLE"* ]]
	run cellrt list --format json
	echo "$output" | jq -e --arg id "$CID" '.[0].id == $id and .[0].status == "running"'
	run cellrt list -q
	[ "$output" = "$CID" ]
	run cellrt list --format yaml
	[ "$status" -ne 0 ]
	[[ "$output" == *"--format: must be table or json"* ]]
}

@test "kill: names, numbers, SIG prefix, and an unknown signal" {
	# The shell is its pid namespace's init: it only gets signals it handles.
	run_detached 'trap "echo got USR1 > /tmp/usr1" USR1; trap "exit 0" TERM; while :; do sleep 0.05; done'
	sleep 0.2
	cellrt kill "$CID" USR1
	wait_for test -e "$BUNDLE/rootfs/tmp/usr1"
	cellrt kill "$CID" 15
	wait_for status_is "$CID" stopped
	cellrt delete "$CID"
	run cellrt kill "$CID" SIGKILL
	[ "$status" -ne 0 ]
	run_detached
	run cellrt kill "$CID" NOTASIGNAL
	[ "$status" -ne 0 ]
	[[ "$output" == *'unknown signal "NOTASIGNAL"'* ]]
	cellrt kill "$CID" SIGKILL
	wait_for status_is "$CID" stopped
}

@test "kill --all reaches every process of a container without a pid namespace" {
	update_config 'del(.linux.namespaces[] | select(.type == "pid"))'
	run_detached 'sleep 1000 & sleep 1000 & wait'
	sleep 0.2
	cg_procs=$(find /sys/fs/cgroup/pids -type d -name "$CID" | head -1)/cgroup.procs
	wait_for sh -c "[ \$(wc -l <$cg_procs) -ge 3 ]"
	cellrt kill --all "$CID" KILL
	wait_for status_is "$CID" stopped
	wait_for sh -c "[ \$(wc -l <$cg_procs) -eq 0 ]"
}

@test "run returns the container's exit status, and 128+N for a signal" {
	set_cmd 'exit 42'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 42 ]
	# Without a pid namespace the shell is not a namespace's init, which
	# would ignore the signal.
	update_config 'del(.linux.namespaces[] | select(.type == "pid"))'
	set_cmd 'kill -TERM $$'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 143 ]
	# and nothing is left: run deletes what it ran
	[ -z "$(cellrt list -q)" ]
}

@test "run --keep leaves the stopped container for delete" {
	set_cmd 'exit 3'
	run cellrt run --keep --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 3 ]
	[ "$(container_status "$CID")" = stopped ]
	cellrt delete "$CID"
}

@test "run forwards signals to the container" {
	set_cmd 'trap "echo TERM; exit 7" TERM; echo ready; while :; do sleep 0.05; done'
	"$CELLRT" --root "$STATE" run --bundle "$BUNDLE" "$CID" >"$BUNDLE/out" 2>&1 &
	runner=$!
	wait_for grep -q ready "$BUNDLE/out"
	kill -TERM "$runner"
	set +e
	wait "$runner"
	rc=$?
	set -e
	[ "$rc" -eq 7 ]
	grep -q TERM "$BUNDLE/out"
}

@test "run --detach returns at once with the container running" {
	run_detached
	[ "$(container_status "$CID")" = running ]
}

@test "--pid-file holds the init's pid" {
	set_cmd 'sleep 1000'
	cellrt run -d --pid-file "$BUNDLE/pidfile" --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
	[ "$(cat "$BUNDLE/pidfile")" = "$(container_pid "$CID")" ]
	# a relative path is taken from the caller's directory
	(cd "$BUNDLE" && "$CELLRT" --root "$STATE" create --pid-file rel.pid "${CID}b" </dev/null >/dev/null 2>&1)
	[ "$(cat "$BUNDLE/rel.pid")" = "$(container_pid "${CID}b")" ]
}

@test "--config picks another config file in the bundle" {
	mkdir -p "$BUNDLE/conf"
	jq '.process.args = ["sh", "-c", "echo from-other-config"]' "$BUNDLE/config.json" >"$BUNDLE/conf/other.json"
	run cellrt run --bundle "$BUNDLE" --config conf/other.json "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = from-other-config ]
}

@test "commands on one container from several processes are serialised" {
	run_detached
	# Ten concurrent deletes: exactly one removes it, the others see it gone.
	for i in $(seq 10); do
		"$CELLRT" --root "$STATE" delete -f "$CID" >"$BUNDLE/del.$i" 2>&1 &
	done
	wait
	run cellrt state "$CID"
	[ "$status" -ne 0 ]
	! grep -v "^$" "$BUNDLE"/del.* | grep -v "does not exist"
}
