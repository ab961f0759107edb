#!/usr/bin/env bats
# Rootless: cellrt run by an unprivileged user that this file creates (and
# removes). Its containers live in a user namespace mapped to that user, its
# state under $XDG_RUNTIME_DIR/cellrt.

load helpers

RL_USER=cellrootless
RL_SUB_START=300000

setup_file() {
	ensure_rootfs
	# useradd may create /etc/subuid and /etc/subgid; remember whether they
	# were there, to leave the host as we found it.
	for f in /etc/subuid /etc/subgid; do
		[ -e "$f" ] && touch "$BATS_FILE_TMPDIR/had-$(basename $f)"
	done
	id "$RL_USER" >/dev/null 2>&1 && userdel "$RL_USER"
	useradd -M -d /nonexistent -s /bin/sh "$RL_USER"
	# Only the range our mapping tests use.
	for f in /etc/subuid /etc/subgid; do
		if [ -e "$f" ]; then sed -i "/^$RL_USER:/d" "$f"; else install -m 644 /dev/null "$f"; fi
	done
	usermod --add-subuids "$RL_SUB_START-$((RL_SUB_START + 65535))" \
		--add-subgids "$RL_SUB_START-$((RL_SUB_START + 65535))" "$RL_USER"
	RL_XDG=$(mktemp -d /tmp/cell-rl-xdg.XXXXXX)
	chown "$RL_USER:" "$RL_XDG"
	chmod 700 "$RL_XDG"
	echo "$RL_XDG" >"$BATS_FILE_TMPDIR/xdg"
}

teardown_file() {
	local xdg
	xdg=$(cat "$BATS_FILE_TMPDIR/xdg" 2>/dev/null || true)
	userdel "$RL_USER" 2>/dev/null || true
	for f in /etc/subuid /etc/subgid; do
		if [ ! -e "$BATS_FILE_TMPDIR/had-$(basename $f)" ] && [ ! -s "$f" ]; then
			rm -f "$f" "$f-"
		fi
	done
	[ -n "$xdg" ] && rm -rf "$xdg"
}

# cellrt as the unprivileged user, in the bundle.
rl() {
	(cd "$BUNDLE" && runuser -u "$RL_USER" -- env XDG_RUNTIME_DIR="$RL_XDG" PATH="${RL_PATH:-$PATH}" "$CELLRT" "$@")
}

setup() {
	RL_XDG=$(cat "$BATS_FILE_TMPDIR/xdg")
	BUNDLE=$(mktemp -d /tmp/cell-rl.XXXXXX)
	cp -a "$ROOTFS_CACHE" "$BUNDLE/rootfs"
	chown -R "$RL_USER:" "$BUNDLE"
	rl spec --rootless
	update_config '.process.terminal = false | .process.args = ["true"] | .root.readonly = false'
	chown "$RL_USER:" "$BUNDLE/config.json"
	CID="rl$$-${BATS_TEST_NUMBER}"
	RL_UID=$(id -u "$RL_USER")
}

teardown() {
	local leftovers="" id
	for id in $(rl list -q 2>/dev/null); do
		rl delete -f "$id" >/dev/null 2>&1 || leftovers="$leftovers undeletable:$id"
	done
	# Zombies do not count: this host's PID 1 reaps what detached runs
	# leave to it only after a while.
	if ! wait_for no_live_user_processes; then
		leftovers="$leftovers processes:$(live_user_processes | tr '\n' ' ')"
	fi
	if grep -q " $BUNDLE" /proc/self/mountinfo; then
		leftovers="$leftovers mounts-under-$BUNDLE"
	fi
	rm -rf "$BUNDLE"
	if [ -n "$leftovers" ]; then
		echo "left behind:$leftovers" >&2
		return 1
	fi
}

live_user_processes() {
	local p
	for p in $(pgrep -u "$RL_USER"); do
		[ "$(awk '{print $3}' /proc/$p/stat 2>/dev/null)" = Z ] || echo "$p"
	done
}

no_live_user_processes() {
	[ -z "$(live_user_processes)" ]
}

rl_set_cmd() {
	set_cmd "$1"
	chown "$RL_USER:" "$BUNDLE/config.json"
}

