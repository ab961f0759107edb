#!/usr/bin/env bats
# cellrt spec: the default config and its rootless variant.

load helpers

@test "spec writes runc's defaults, which run as they are (bar the terminal)" {
	rm "$BUNDLE/config.json"
	(cd "$BUNDLE" && "$CELLRT" spec)
	run jq -e '.ociVersion == "1.2.0" and .process.terminal == true and .root.path == "rootfs"
		and .root.readonly == true and ([.linux.namespaces[].type] | sort == ["cgroup","ipc","mount","network","pid","uts"])
		and (.process.capabilities.bounding | index("CAP_KILL") != null)
		and (.mounts | map(.destination) | index("/proc") != null)' "$BUNDLE/config.json"
	[ "$status" -eq 0 ]
	update_config '.process.terminal = false | .process.args = ["true"]'
	cellrt run --bundle "$BUNDLE" "$CID"
}

@test "spec refuses to overwrite a config" {
	run "$CELLRT" spec --bundle "$BUNDLE"
	[ "$status" -ne 0 ]
	[[ "$output" == *"config.json exists; remove it first"* ]]
}

@test "spec --rootless maps root to the caller and drops what needs privilege" {
	mkdir "$BUNDLE/rl"
	"$CELLRT" spec --rootless --bundle "$BUNDLE/rl"
	jq -e '([.linux.namespaces[].type] | index("user") != null and index("network") == null)
		and .linux.uidMappings == [{"containerID": 0, "hostID": 0, "size": 1}]
		and (.mounts | map(select(.destination == "/sys/fs/cgroup")) | length == 0)
		and (.mounts[] | select(.destination == "/sys") | .options | index("rbind") != null)
		and (.linux.resources == null)' "$BUNDLE/rl/config.json"
}

@test "spec --bundle of a missing directory fails clearly" {
	run "$CELLRT" spec --bundle "$BUNDLE/nope"
	[ "$status" -ne 0 ]
	[[ "$output" == *"bundle $BUNDLE/nope: No such file or directory"* ]]
}
