#!/usr/bin/env bats
# Hostile and broken configs: each is refused with a message that says what
# and where, and leaves nothing behind (no state, cgroup, process, mount).

load helpers
load security

# A fresh bundle and state root for the next case of a test (the last
# case's were checked empty of mounts by refused).
again() {
	rm -rf "$BUNDLE" "$STATE"
	setup_bundle
}

# create must fail with a message containing $1.
refused() {
	run cellrt create --bundle "$BUNDLE" "$CID"
	echo "$output" | head -c 2000
	[ "$status" -ne 0 ]
	[[ "$output" == *"$1"* ]]
	# one line, the program's prefix, no crash report
	[ "$(echo "$output" | wc -l)" -eq 1 ]
	[[ "$output" == "cellrt: "* ]]
	assert_nothing_left
}

@test "wrong types are named by their JSON path" {
	update_config '.process = "sh"'
	refused 'process: must be an object'
	again
	update_config '.process.args = "sh -c true"'
	refused 'process.args: must be an array of strings'
	again
	update_config '.process.user.uid = "0"'
	refused 'process.user.uid: must be an integer'
	again
	update_config '.mounts = {"destination": "/x"}'
	refused 'mounts: must be an array'
	again
	update_config '.linux.seccomp = []'
	refused 'linux.seccomp: must be an object'
	again
	update_config '.linux.namespaces = [1, 2]'
	refused 'linux.namespaces[0]: must be an object'
	again
	update_config '.ociVersion = 1'
	refused 'ociVersion: must be a string'
	again
	update_config '.process.capabilities.bounding = "CAP_KILL"'
	refused 'process.capabilities.bounding: must be an array of strings'
}

@test "not JSON, duplicate keys, a NUL inside a string, an oversized file" {
	printf '{"ociVersion": "1.2.0", ' >"$BUNDLE/config.json"
	refused 'config.json: invalid JSON at line 1'
	printf '{"ociVersion": "1.2.0", "ociVersion": "1.2.0"}' >"$BUNDLE/config.json"
	refused 'duplicate object key'
	again
	update_config '.process.args = ["sh", "-c", "true\u0000rm -rf /"]'
	refused 'config.json: invalid JSON at line'
	[[ "$output" == *'\u0000 is not allowed'* ]]
	truncate -s 65M "$BUNDLE/config.json"
	refused 'config.json: larger than 67108864 bytes'
}

@test "invalid UTF-8 is refused where it stands" {
	jq -c . "$BUNDLE/config.json" | sed 's/"hostname":"[^"]*"/"hostname":"\xff\xfe"/' >"$BUNDLE/c"
	grep -q $'\xff' "$BUNDLE/c"
	mv "$BUNDLE/c" "$BUNDLE/config.json"
	refused 'config.json: invalid JSON at line 1'
	[[ "$output" == *"unable to decode byte 0xff"* ]]
}

@test "deep nesting stops at the parser's depth limit" {
	python3 -c "
import json
c = json.load(open('$BUNDLE/config.json'))
c['annotations'] = {'x': 'y'}
s = json.dumps(c)
print(s[:-1] + ', \"deep\": ' + '[' * 100000 + ']' * 100000 + '}')" >"$BUNDLE/c"
	mv "$BUNDLE/c" "$BUNDLE/config.json"
	refused 'maximum parsing depth reached'
}

@test "huge arrays are refused with their limit" {
	update_config '.process.user.additionalGids = [range(0; 70000)]'
	refused 'process.user.additionalGids: more than 65536 groups'
	again
	update_config '.linux.uidMappings = [range(0; 400) | {"containerID": ., "hostID": (100000 + .), "size": 1}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 400}]
		| .linux.namespaces += [{"type": "user"}]'
	refused 'linux.uidMappings: at most 340 ranges'
	again
	update_config '.process.args = ["sh"] + [range(0; 40000) | "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]'
	refused 'process.args and process.env:'
	[[ "$output" == *"more than the"*"the kernel takes for a program's arguments and environment"* ]]
	again
	head -c 200000 /dev/zero | tr '\0' a >"$BUNDLE/big"
	update_config --rawfile s "$BUNDLE/big" '.process.env += ["BIG=" + $s]'
	refused 'process.env['
	[[ "$output" == *"more than the 131071 the kernel takes in one argument or variable"* ]]
	again
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [range(0; 70000) | {"names": ["getcwd"], "action": "SCMP_ACT_ERRNO"}]}'
	refused 'more than 65536 system call names in the profile'
	again
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [range(0; 5000) | {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": ., "op": "SCMP_CMP_EQ"}]}]}'
	refused 'the filter needs more than 4096 BPF instructions, the kernel'"'"'s limit'
}

@test "an absent root, a missing one, and a root that is the host's /" {
	update_config 'del(.root)'
	refused 'root.path: missing'
	again
	update_config '.root.path = "nothere"'
	refused 'root.path nothere: No such file or directory'
	rm -rf "$BUNDLE/rootfs"
	ln -s / "$BUNDLE/rootfs"
	update_config '.root.path = "rootfs"'
	refused "root.path rootfs: resolves to the host's /; refusing to make it a container's root"
	rm "$BUNDLE/rootfs"
	ln -s ../../../../../../../ "$BUNDLE/rootfs"
	refused "resolves to the host's /"
}

@test "no process, a relative cwd, relative mount destinations, a newer spec" {
	update_config 'del(.process)'
	refused 'process: missing'
	again
	update_config '.process.cwd = "tmp"'
	refused 'process.cwd: must be an absolute path, got "tmp"'
	again
	update_config '.mounts += [{"destination": "data", "type": "tmpfs", "source": "tmpfs"}]'
	refused 'must be an absolute path, got "data"'
	again
	update_config '.ociVersion = "2.0.0"'
	refused 'ociVersion: "2.0.0" is not a version 1 runtime spec'
}

@test "errors found after the state and cgroup exist leave nothing behind either" {
	update_config '.process.capabilities.permitted += ["CAP_SYS_BOGUS"]'
	refused 'unknown capability "CAP_SYS_BOGUS"'
	again
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_NOPE"}'
	refused 'linux.seccomp.defaultAction: unknown action "SCMP_ACT_NOPE"'
	again
	# the child fails after mounting: proc onto a symlink
	rmdir "$BUNDLE/rootfs/proc"
	ln -s /tmp "$BUNDLE/rootfs/proc"
	refused 'mount proc on /proc'
	again
	update_config '.process.args = ["/no/such/program"]'
	refused 'exec: "/no/such/program": No such file or directory'
}