@test "rootless: spec --rootless and run, as an unprivileged user, state under \$XDG_RUNTIME_DIR/cellrt" {
	grep -q '"type": "user"' "$BUNDLE/config.json"
	rl_set_cmd 'id; cat /proc/self/uid_map /proc/self/gid_map; hostname; ls /run/cellrt-state-check 2>/dev/null; echo ok > /tmp/mark'
	run rl run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"uid=0(root) gid=0(root)"* ]]
	echo "$output" | grep -Eq "^ +0 +$RL_UID +1$"
	[[ "$output" == *cell* ]]
	# the files it wrote belong to the user on the host
	[ "$(stat -c %U "$BUNDLE/rootfs/tmp/mark")" = "$RL_USER" ]
	# without a delegated cgroup it runs, silently when no limit is asked
	# (podman gives the container our stderr as its log)
	[ "$(echo "$output" | grep -c warning)" -eq 0 ]
	jq '.linux.resources = {"pids": {"limit": 100}}' "$BUNDLE/config.json" >"$BUNDLE/c.json"
	mv "$BUNDLE/c.json" "$BUNDLE/config.json"
	chmod 644 "$BUNDLE/config.json"
	run rl run "$CID"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c warning)" -eq 1 ]
	[[ "$output" == *"limits in linux.resources are not applied"* ]]
	rl_set_cmd 'sleep 1000'
	rl run -d "$CID" </dev/null >/dev/null 2>&1
	[ -f "$RL_XDG/cellrt/$CID/status" ]
	[ "$(stat -c %U "$RL_XDG/cellrt/$CID")" = "$RL_USER" ]
	pid=$(rl state "$CID" | jq .pid)
	[ "$(stat -c %U /proc/$pid)" = "$RL_USER" ]
	rl delete -f "$CID"
	[ ! -e "$RL_XDG/cellrt/$CID" ]
}

@test "rootless: sysfs and devices fall back to binds of the host's" {
	# sysfs as a real sysfs mount, which needs our own network namespace
	update_config '(.mounts[] | select(.destination == "/sys")) |= {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}'
	rl_set_cmd 'ls /sys/kernel >/dev/null && echo sys-ok; grep " /sys " /proc/self/mountinfo | grep -q " ro," && echo sys-ro; stat -c "%t:%T %U" /dev/null; echo x > /dev/null && echo null-ok; head -c 4 /dev/zero | od -An -tx1'
	run rl run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *sys-ok* ]]
	[[ "$output" == *sys-ro* ]]
	# the host's null device, whose owner (host root) is not mapped
	[[ "$output" == *"1:3 nobody"* ]]
	[[ "$output" == *null-ok* ]]
	[[ "$output" == *" 00 00 00 00"* ]]
}

@test "rootless: exec joins the container, user namespace first" {
	rl_set_cmd 'sleep 1000'
	rl run -d "$CID" </dev/null >/dev/null 2>&1
	run rl exec "$CID" sh -c 'id -u; cat /proc/self/uid_map; cat /proc/1/cmdline | tr "\0" " "'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	echo "${lines[1]}" | grep -Eq "^ +0 +$RL_UID +1$"
	[ "${lines[2]}" = "sleep 1000 " ]
	run rl exec "$CID" sh -c 'exit 12'
	[ "$status" -eq 12 ]
	init=$(rl state "$CID" | jq .pid)
	rl exec -d --pid-file "$BUNDLE/exec.pid" "$CID" sleep 1000
	pid=$(cat "$BUNDLE/exec.pid")
	for ns in user mnt pid uts ipc; do
		[ "$(readlink /proc/$pid/ns/$ns)" = "$(readlink /proc/$init/ns/$ns)" ]
	done
}

@test "rootless: a terminal on run and on exec" {
	update_config '.process.terminal = true'
	rl_set_cmd 'tty; echo READY; read x; echo "got $x"'
	chmod 755 "$BUNDLE"
	run python3 "$BATS_TEST_DIRNAME/ptyrun.py" --step 'READY:send=hello\r' -- \
		runuser -u "$RL_USER" -- env XDG_RUNTIME_DIR="$RL_XDG" "$CELLRT" run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *"got hello"* ]]
	[[ "$output" == *"ptyrun: termios restored"* ]]
	update_config '.process.terminal = false'
	rl_set_cmd 'sleep 1000'
	rl run -d "$CID" </dev/null >/dev/null 2>&1
	run python3 "$BATS_TEST_DIRNAME/ptyrun.py" --step '#:send=tty; exit 3\r' -- \
		runuser -u "$RL_USER" -- env XDG_RUNTIME_DIR="$RL_XDG" "$CELLRT" exec -t "$CID" sh
	echo "$output"
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *"ptyrun: status 3"* ]]
	[[ "$output" == *"ptyrun: termios restored"* ]]
}

