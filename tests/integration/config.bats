#!/usr/bin/env bats
# A broken config.json is rejected with a message naming the JSON path, and
# nothing is left behind (no state, no cgroup, no process, no mount).

load helpers

# Expect create to fail with a message containing $1; nothing may remain.
create_fails_with() {
	run cellrt create --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$1"* ]]
	[ -z "$(ls -A "$STATE")" ]
}

@test "invalid JSON names the line and column" {
	printf '{\n  "ociVersion": "1.2.0",\n  "process": }\n' >"$BUNDLE/config.json"
	create_fails_with "config.json: invalid JSON at line 3"
}

@test "process.args must be a non-empty array of strings" {
	update_config '.process.args = []'
	create_fails_with "process.args: must be a non-empty array of strings"
	update_config '.process.args = "sh"'
	create_fails_with "process.args: must be an array of strings"
	update_config '.process.args = ["sh", 1]'
	create_fails_with "process.args[1]: must be a string"
}

@test "wrong types name their path" {
	update_config '.process.terminal = "no"'
	create_fails_with "process.terminal: must be true or false"
	update_config '.process.terminal = false | .process.user.uid = -1'
	create_fails_with "process.user.uid: must be an integer"
	update_config '.process.user.uid = 0 | .mounts[0].options = "ro"'
	create_fails_with "mounts[0].options: must be an array of strings"
	update_config '.mounts[0].options = [] | .hostname = 7'
	create_fails_with "hostname: must be a string"
}

@test "missing pieces are named" {
	update_config 'del(.process)'
	create_fails_with "process: missing"
	setup_bundle
	update_config 'del(.root)'
	create_fails_with "root.path: missing"
	setup_bundle
	update_config 'del(.ociVersion)'
	create_fails_with "ociVersion: missing"
	update_config '.ociVersion = "2.0.0"'
	create_fails_with 'ociVersion: "2.0.0" is not a version 1'
}

@test "relative mount destinations are refused" {
	update_config '.mounts += [{"destination": "relative/path", "type": "tmpfs", "source": "tmpfs"}]'
	create_fails_with 'mounts[7].destination: must be an absolute path, got "relative/path"'
}

@test "namespaces: duplicates, unknown types, bad paths" {
	update_config '.linux.namespaces += [{"type": "pid"}]'
	create_fails_with 'linux.namespaces[6].type: namespace "pid" given twice'
	setup_bundle
	update_config '.linux.namespaces += [{"type": "bogus"}]'
	create_fails_with 'linux.namespaces[6].type: unknown namespace type "bogus"'
	setup_bundle
	update_config '.linux.namespaces |= map(if .type == "network" then .path = "/nonexistent/ns" else . end)'
	create_fails_with "open network namespace /nonexistent/ns"
	setup_bundle
	update_config '.linux.namespaces |= map(if .type == "network" then .path = "/proc/self/ns/uts" else . end)'
	create_fails_with "/proc/self/ns/uts is not a network namespace"
	setup_bundle
	update_config '.linux.namespaces |= map(select(.type != "mount"))'
	create_fails_with "a mount namespace is required"
}

@test "user namespace and id mappings go together" {
	update_config '.linux.namespaces += [{"type": "user"}]'
	create_fails_with "linux.uidMappings: required with a new user namespace"
	setup_bundle
	update_config '.linux.uidMappings = [{"containerID": 0, "hostID": 1000, "size": 1}]'
	create_fails_with "linux.uidMappings: given without a new user namespace"
}

@test "sysctls must belong to a namespace the container owns" {
	update_config '.linux.sysctl = {"kernel.hostname": "x"}'
	create_fails_with 'set the hostname with "hostname" instead'
	update_config '.linux.sysctl = {"vm.swappiness": "10"}'
	create_fails_with "linux.sysctl.vm.swappiness: not in a namespace the container can own"
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1"} | .linux.namespaces |= map(select(.type != "network"))'
	create_fails_with "linux.sysctl.net.ipv4.ip_forward: needs the container's own network namespace"
	setup_bundle
	update_config '.linux.sysctl = {"net.ipv4.no_such_knob": "1"}'
	create_fails_with "linux.sysctl.net.ipv4.no_such_knob: write \"1\" to /proc/sys/net/ipv4/no_such_knob: No such file or directory"
}

@test "hostname needs a uts namespace" {
	update_config '.linux.namespaces |= map(select(.type != "uts"))'
	create_fails_with "hostname: needs a new uts namespace"
}

@test "rlimits: unknown types, duplicates, soft above hard" {
	update_config '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
	create_fails_with 'process.rlimits[0].type: unknown resource limit "RLIMIT_BOGUS"'
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 1, "hard": 1}, {"type": "RLIMIT_NOFILE", "soft": 2, "hard": 2}]'
	create_fails_with "process.rlimits[1].type: RLIMIT_NOFILE given twice"
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 10, "hard": 5}]'
	create_fails_with "soft limit 10 of RLIMIT_NOFILE is above its hard limit 5"
}

@test "hooks need absolute paths and positive timeouts" {
	update_config '.hooks = {"prestart": [{"path": "true"}]}'
	create_fails_with 'hooks.prestart[0].path: must be an absolute path, got "true"'
	update_config '.hooks = {"prestart": [{"path": "/bin/true", "timeout": 0}]}'
	create_fails_with "hooks.prestart[0].timeout: must be an integer from 1"
}

@test "devices: bad types and missing numbers" {
	update_config '.linux.devices = [{"path": "/dev/x", "type": "z", "major": 1, "minor": 1}]'
	create_fails_with 'linux.devices[0].type: must be "c", "b", "u" or "p", got "z"'
	update_config '.linux.devices = [{"path": "/dev/x", "type": "c"}]'
	create_fails_with 'linux.devices[0]: major and minor are required for type "c"'
}

@test "the root file system must be a directory other than the host's /" {
	update_config '.root.path = "nonexistent"'
	create_fails_with "root.path nonexistent: No such file or directory"
	ln -s / "$BUNDLE/hostroot"
	update_config '.root.path = "hostroot"'
	create_fails_with "root.path hostroot: resolves to the host's /"
	update_config '.root.path = "/"'
	create_fails_with "resolves to the host's /"
}

@test "an executable that is not there fails create, not start" {
	set_args no-such-program
	create_fails_with 'exec: "no-such-program": executable file not found in $PATH'
	set_args /bin/no-such-program
	create_fails_with 'exec: "/bin/no-such-program": No such file or directory'
}

@test "a missing bind source fails create and leaves nothing" {
	update_config '.mounts += [{"destination": "/mnt", "type": "bind", "source": "/nonexistent/source", "options": ["bind"]}]'
	create_fails_with "mounts[7]: bind source /nonexistent/source: No such file or directory"
}

@test "unknown fields are ignored, as the spec says" {
	update_config '.futureField = {"x": 1} | .process.futureToo = true | .linux.alsoNew = []'
	cellrt run --bundle "$BUNDLE" "$CID"
}

@test "a config that is not an object, or huge, is refused" {
	echo '[1, 2, 3]' >"$BUNDLE/config.json"
	create_fails_with "config: must be a JSON object"
	head -c 70000000 /dev/zero | tr '\0' ' ' >"$BUNDLE/config.json"
	create_fails_with "config.json: larger than"
}
