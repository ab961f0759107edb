#!/usr/bin/env bats
# cgroups: limits that the kernel enforces, pause and resume, update, events,
# ps, the cgroup namespace and mount. The same file runs on this hybrid host
# and in the guests of tests/vm (pure cgroup v2, and pure v1).

load helpers

# 64 MiB in one buffer: busybox dd allocates bs bytes and fills them.
HOG='dd if=/dev/zero of=/dev/null bs=64M count=1'

cg_v2() {
	[ -e /sys/fs/cgroup/cgroup.controllers ]
}

# The host directory of the container's cgroup for controller $1 (on v2 the
# unified one), from the runtime's record.
cg_path() {
	if cg_v2; then
		jq -r '.cgroup.dirs[] | select(.unified) | .mountpoint + .path' "$STATE/$CID/status"
	else
		jq -r --arg c "$1" '.cgroup.dirs[] | select(.unified | not)
			| select(.controllers | split(",") | index($c)) | .mountpoint + .path' "$STATE/$CID/status"
	fi
}

# For wait_for: file $1 has $2 lines.
has_lines() {
	[ -e "$1" ] && [ "$(wc -l <"$1")" -eq "$2" ]
}

# For wait_for: the container has $1 processes.
has_processes() {
	[ "$(cellrt ps --format json "$CID" | jq length)" -eq "$1" ]
}

add_caps() {
	local c
	for c in "$@"; do
		update_config --arg c "$c" '.process.capabilities |= with_entries(.value += [$c])'
	done
}

# cellrt as on a host with v1 hierarchies only: in a mount namespace of its
# own without the unified hierarchy, the way the benchmarks run it. There
# the cgroup is made after the clone, while the init starts
# (runtime/create.c, cgroup_after_clone); the other tests here cover it in
# the v1 guest of tests/vm.
cellrt_v1_only() {
	unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified && r=$1 && shift && exec "$0" --root "$r" "$@"' \
		"$CELLRT" "$STATE" "$@"
}

needs_hybrid() {
	if cg_v2 || ! mountpoint -q /sys/fs/cgroup/unified; then
		skip "not a hybrid host: every test here runs on this layout as it is"
	fi
}

@test "v1 hierarchies only: the cgroup comes while the init starts, and holds it under its limits" {
	needs_hybrid
	update_config '.linux.resources.memory = {"limit": 41943040} | .linux.resources.pids = {"limit": 20}'
	set_cmd "sleep 1000"
	cellrt_v1_only run -d --bundle "$BUNDLE" "$CID" </dev/null
	pid=$(container_pid "$CID")
	# no unified directory in the record; the init is in every v1 one
	! jq -e '.cgroup.dirs[] | select(.unified)' "$STATE/$CID/status"
	n=0
	for d in $(jq -r '.cgroup.dirs[] | .mountpoint + .path' "$STATE/$CID/status"); do
		grep -qx "$pid" "$d/cgroup.procs"
		n=$((n + 1))
	done
	[ "$n" -ge 5 ]
	[ "$(cat "$(cg_path memory)/memory.limit_in_bytes")" = 41943040 ]
	[ "$(cat "$(cg_path pids)/pids.max")" = 20 ]
	# the limit holds: a fork bomb stops at it
	cellrt exec "$CID" sh -c 'for i in $(seq 40); do sleep 100 & done; wait' || true
	[ "$(wc -l <"$(cg_path pids)/cgroup.procs")" -le 20 ]
	dirs=$(jq -r '.cgroup.dirs[] | .mountpoint + .path' "$STATE/$CID/status")
	cellrt delete -f "$CID"
	for d in $dirs; do [ ! -e "$d" ]; done
}

@test "v1 hierarchies only: a cgroup that cannot be made after the clone fails create, and nothing is left" {
	needs_hybrid
	# no such CPU: the cpuset write fails once the init already runs
	update_config '.linux.resources.cpu = {"cpus": "4000"}'
	set_cmd "sleep 1000"
	run cellrt_v1_only run -d --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"create container $CID"*"cpuset.cpus"* ]]
	! cellrt state "$CID" 2>/dev/null
	[ ! -e "$STATE/$CID" ]
	[ -z "$(find /sys/fs/cgroup -maxdepth 4 -name "$CID")" ]
	# and the init, killed before it could exec, is gone too
	! pgrep -x cellrt
}