@test "rootless: /etc/subuid ranges through newuidmap and newgidmap" {
	update_config --argjson u "$RL_UID" --argjson s "$RL_SUB_START" '
		.linux.uidMappings = [{"containerID": 0, "hostID": $u, "size": 1}, {"containerID": 1, "hostID": $s, "size": 65536}]
		| .linux.gidMappings = .linux.uidMappings
		| .linux.gidMappings[0].hostID = $u
		| .process.user = {"uid": 1000, "gid": 1000}'
	rl_set_cmd 'cat /proc/self/uid_map; cat /proc/self/setgroups; id; sleep 1000'
	rl run -d "$CID" </dev/null >"$BUNDLE/out" 2>&1 || { cat "$BUNDLE/out"; false; }
	pid=$(rl state "$CID" | jq .pid)
	wait_for grep -q uid= "$BUNDLE/out"
	cat "$BUNDLE/out"
	grep -Eq "^ +1 +$RL_SUB_START +65536$" "$BUNDLE/out"
	# newgidmap leaves setgroups allowed: the container can change groups
	grep -q '^allow$' "$BUNDLE/out"
	grep -q 'uid=1000(user) gid=1000(user)' "$BUNDLE/out"
	# container uid 1000 is host uid start+999
	grep -Eq "^Uid:\s+$((RL_SUB_START + 999))\s" /proc/$pid/status
}

@test "rootless: ranges without newuidmap fail clearly, and leave nothing" {
	update_config --argjson u "$RL_UID" --argjson s "$RL_SUB_START" '
		.linux.uidMappings = [{"containerID": 0, "hostID": $u, "size": 1}, {"containerID": 1, "hostID": $s, "size": 100}]'
	chown "$RL_USER:" "$BUNDLE/config.json"
	RL_PATH=/nonexistent run rl run "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"uidMappings: an unprivileged user needs newuidmap (package uidmap)"* ]]
	# a range not in /etc/subuid: newuidmap's own reason
	update_config --argjson u "$RL_UID" '.linux.uidMappings[1].hostID = 100'
	chown "$RL_USER:" "$BUNDLE/config.json"
	run rl run "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"uidMappings: newuidmap failed: "* ]]
	[ -z "$(rl list -q)" ]
}

@test "rootless: a delegated cgroup is used" {
	deleg="cellrl-$$"
	dirs=$(awk '$9 == "cgroup" || $9 == "cgroup2" {print $5}' /proc/self/mountinfo | sort -u)
	for d in $dirs; do
		mkdir -p "$d/$deleg"
		if [ -e "$d/$deleg/cpuset.cpus" ]; then
			cat "$d/cpuset.cpus" >"$d/$deleg/cpuset.cpus"
			cat "$d/cpuset.mems" >"$d/$deleg/cpuset.mems"
		fi
		chown -R "$RL_USER:" "$d/$deleg"
	done
	update_config --arg p "/$deleg/ctr" '.linux.cgroupsPath = $p'
	rl_set_cmd 'sleep 1000'
	# The runtime starts inside the delegated tree, as a session manager
	# would start it: moving processes needs rights on the common ancestor.
	(
		for d in $dirs; do echo $BASHPID >"$d/$deleg/cgroup.procs"; done
		rl run -d "$CID" </dev/null >"$BUNDLE/out" 2>&1
	)
	status=$?
	cat "$BUNDLE/out"
	pid=$(rl state "$CID" | jq .pid)
	grep -q ":pids:/$deleg/ctr\$" /proc/$pid/cgroup
	! grep -q warning "$BUNDLE/out"
	rl delete -f "$CID"
	[ ! -d "$(echo "$dirs" | grep pids)/$deleg/ctr" ]
	for d in $dirs; do rmdir "$d/$deleg"; done
	[ "$status" -eq 0 ]
}

@test "rootless: checkpoint and restore need root, and say so" {
	rl_set_cmd 'sleep 1000'
	rl run -d "$CID" </dev/null >/dev/null 2>&1
	run rl checkpoint --image-path "$BUNDLE/img" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"checkpoint container $CID: checkpointing needs root (criu does)"* ]]
	[ "$(rl state "$CID" | jq -r .status)" = running ]
	run rl restore --image-path "$BUNDLE/img" "${CID}r"
	[ "$status" -ne 0 ]
	[[ "$output" == *"restore container ${CID}r: restoring needs root (criu does)"* ]]
}
