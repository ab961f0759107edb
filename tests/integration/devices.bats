#!/usr/bin/env bats
# /dev: default devices, links, linux.devices, and binds in a user namespace.

load helpers

@test "the default devices are there with their numbers" {
	set_cmd 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T %a" /dev/$d; done'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "${lines[0]}" = "/dev/null character special file 1:3 666" ]
	[ "${lines[1]}" = "/dev/zero character special file 1:5 666" ]
	[ "${lines[2]}" = "/dev/full character special file 1:7 666" ]
	[ "${lines[3]}" = "/dev/random character special file 1:8 666" ]
	[ "${lines[4]}" = "/dev/urandom character special file 1:9 666" ]
	[ "${lines[5]}" = "/dev/tty character special file 5:0 666" ]
}

@test "the standard links: fd, stdin, stdout, stderr, ptmx" {
	set_cmd 'for l in fd stdin stdout stderr ptmx; do readlink /dev/$l; done; echo via-stdout > /dev/stdout'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "${lines[0]}" = /proc/self/fd ]
	[ "${lines[1]}" = /proc/self/fd/0 ]
	[ "${lines[2]}" = /proc/self/fd/1 ]
	[ "${lines[3]}" = /proc/self/fd/2 ]
	[ "${lines[4]}" = pts/ptmx ]
	[ "${lines[5]}" = via-stdout ]
}

@test "linux.devices: char, block and fifo nodes with mode and owner" {
	update_config '.linux.devices = [
		{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 432, "uid": 1000, "gid": 1000},
		{"path": "/dev/sub/myblock", "type": "b", "major": 7, "minor": 0, "fileMode": 384},
		{"path": "/dev/myfifo", "type": "p", "fileMode": 420}]
		| .process.user = {"uid": 1000, "gid": 1000}'
	# written by its owner: root has no CAP_DAC_OVERRIDE in the default spec
	set_cmd 'stat -c "%F %t:%T %a %u:%g" /dev/mynull /dev/sub/myblock; stat -c "%F %a" /dev/myfifo; echo x > /dev/mynull && echo wrote'
	run cellrt run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "${lines[0]}" = "character special file 1:3 660 1000:1000" ]
	[ "${lines[1]}" = "block special file 7:0 600 0:0" ]
	[ "${lines[2]}" = "fifo 644" ]
	[ "${lines[3]}" = wrote ]
}

@test "a device path where the image has something else is an error, the same device is reused" {
	mkdir -p "$BUNDLE/rootfs/opt"
	echo not-a-device >"$BUNDLE/rootfs/opt/dev0"
	update_config '.linux.devices = [{"path": "/opt/dev0", "type": "c", "major": 1, "minor": 5}]'
	run cellrt create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.devices: /opt/dev0 exists and is not c 1:5"* ]]
	[ -z "$(ls -A "$STATE")" ]
	rm "$BUNDLE/rootfs/opt/dev0"
	mknod "$BUNDLE/rootfs/opt/dev0" c 1 5
	update_config '.linux.devices[0].fileMode = 384'
	set_cmd 'stat -c "%F %t:%T %a" /opt/dev0'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$output" = "character special file 1:5 600" ]
}

@test "in a user namespace the devices are the host's, bound" {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .mounts |= map(select(.type != "sysfs" and .type != "cgroup"))'
	chown -R 100000:100000 "$BUNDLE/rootfs"
	set_cmd 'stat -c "%t:%T" /dev/null /dev/zero; grep -c " /dev/null " /proc/self/mountinfo; echo x > /dev/null && echo ok'
	run cellrt run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "${lines[0]}" = 1:3 ]
	[ "${lines[1]}" = 1:5 ]
	[ "${lines[2]}" = 1 ]
	[ "${lines[3]}" = ok ]
}

@test "a /dev bound from the host is left as it is" {
	update_config '.mounts |= map(if .destination == "/dev" then {"destination": "/dev", "type": "bind", "source": "/dev", "options": ["rbind"]} else . end)
		| .mounts |= map(select(.destination | startswith("/dev/") | not))'
	set_cmd 'test -e /dev/vda && echo host-dev; test -L /dev/stdin && echo link'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "${lines[0]}" = host-dev ]
}

@test "/dev/pts is a new devpts instance whose ptmx works" {
	set_cmd 'ls /dev/pts | wc -l; cat /proc/self/mountinfo | grep " /dev/pts " | grep -c ptmxmode=666'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = 1 ]
}

@test "in a user namespace linux.devices are made by the runtime, owned as asked, and usable" {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .mounts |= map(select(.type != "sysfs" and .type != "cgroup"))
		| .linux.devices = [{"path": "/dev/custom-null", "type": "c", "major": 1, "minor": 3,
			"fileMode": 432, "uid": 10, "gid": 11}]
		| .process.user = {"uid": 10, "gid": 11}'
	chown -R 100000:100000 "$BUNDLE/rootfs"
	set_cmd 'stat -c "%t:%T %a %u:%g" /dev/custom-null; echo x > /dev/custom-null && echo written'
	run cellrt run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "${lines[0]}" = "1:3 660 10:11" ]
	[ "${lines[1]}" = written ]
	# the host has no such node: it was not a bind of the host's
	[ ! -e /dev/custom-null ]
}

@test "a device owner outside the user namespace's mapping is refused" {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000}]
		| .linux.devices = [{"path": "/dev/x", "type": "c", "major": 1, "minor": 3, "uid": 5000}]'
	run cellrt create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.devices[0]: owner 5000:0 of /dev/x is not mapped in the user namespace"* ]]
	[ -z "$(ls -A "$STATE")" ]
}
