#!/usr/bin/env bats
# The OCI runtime specification's MUSTs that crun's suite does not exercise,
# one test per requirement, with the section it comes from. (Requirements
# crun's suite or tests/integration already assert are not repeated.)

load ../integration/helpers

# runtime.md, create: "Any updates to config.json after this operation MUST
# NOT have an effect on the container."
@test "runtime: a config changed after create does not change the container" {
	set_cmd 'echo from-create-time > /tmp/who; sleep 1000'
	update_config '.hostname = "before"'
	cellrt create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
	update_config '.hostname = "after" | .process.args = ["sh", "-c", "echo changed > /tmp/who"]'
	cellrt start "$CID"
	wait_for test -s "$BUNDLE/rootfs/tmp/who"
	[ "$(cat "$BUNDLE/rootfs/tmp/who")" = from-create-time ]
	pid=$(container_pid "$CID")
	[ "$(nsenter -t "$pid" -u hostname)" = before ]
}

# runtime.md, create: "…MUST NOT run the user-specified program" before start.
@test "runtime: create does not run the program" {
	set_cmd 'touch /tmp/ran'
	cellrt create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
	sleep 0.3
	[ ! -e "$BUNDLE/rootfs/tmp/ran" ]
	[ "$(container_status "$CID")" = created ]
}

# runtime.md, start: "Attempting to start a container that is not created
# MUST have no effect on the container and MUST generate an error."
@test "runtime: start of a stopped container is an error and changes nothing" {
	cellrt run --keep --bundle "$BUNDLE" "$CID"
	run cellrt start "$CID"
	[ "$status" -ne 0 ]
	[ "$(container_status "$CID")" = stopped ]
	run cellrt start nosuch
	[ "$status" -ne 0 ]
}

# runtime.md, kill: "…neither created nor running MUST have no effect on
# the container and MUST generate an error."
@test "runtime: kill of a stopped container is an error and changes nothing" {
	cellrt run --keep --bundle "$BUNDLE" "$CID"
	run cellrt kill "$CID" KILL
	[ "$status" -ne 0 ]
	[ "$(container_status "$CID")" = stopped ]
}

# runtime.md, delete: "Deleting a container MUST delete the resources that
# were created during the create step."
@test "runtime: delete leaves no state, cgroup, mount or process" {
	set_cmd 'sleep 1000'
	cellrt create --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
	pid=$(container_pid "$CID")
	cgdirs=$(find /sys/fs/cgroup -maxdepth 5 -type d -name "$CID")
	[ -n "$cgdirs" ]
	cellrt delete "$CID"
	[ ! -e "$STATE/$CID" ]
	for d in $cgdirs; do [ ! -e "$d" ]; done
	! grep -q " $BUNDLE" /proc/self/mountinfo
	! kill -0 "$pid" 2>/dev/null || [ "$(awk '{print $3}' /proc/$pid/stat)" = Z ]
}

# runtime.md, lifecycle 12: after delete, state "MUST generate an error".
@test "runtime: state of a deleted container is an error" {
	cellrt run --bundle "$BUNDLE" "$CID"
	run cellrt state "$CID"
	[ "$status" -ne 0 ]
}

# config.md, mounts: "The runtime MUST mount entries in the listed order."
@test "config: mounts are made in the listed order" {
	mkdir -p "$BUNDLE/one" "$BUNDLE/two"
	echo one >"$BUNDLE/one/f"
	echo two >"$BUNDLE/two/f"
	update_config --arg a "$BUNDLE/one" --arg b "$BUNDLE/two" '.mounts += [
		{"destination": "/m", "type": "bind", "source": $a, "options": ["bind"]},
		{"destination": "/m", "type": "bind", "source": $b, "options": ["bind"]},
		{"destination": "/m/deeper", "type": "tmpfs", "source": "tmpfs"}]'
	set_cmd 'cat /m/f; grep -c " /m/deeper " /proc/self/mountinfo'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "${lines[0]}" = two ]
	[ "${lines[1]}" = 1 ]
	# the later mount's mount point was made in the later source
	[ -d "$BUNDLE/two/deeper" ]
	[ ! -e "$BUNDLE/one/deeper" ]
}

# config.md, hooks: "Hooks MUST be called in the listed order."
@test "config: hooks of one kind run in the listed order" {
	update_config --arg l "$BUNDLE/order" '.hooks.prestart = [range(1; 6) |
		{"path": "/bin/sh", "args": ["sh", "-c", "echo \(.) >> \($l)"]}]'
	cellrt run --bundle "$BUNDLE" "$CID"
	[ "$(tr '\n' ' ' <"$BUNDLE/order")" = "1 2 3 4 5 " ]
}

# config.md, hooks: the state on stdin "MUST" be the container's state.
@test "config: a hook's stdin is the state document" {
	update_config --arg l "$BUNDLE/state.json" '.hooks.createRuntime = [
		{"path": "/bin/sh", "args": ["sh", "-c", "cat > \($l)"]}] | .annotations = {"k": "v"}'
	cellrt run --bundle "$BUNDLE" "$CID"
	jq -e --arg id "$CID" --arg b "$BUNDLE" '.ociVersion and .id == $id and .status == "creating"
		and .pid > 0 and .bundle == $b and .annotations.k == "v"' "$BUNDLE/state.json"
}

# config-linux.md, user namespace mappings: "The runtime SHOULD NOT modify
# the ownership of referenced filesystems to realize the mapping."
@test "config-linux: id mappings do not change the ownership of the root file system" {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .mounts |= map(select(.type != "sysfs" and .type != "cgroup"))'
	before=$(find "$BUNDLE/rootfs" -printf '%U:%G %p\n' | sort | md5sum)
	cellrt run --bundle "$BUNDLE" "$CID" || true
	[ "$(find "$BUNDLE/rootfs" -printf '%U:%G %p\n' | sort | md5sum)" = "$before" ]
}

# config-linux.md, devices: "If a file already exists at path that does not
# match the requested device, the runtime MUST generate an error."
@test "config-linux: a device path holding another file is an error" {
	echo x >"$BUNDLE/rootfs/tmp/notdev"
	update_config '.linux.devices = [{"path": "/tmp/notdev", "type": "c", "major": 1, "minor": 3}]'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/tmp/notdev exists and is not c 1:3"* ]]
}

# config-linux.md, default devices: "the runtime MUST supply these devices"
# (/dev/null, zero, full, random, urandom, tty, ptmx) — also when /dev is
# not a tmpfs of the config's but the image's own directory.
@test "config-linux: the default devices are supplied without a /dev mount" {
	update_config '.mounts |= map(select(.destination | startswith("/dev") | not))'
	# ptmx: the link to pts/ptmx (without a devpts mount there is no pts to point into)
	set_cmd 'for d in null zero full random urandom tty ptmx; do test -e /dev/$d -o -L /dev/$d && echo $d; done'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$(echo "$output" | tr '\n' ' ')" = "null zero full random urandom tty ptmx " ]
}

# config-linux.md, namespaces: "If a namespace type is not supported by the
# platform, the runtime MUST generate an error."
@test "config-linux: a joined namespace of the wrong type is an error" {
	update_config '.linux.namespaces |= map(if .type == "ipc" then .path = "/proc/self/ns/net" else . end)'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"is not a ipc namespace"* ]]
}