@test "memory: a hog is OOM-killed at the limit and runs under a larger one" {
	update_config '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
	set_cmd "$HOG"
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 137 ]
	update_config '.linux.resources.memory = {"limit": 268435456, "swap": 268435456}'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
}

@test "memory: the limit is in the cgroup's files" {
	update_config '.linux.resources.memory = {"limit": 41943040, "reservation": 20971520}'
	run_detached
	if cg_v2; then
		[ "$(cat "$(cg_path memory)/memory.max")" = 41943040 ]
		[ "$(cat "$(cg_path memory)/memory.low")" = 20971520 ]
	else
		[ "$(cat "$(cg_path memory)/memory.limit_in_bytes")" = 41943040 ]
		[ "$(cat "$(cg_path memory)/memory.soft_limit_in_bytes")" = 20971520 ]
	fi
}

@test "pids: a fork bomb stops at pids.max" {
	update_config '.linux.resources.pids = {"limit": 10}'
	# The inner shell forks until the kernel refuses (ash gives up there);
	# the outer one stays, with the sleeps it inherits.
	run_detached "sh -c 'i=0; while [ \$i -lt 30 ]; do sleep 1000 & i=\$((i+1)); done'; echo > /tmp/done; exec sleep 1000"
	wait_for test -e "$BUNDLE/rootfs/tmp/done"
	# At the limit: both shells and 8 sleeps; then the inner shell is gone.
	n=$(cellrt ps --format json "$CID" | jq length)
	[ "$n" -eq 9 ]
	[ "$(cat "$(cg_path pids)/pids.current")" -eq 9 ]
	grep -q "can't fork" "$BUNDLE/out"
}

@test "pause freezes the container and resume thaws it" {
	run_detached 'i=0; while true; do i=$((i+1)); echo $i > /tmp/counter; sleep 0.05; done'
	wait_for test -s "$BUNDLE/rootfs/tmp/counter"
	cellrt pause "$CID"
	[ "$(container_status "$CID")" = paused ]
	a=$(cat "$BUNDLE/rootfs/tmp/counter")
	sleep 1
	b=$(cat "$BUNDLE/rootfs/tmp/counter")
	[ "$a" = "$b" ]
	run cellrt pause "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"already paused"* ]]
	cellrt resume "$CID"
	[ "$(container_status "$CID")" = running ]
	# it counts on (frozen mid-write, the file may have been empty)
	wait_for sh -c "[ \"\$(cat '$BUNDLE/rootfs/tmp/counter')\" != '$b' ]"
	run cellrt resume "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"it is running, not paused"* ]]
}

@test "delete --force removes a paused container and its cgroups" {
	run_detached
	dir=$(cg_path pids)
	[ -d "$dir" ]
	cellrt pause "$CID"
	run cellrt delete "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"it is paused"* ]]
	cellrt delete --force "$CID"
	[ ! -d "$dir" ]
}

@test "update changes a live memory limit" {
	update_config '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
	run_detached "while true; do if [ -e /tmp/go ]; then rm /tmp/go; $HOG 2>/dev/null; echo \$? >> /tmp/results; fi; sleep 0.05; done"
	touch "$BUNDLE/rootfs/tmp/go"
	wait_for test -s "$BUNDLE/rootfs/tmp/results"
	[ "$(sed -n 1p "$BUNDLE/rootfs/tmp/results")" = 137 ]
	cellrt update --memory 256m --memory-swap 256m "$CID"
	touch "$BUNDLE/rootfs/tmp/go"
	wait_for has_lines "$BUNDLE/rootfs/tmp/results" 2
	[ "$(sed -n 2p "$BUNDLE/rootfs/tmp/results")" = 0 ]
}

@test "update --resources reads a file and standard input, and records the change" {
	update_config '.linux.resources.pids = {"limit": 100}'
	run_detached
	echo '{"pids": {"limit": 42}}' >"$BUNDLE/res.json"
	cellrt update --resources "$BUNDLE/res.json" "$CID"
	[ "$(cat "$(cg_path pids)/pids.max")" = 42 ]
	echo '{"pids": {"limit": 43}, "cpu": {"shares": 2048}}' | cellrt update -r - "$CID"
	[ "$(cat "$(cg_path pids)/pids.max")" = 43 ]
	if cg_v2; then
		# runc's mapping of shares to weight: 1 + (2048 - 2) * 9999 / 262142
		[ "$(cat "$(cg_path cpu)/cpu.weight")" = 79 ]
	else
		[ "$(cat "$(cg_path cpu)/cpu.shares")" = 2048 ]
	fi
	jq -e '.linux.resources.pids.limit == 43 and .linux.resources.cpu.shares == 2048' "$STATE/$CID/config.json"
}

