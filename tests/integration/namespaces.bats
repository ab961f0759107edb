#!/usr/bin/env bats
# Namespaces: new ones, joined ones by path, user namespace maps, time offsets.

load helpers

ns_of() { readlink "/proc/$1/ns/$2"; }

@test "a new pid namespace makes the process pid 1; without one it is not" {
	set_cmd 'echo $$'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$output" = 1 ]
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$output" -gt 1 ]
}

@test "uts: hostname and domainname" {
	update_config '.hostname = "inside" | .domainname = "example.org"'
	set_cmd 'hostname; cat /proc/sys/kernel/domainname'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "${lines[0]}" = inside ]
	[ "${lines[1]}" = example.org ]
	[ "$(hostname)" != inside ]
}

@test "every new namespace differs from the host's" {
	run_detached
	pid=$(container_pid "$CID")
	for ns in pid net ipc uts mnt cgroup; do
		[ "$(ns_of "$pid" $ns)" != "$(ns_of self $ns)" ]
	done
	# the user namespace was not asked for
	[ "$(ns_of "$pid" user)" = "$(ns_of self user)" ]
}

@test "a new network namespace has only a loopback" {
	set_cmd 'ls /sys/class/net'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$output" = lo ]
}

@test "the cgroup namespace shows the container's cgroup as /" {
	set_cmd 'cat /proc/self/cgroup'
	run cellrt run --bundle "$BUNDLE" "$CID"
	echo "$output"
	for line in "${lines[@]}"; do
		[ "${line##*:}" = / ]
	done
}

@test "user namespace: the maps are the config's, as the container sees them" {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
		| .mounts |= map(select(.type != "sysfs" and .type != "cgroup"))'
	chown -R 100000:200000 "$BUNDLE/rootfs"
	set_cmd 'cat /proc/self/uid_map /proc/self/gid_map; id -u; stat -c %u:%g /bin/busybox'
	run cellrt run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^\ +0\ +100000\ +65536$ ]]
	[[ "${lines[1]}" =~ ^\ +0\ +200000\ +65536$ ]]
	[ "${lines[2]}" = 0 ]
	[ "${lines[3]}" = 0:0 ]
}

@test "user namespace: the process runs as the mapped host ids" {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .mounts |= map(select(.type != "sysfs" and .type != "cgroup"))'
	chown -R 100000:100000 "$BUNDLE/rootfs"
	run_detached
	pid=$(container_pid "$CID")
	[ "$(awk '/^Uid:/ {print $2}' /proc/$pid/status)" = 100000 ]
	[ "$(awk '/^Gid:/ {print $2}' /proc/$pid/status)" = 100000 ]
}

@test "joining a network namespace made by ip netns" {
	NETNS="cell-test-$$"
	ns=$NETNS
	ip netns add "$ns"
	want=$(ip netns exec "$ns" readlink /proc/self/ns/net)
	update_config --arg p "/var/run/netns/$ns" '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)'
	set_cmd 'readlink /proc/self/ns/net'
	run cellrt run --bundle "$BUNDLE" "$CID"
	ip netns del "$ns"
	[ ! -e "/run/netns/$ns" ]
	[ "$output" = "$want" ]
	[ "$want" != "$(readlink /proc/self/ns/net)" ]
}

@test "joining another container's pid and ipc namespaces (the two-stage start)" {
	run_detached 'sleep 1000'
	first=$(container_pid "$CID")
	setup_second() {
		update_config --arg pid "/proc/$first/ns/pid" --arg ipc "/proc/$first/ns/ipc" \
			'.linux.namespaces |= map(if .type == "pid" then .path = $pid elif .type == "ipc" then .path = $ipc else . end)'
	}
	setup_second
	set_cmd 'ps -o pid,comm | grep -c sleep; echo $$'
	run cellrt run --bundle "$BUNDLE" "${CID}b"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" -gt 1 ]
}

@test "a second container can join the first one's user namespace" {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .mounts |= map(select(.type != "sysfs" and .type != "cgroup"))'
	chown -R 100000:100000 "$BUNDLE/rootfs"
	run_detached 'sleep 1000'
	first=$(container_pid "$CID")
	update_config --arg u "/proc/$first/ns/user" 'del(.linux.uidMappings, .linux.gidMappings)
		| .linux.namespaces |= map(if .type == "user" then .path = $u else . end)'
	set_cmd 'cat /proc/self/uid_map; echo $$'
	run cellrt run --bundle "$BUNDLE" "${CID}b"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^\ +0\ +100000\ +65536$ ]]
	[ "${lines[1]}" = 1 ]
}

@test "time namespace: boottime and monotonic offsets" {
	update_config '.linux.namespaces += [{"type": "time"}]
		| .linux.timeOffsets = {"boottime": {"secs": 86400, "nanosecs": 0}, "monotonic": {"secs": 172800}}'
	set_cmd 'cut -d. -f1 /proc/uptime'
	run cellrt run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	host=$(cut -d. -f1 /proc/uptime)
	[ "$output" -ge $((host + 86400 - 5)) ]
	[ "$output" -le $((host + 86400 + 60)) ]
}

@test "timeOffsets without a time namespace are refused" {
	update_config '.linux.timeOffsets = {"boottime": {"secs": 1}}'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.timeOffsets: needs a new time namespace"* ]]
}
