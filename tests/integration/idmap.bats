#!/usr/bin/env bats
# Id-mapped mounts: a mount's uidMappings/gidMappings (runtime-spec 1.2,
# read as runc and the spec do: containerID is the id on the file system,
# hostID the id the mount shows), and crun's "idmap" mount option.

load helpers

setup() {
	setup_bundle
	mkdir -p "$BUNDLE/src"
	touch "$BUNDLE/src/file"
	cp "$BUNDLE/config.json" "$BUNDLE/config.orig"
}

reset_config() {
	cp "$BUNDLE/config.orig" "$BUNDLE/config.json"
}

# The container's userns maps its 0..65535 to the host's 100000..
with_userns() {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	chown -R 100000:100000 "$BUNDLE/rootfs"
	chmod 755 "$BUNDLE"
}

# mount $1 (JSON) at /m; the process prints the owner of /m/file.
owner_through() {
	update_config --argjson m "$1" --arg s "$BUNDLE/src" \
		'.mounts += [{"destination": "/m", "type": "bind", "source": $s} + $m]'
	set_args stat -c %u:%g /m/file
	cellrt run --bundle "$BUNDLE" "$CID"
}

@test "idmap: a mount's uidMappings in a user namespace show the file system's ids as the container's" {
	with_userns
	run owner_through '{"options": ["bind"], "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}], "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}'
	[ "$status" -eq 0 ]
	[ "$output" = 0:0 ]
	# written through it: owned by the file system's 0 again
	update_config '.process.args = ["touch", "/m/new"]'
	cellrt run --bundle "$BUNDLE" "$CID"
	[ "$(stat -c %u:%g "$BUNDLE/src/new")" = 0:0 ]
}

@test "idmap: the same bind without a mapping shows the host's root as nobody" {
	with_userns
	run owner_through '{"options": ["bind"]}'
	[ "$status" -eq 0 ]
	[ "$output" = 65534:65534 ]
}

@test "idmap: without a user namespace, ids as the mapping says" {
	chown 100:211 "$BUNDLE/src/file"
	run owner_through '{"options": ["bind", "ro"], "uidMappings": [{"containerID": 100, "hostID": 1100, "size": 3}], "gidMappings": [{"containerID": 200, "hostID": 1900, "size": 50}]}'
	[ "$status" -eq 0 ]
	[ "$output" = 1100:1911 ]
	# read-only stays read-only
	update_config '.process.args = ["touch", "/m/x"]'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
}

@test "idmap: crun's idmap option, with the container's mapping or its own" {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 1, "size": 10}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 1, "size": 10}]'
	chown -R 1:1 "$BUNDLE/rootfs"
	chmod 755 "$BUNDLE"
	base=$(cat "$BUNDLE/config.json")
	try() {
		echo "$base" >"$BUNDLE/config.json"
		owner_through "{\"options\": [\"bind\", \"ro\", \"$1\"]}"
	}
	[ "$(try idmap)" = 0:0 ]
	[ "$(try 'idmap=uids=0-1-10;gids=0-1-10')" = 0:0 ]
	[ "$(try 'idmap=uids=0-2-10#10-100-10;gids=0-1-10')" = 1:0 ]
	chown 1:2 "$BUNDLE/src/file"
	# '@': the shown id is the container's (its 1 is the host's 2)
	[ "$(try 'idmap=uids=@0-1-10;gids=+0-1-10')" = 2:2 ]
}

@test "idmap: ridmap maps the submounts of an rbind too" {
	mkdir -p "$BUNDLE/src/sub"
	mount -t tmpfs -o mode=755 tmpfs "$BUNDLE/src/sub"
	touch "$BUNDLE/src/sub/file"
	update_config --arg s "$BUNDLE/src" '.mounts += [{"destination": "/m", "type": "bind", "source": $s, "options": ["rbind", "ridmap=uids=0-5000-1;gids=0-6000-1"]}]'
	set_args stat -c %u:%g /m/file /m/sub/file
	run cellrt run --bundle "$BUNDLE" "$CID"
	umount "$BUNDLE/src/sub"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 5000:6000 ]
	[ "${lines[1]}" = 5000:6000 ]
}

@test "idmap: mistakes are named, and nothing is left" {
	run owner_through '{"options": ["bind", "idmap=uids=1-2"]}'
	[ "$status" -ne 0 ]
	[[ "$output" == *'mounts[7].options: "1-2" is not a mapping'* ]]
	reset_config
	run owner_through '{"options": ["bind", "idmap=users=0-1-1"]}'
	echo "$output"
	[[ "$output" == *'expected uids=… or gids=…'* ]]
	reset_config
	run owner_through '{"options": ["bind", "idmap"]}'
	[[ "$output" == *'"idmap" without uidMappings needs the container'* ]]
	reset_config
	run owner_through '{"options": ["bind", "idmap=uids=@0-1-1"]}'
	[[ "$output" == *"is not in the container's linux.uidMappings"* ]]
	reset_config
	update_config '.mounts += [{"destination": "/t", "type": "tmpfs", "source": "tmpfs", "options": ["idmap"]}]'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[[ "$output" == *"id-mapped mounts are only for bind mounts (/t)"* ]]
	reset_config
	run owner_through '{"options": ["bind"], "uidMappings": [{"containerID": 0, "hostID": 1, "size": 1}]}'
	[[ "$output" == *"uidMappings and gidMappings go together"* ]]
	[ -z "$(cellrt list -q)" ]
}