@test "update rejects bad input with a message naming it" {
	run_detached
	run cellrt update --memory lots "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'--memory: "lots" is not a valid value'* ]]
	echo '{"cpu": {"shares": 1}}' >"$BUNDLE/res.json"
	run cellrt update -r "$BUNDLE/res.json" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--resources.cpu.shares: must be from 2 to 262144"* ]]
	run cellrt update --pids-limit 5 nosuchcontainer
	[ "$status" -ne 0 ]
	[[ "$output" == *"container nosuchcontainer does not exist"* ]]
}

@test "update of the cpu quota and period changes cpu.max or cfs files" {
	run_detached
	cellrt update --cpu-quota 20000 --cpu-period 100000 "$CID"
	if cg_v2; then
		[ "$(cat "$(cg_path cpu)/cpu.max")" = "20000 100000" ]
	else
		[ "$(cat "$(cg_path cpu)/cpu.cfs_quota_us")" = 20000 ]
		[ "$(cat "$(cg_path cpu)/cpu.cfs_period_us")" = 100000 ]
	fi
}

@test "a device the rules do not allow cannot be opened; an allowed one can" {
	add_caps CAP_MKNOD
	set_cmd 'mknod /dev/k c 1 11 && echo cell-devices-test > /dev/k && echo opened'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
	[[ "$output" != *opened* ]]
	update_config '.linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}]'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[[ "$output" == *opened* ]]
	# the default devices stay usable under a deny-all rule
	set_cmd 'echo x > /dev/null && head -c 4 /dev/zero | wc -c'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = 4 ]
}

@test "events --stats shows real usage" {
	update_config '.linux.resources.pids = {"limit": 50}'
	run_detached 'head -c 8000000 /dev/zero > /dev/shm/f; i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done; touch /tmp/ready; sleep 1000'
	wait_for test -e "$BUNDLE/rootfs/tmp/ready"
	run cellrt events --stats "$CID"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg id "$CID" '.type == "stats" and .id == $id'
	[ "$(echo "$output" | jq .data.memory.usage.usage)" -ge 8000000 ]
	[ "$(echo "$output" | jq .data.cpu.usage.total)" -gt 0 ]
	[ "$(echo "$output" | jq .data.pids.current)" -eq "$(cellrt ps --format json "$CID" | jq length)" ]
	[ "$(echo "$output" | jq .data.pids.limit)" -eq 50 ]
}

@test "events streams statistics and reports an OOM kill" {
	update_config '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
	run_detached "while [ ! -e /tmp/go ]; do sleep 0.05; done; $HOG; sleep 1000"
	cellrt events --interval 200ms "$CID" >"$BUNDLE/events" 2>&1 &
	ev=$!
	# the first statistics line says the watch is armed
	wait_for grep -q '"type":"stats"' "$BUNDLE/events"
	touch "$BUNDLE/rootfs/tmp/go"
	wait_for grep -q '"type":"oom"' "$BUNDLE/events"
	grep '"type":"oom"' "$BUNDLE/events" | head -1 | jq -e --arg id "$CID" '.id == $id'
	cellrt delete -f "$CID"
	# events ends by itself once the container is gone
	wait "$ev"
}

@test "ps shows the container's processes as a table and as JSON" {
	# ash runs the last command of -c in its own process: two in all
	run_detached 'sleep 1000 & sleep 2000'
	wait_for has_processes 2
	pid=$(container_pid "$CID")
	cellrt ps --format json "$CID" | jq -e --argjson p "$pid" 'index($p) != null'
	run cellrt ps "$CID"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID* ]]
	[ "${#lines[@]}" -eq 3 ]
	[[ "$output" == *"sleep 2000"* ]]
	run cellrt ps "$CID" -o pid,args
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == *PID* ]]
}

@test "cgroup namespace: the container sees its own cgroup as /" {
	update_config '.linux.resources.pids = {"limit": 77}'
	set_cmd 'cat /proc/self/cgroup; if [ -e /sys/fs/cgroup/pids.max ]; then cat /sys/fs/cgroup/pids.max; else cat /sys/fs/cgroup/pids/pids.max; fi; touch /sys/fs/cgroup/x 2>&1; touch /sys/fs/cgroup/pids/x 2>&1; true'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	# every hierarchy's path ends at the namespace root
	[ -z "$(echo "$output" | grep -E '^[0-9]+:[^:]*:/.+')" ]
	echo "$output" | grep -qx 77
	[[ "$output" == *"Read-only file system"* ]]
}

