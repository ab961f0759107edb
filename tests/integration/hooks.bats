#!/usr/bin/env bats
# Hooks: all six kinds, in order, with the state on stdin, args, env and
# timeout, and what a failing hook of each kind does.

load helpers

# A hook script on the host that logs its name, the state it got and where it ran.
make_hook() {
	cat >"$BUNDLE/hook.sh" <<HOOK
#!/bin/sh
state=\$(cat)
echo "\$1 \$(echo "\$state" | jq -c '{status, pid, id}') \$(readlink /proc/self/ns/mnt) \$HOOK_ENV" >>"$BUNDLE/hooks.log"
HOOK
	chmod +x "$BUNDLE/hook.sh"
}

hook() {
	jq -cn --arg p "$BUNDLE/hook.sh" --arg n "$1" '{"path": $p, "args": ["hook.sh", $n], "env": ["HOOK_ENV=e-" + $n, "PATH=/usr/bin:/bin"]}'
}

@test "every hook kind runs, in the spec's order, with the state on stdin" {
	make_hook
	# startContainer runs inside the container: its path is the container's.
	mkdir -p "$BUNDLE/rootfs/hooks"
	printf '#!/bin/sh\necho "startContainer $(cat | tr -d " \\n" | cut -c1-20) $HOOK_ENV" > /hooks/start.log\n' >"$BUNDLE/rootfs/hooks/start.sh"
	chmod +x "$BUNDLE/rootfs/hooks/start.sh"
	update_config --argjson pre "$(hook prestart)" --argjson cr "$(hook createRuntime)" \
		--argjson cc "$(hook createContainer)" --argjson ps "$(hook poststart)" --argjson pst "$(hook poststop)" \
		'.hooks = {"prestart": [$pre], "createRuntime": [$cr], "createContainer": [$cc],
			"startContainer": [{"path": "/hooks/start.sh", "env": ["HOOK_ENV=in-container"]}],
			"poststart": [$ps], "poststop": [$pst]}'
	set_cmd 'sleep 0.2'
	cellrt create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
	pid=$(container_pid "$CID")
	cellrt start "$CID"
	wait_for status_is "$CID" stopped
	cellrt delete "$CID"
	cat "$BUNDLE/hooks.log"
	run awk '{print $1}' "$BUNDLE/hooks.log"
	[ "$output" = "$(printf 'prestart\ncreateRuntime\ncreateContainer\npoststart\npoststop')" ]
	host_mnt=$(readlink /proc/self/ns/mnt)
	grep -qxF "prestart {\"status\":\"creating\",\"pid\":$pid,\"id\":\"$CID\"} $host_mnt e-prestart" "$BUNDLE/hooks.log"
	grep -qxF "createRuntime {\"status\":\"creating\",\"pid\":$pid,\"id\":\"$CID\"} $host_mnt e-createRuntime" "$BUNDLE/hooks.log"
	# createContainer: in the container's mount namespace
	grep -F "createContainer {\"status\":\"creating\",\"pid\":$pid,\"id\":\"$CID\"}" "$BUNDLE/hooks.log" | grep -vqF "$host_mnt"
	grep -qF "poststart {\"status\":\"running\",\"pid\":$pid,\"id\":\"$CID\"} $host_mnt e-poststart" "$BUNDLE/hooks.log"
	grep -qF "poststop {\"status\":\"stopped\",\"pid\":0,\"id\":\"$CID\"} $host_mnt e-poststop" "$BUNDLE/hooks.log"
	[[ "$(cat "$BUNDLE/rootfs/hooks/start.log")" == "startContainer {\"pid\":$pid"*" in-container" ]]
}

@test "a hook without env inherits the runtime's environment" {
	update_config '.hooks = {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "test \"$MARKER\" = inherited"]}]}'
	MARKER=inherited cellrt run --bundle "$BUNDLE" "$CID"
	run env MARKER=other "$CELLRT" --root "$STATE" run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
}

@test "a failing prestart hook fails create and leaves nothing" {
	update_config '.hooks = {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "echo nope >&2; exit 3"]}]}'
	run cellrt create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"hooks.prestart[0] /bin/sh: exited with status 3: nope"* ]]
	[ -z "$(ls -A "$STATE")" ]
}

@test "a failing createContainer hook fails create and leaves nothing" {
	update_config '.hooks = {"createContainer": [{"path": "/bin/false"}]}'
	run cellrt create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"hooks.createContainer[0] /bin/false: exited with status 1"* ]]
	[ -z "$(ls -A "$STATE")" ]
}

@test "a hook that outlives its timeout is killed and fails create" {
	# an unusual length, matched whole: no other process of the machine is
	# taken for the hook
	update_config '.hooks = {"createRuntime": [{"path": "/bin/sleep", "args": ["sleep", "29.75"], "timeout": 1}]}'
	SECONDS=0
	run cellrt create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"hooks.createRuntime[0] /bin/sleep: timed out after 1 s"* ]]
	[ "$SECONDS" -lt 10 ]
	! pgrep -fx "sleep 29.75"
}

@test "a failing poststart hook only warns; the container runs on" {
	update_config '.hooks = {"poststart": [{"path": "/bin/false"}]}'
	set_cmd 'sleep 1000'
	cellrt create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
	run cellrt start "$CID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning"*"hooks.poststart[0] /bin/false: exited with status 1"* ]]
	[ "$(container_status "$CID")" = running ]
}

@test "a failing poststop hook only warns; delete succeeds" {
	update_config '.hooks = {"poststop": [{"path": "/bin/false"}]}'
	cellrt run --keep --bundle "$BUNDLE" "$CID"
	run cellrt delete "$CID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning"*"hooks.poststop[0] /bin/false: exited with status 1"* ]]
	run cellrt state "$CID"
	[ "$status" -ne 0 ]
}

@test "a hook that cannot be executed is reported" {
	update_config '.hooks = {"prestart": [{"path": "/no/such/hook"}]}'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"hooks.prestart[0] /no/such/hook: exited with status 127: exec /no/such/hook: No such file or directory"* ]]
}