@test "cgroup mount: rw when asked, sub-cgroups removed with the container" {
	update_config '(.mounts[] | select(.type == "cgroup") | .options) |= (map(select(. != "ro")) + ["rw"])'
	run_detached 'if [ -e /sys/fs/cgroup/cgroup.procs ]; then mkdir /sys/fs/cgroup/sub; else mkdir /sys/fs/cgroup/pids/sub; fi && echo made; sleep 1000'
	wait_for grep -q made "$BUNDLE/out"
	[ -d "$(cg_path pids)/sub" ]
	dir=$(cg_path pids)
	cellrt delete -f "$CID"
	[ ! -d "$dir" ]
}

@test "without a cgroup namespace the container sees the host's path, in every hierarchy" {
	update_config '.linux.namespaces |= map(select(.type != "cgroup"))'
	set_cmd 'cat /proc/self/cgroup'
	run cellrt run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	# v1 ones through their tasks files, the unified one by CLONE_INTO_CGROUP
	[ "$(echo "$output" | grep -c .)" -eq "$(grep -c . /proc/self/cgroup)" ]
	[ -z "$(echo "$output" | grep -v "/$CID\$")" ]
}

@test "cgroupsPath: absolute and relative paths" {
	update_config --arg p "/cell-test-$CID/inner" '.linux.cgroupsPath = $p'
	run_detached
	[[ "$(cg_path pids)" == */cell-test-$CID/inner ]]
	[ -d "$(cg_path pids)" ]
	cellrt delete -f "$CID"
	for d in /sys/fs/cgroup/*/"cell-test-$CID" /sys/fs/cgroup/"cell-test-$CID"; do
		[ -d "$d" ] && rmdir "$d"
	done
	update_config --arg p "rel-$CID" '.linux.cgroupsPath = $p'
	run_detached
	[[ "$(cg_path pids)" == */rel-$CID ]]
}

@test "unified: written on v2, a clear error without the controller in v2" {
	update_config '.linux.resources.unified = {"memory.high": "104857600"}'
	set_cmd true
	run cellrt run --bundle "$BUNDLE" "$CID"
	if cg_v2; then
		[ "$status" -eq 0 ]
		run_detached
		[ "$(cat "$(cg_path memory)/memory.high")" = 104857600 ]
	elif [ -d /sys/fs/cgroup/unified ]; then
		[ "$status" -ne 0 ]
		[[ "$output" == *"the requested cgroup controller \`memory\` is not available"* ]]
	else
		[ "$status" -ne 0 ]
		[[ "$output" == *"linux.resources.unified: needs cgroup v2"* ]]
	fi
	update_config '.linux.resources.unified = {"NOT-A-KEY": "x"}'
	run cellrt run --bundle "$BUNDLE" "$CID-b"
	[ "$status" -ne 0 ]
	if cg_v2 || [ -d /sys/fs/cgroup/unified ]; then
		[[ "$output" == *"has not the form CONTROLLER.VALUE"* ]]
	else
		[[ "$output" == *"linux.resources.unified: needs cgroup v2"* ]]
	fi
}

@test "hugepage limits land in the hugetlb controller" {
	[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "this kernel has no 2 MB huge pages"
	update_config '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 4194304}]'
	run_detached
	if cg_v2 || ! [ -d /sys/fs/cgroup/hugetlb ]; then
		dir=$(jq -r '.cgroup.dirs[] | select(.unified) | .mountpoint + .path' "$STATE/$CID/status")
		[ "$(cat "$dir/hugetlb.2MB.max")" = 4194304 ]
	else
		[ "$(cat "$(cg_path hugetlb)/hugetlb.2MB.limit_in_bytes")" = 4194304 ]
	fi
}

@test "bad resources fail create with a message naming the field" {
	update_config '.linux.resources.cpu = {"shares": 1}'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.resources.cpu.shares: must be from 2 to 262144, got 1"* ]]
	update_config '.linux.resources = {"devices": [{"allow": true, "access": "rwx"}]}'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'linux.resources.devices[0].access: "rwx" may only hold r, w and m'* ]]
	update_config '.linux.resources = {"memory": {"limit": 33554432, "swap": 1000}}'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.resources.memory.swap"* ]]
}

@test "--systemd-cgroup needs systemd, and says so" {
	[ -d /run/systemd/system ] && skip "systemd runs here; the D-Bus test covers it"
	update_config '.linux.cgroupsPath = "system.slice:cell:'"$CID"'"'
	run "$CELLRT" --root "$STATE" --systemd-cgroup run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"systemd is not running"* ]]
	run "$CELLRT" --root "$STATE" --cgroup-manager systemd run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"systemd is not running"* ]]
}

@test "--systemd-cgroup: a transient scope through systemd's D-Bus API" {
	# PID 1 is no systemd here: a scripted systemd1 stands in on a private bus.
	update_config --arg p "machine.slice:cell:$CID" '.linux.cgroupsPath = $p | .linux.resources.pids = {"limit": 33}'
	set_cmd 'sleep 1000'
	log="$BUNDLE/systemd.log"
	run "$TOP/tests/integration/systemd/with-fake-systemd.sh" "$log" sh -c '
		"$0" --root "$1" --systemd-cgroup run -d --bundle "$2" "$3" </dev/null >/dev/null 2>"$2/err" || { cat "$2/err"; exit 1; }
		jq -r ".cgroup.systemd_unit, (.cgroup.dirs[0] | .mountpoint + .path)" "$1/$3/status"
		"$0" --root "$1" update --pids-limit 44 "$3"
		"$0" --root "$1" delete -f "$3"' "$CELLRT" "$STATE" "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "cell-$CID.scope" ]
	[[ "${lines[1]}" == */machine.slice/cell-$CID.scope ]]
	[ ! -d "${lines[1]}" ]
	jq -s -e --arg u "cell-$CID.scope" '
		(.[] | select(.call == "StartTransientUnit")) as $s
		| $s.unit == $u and $s.mode == "fail" and $s.props.Slice == "machine.slice"
		  and $s.props.Delegate == true and ($s.props.PIDs | length) == 1 and $s.props.TasksMax == 33
		and ([.[] | select(.call == "SetUnitProperties" and .props.TasksMax == 44)] | length) == 1
		and ([.[] | select(.call == "StopUnit" and .unit == $u)] | length) == 1' "$log"
}

@test "--systemd-cgroup: systemd's refusal is the error, by its name and words" {
	# A second container for the same scope: systemd says UnitExists.
	update_config --arg p "machine.slice:cell:$CID" '.linux.cgroupsPath = $p'
	set_cmd 'sleep 1000'
	run "$TOP/tests/integration/systemd/with-fake-systemd.sh" "$BUNDLE/systemd.log" sh -c '
		"$0" --root "$1" --systemd-cgroup run -d --bundle "$2" "$3" </dev/null >/dev/null || exit 1
		"$0" --root "$1" --systemd-cgroup run -d --bundle "$2" "$3-2" </dev/null >/dev/null 2>"$2/err2"; s=$?
		"$0" --root "$1" delete -f "$3"
		cat "$2/err2"; [ ! -e "$1/$3-2" ] || echo "state of $3-2 left behind"; exit $s' \
		"$CELLRT" "$STATE" "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"systemd: start cell-$CID.scope: org.freedesktop.systemd1.UnitExists: Unit cell-$CID.scope was already loaded"* ]]
	[[ "$output" != *"left behind"* ]]
}

@test "--systemd-cgroup: no system bus is a clear error" {
	update_config --arg p "machine.slice:cell:$CID" '.linux.cgroupsPath = $p'
	run "$TOP/tests/integration/systemd/with-fake-systemd.sh" "$BUNDLE/systemd.log" \
		env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$BUNDLE/no-bus" "$CELLRT" --root "$STATE" --systemd-cgroup run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"systemd: connect to the system bus: D-Bus: connect to $BUNDLE/no-bus: No such file or directory"* ]]
	[ ! -e "$STATE/$CID" ]
}

@test "--systemd-cgroup: cgroupsPath must be slice:prefix:name" {
	update_config '.linux.cgroupsPath = "/not/systemd"'
	run "$TOP/tests/integration/systemd/with-fake-systemd.sh" "$BUNDLE/systemd.log" \
		"$CELLRT" --root "$STATE" --systemd-cgroup run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'linux.cgroupsPath: "/not/systemd" is not slice:prefix:name'* ]]
}
