#!/usr/bin/env bats
# process.capabilities and process.noNewPrivileges, as the container's
# process sees them in /proc/self/status.

load helpers
load security

# Bits of capability numbers, as /proc/self/status prints a set.
capmask() {
	local m=0 n
	for n in "$@"; do m=$((m | (1 << n))); done
	printf '%016x' "$m"
}

@test "all five sets reach the process as configured (root)" {
	update_config '.process.capabilities = {
		"bounding": ["CAP_KILL", "CAP_CHOWN", "CAP_NET_RAW"],
		"effective": ["CAP_KILL"],
		"permitted": ["CAP_KILL", "CAP_CHOWN"],
		"inheritable": ["CAP_KILL"],
		"ambient": ["CAP_KILL"]}'
	set_cmd 'grep ^Cap /proc/self/status'
	run run_container
	[ "$status" -eq 0 ]
	[ "$(status_field CapBnd)" = "$(capmask 0 5 13)" ]
	[ "$(status_field CapInh)" = "$(capmask 5)" ]
	[ "$(status_field CapAmb)" = "$(capmask 5)" ]
	# no_new_privs keeps root's exec from gaining beyond the permitted set;
	# root's effective set is its permitted set after exec (the kernel's rule)
	[ "$(status_field CapPrm)" = "$(capmask 0 5)" ]
	[ "$(status_field CapEff)" = "$(capmask 0 5)" ]
}

@test "a non-root process keeps exactly its ambient capabilities" {
	update_config '.process.user = {"uid": 1000, "gid": 1000} | .process.capabilities = {
		"bounding": ["CAP_KILL", "CAP_CHOWN", "CAP_NET_RAW"],
		"effective": ["CAP_KILL", "CAP_CHOWN"],
		"permitted": ["CAP_KILL", "CAP_CHOWN"],
		"inheritable": ["CAP_KILL"],
		"ambient": ["CAP_KILL"]}'
	set_cmd 'grep ^Cap /proc/self/status'
	run run_container
	[ "$status" -eq 0 ]
	[ "$(status_field CapEff)" = "$(capmask 5)" ]
	[ "$(status_field CapPrm)" = "$(capmask 5)" ]
	[ "$(status_field CapAmb)" = "$(capmask 5)" ]
	[ "$(status_field CapInh)" = "$(capmask 5)" ]
	[ "$(status_field CapBnd)" = "$(capmask 0 5 13)" ]
}

@test "empty sets leave the process without any capability" {
	update_config '.process.capabilities = {"bounding": [], "effective": [], "permitted": [],
		"inheritable": [], "ambient": []}'
	set_cmd 'grep ^Cap /proc/self/status'
	run run_container
	[ "$status" -eq 0 ]
	for f in CapInh CapPrm CapEff CapBnd CapAmb; do
		[ "$(status_field $f)" = 0000000000000000 ]
	done
}

@test "an unknown capability is an error naming it, and nothing is left" {
	update_config '.process.capabilities.bounding += ["CAP_NOT_A_THING"]'
	run cellrt create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.capabilities.bounding[3]: unknown capability \"CAP_NOT_A_THING\""* ]]
	assert_nothing_left
}

@test "an ambient capability that is not inheritable is an error naming it" {
	update_config '.process.capabilities.ambient = ["CAP_KILL"]'
	run run_container
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.capabilities.ambient: CAP_KILL must also be permitted and inheritable"* ]]
	assert_nothing_left
}

@test "noNewPrivileges true and false reach the process" {
	update_config '.process.noNewPrivileges = true'
	set_cmd 'grep ^NoNewPrivs /proc/self/status'
	run run_container
	[ "$status" -eq 0 ]
	[ "$(status_field NoNewPrivs)" = 1 ]
	update_config '.process.noNewPrivileges = false'
	run run_container
	[ "$status" -eq 0 ]
	[ "$(status_field NoNewPrivs)" = 0 ]
}

# CVE-2022-29162: whatever inheritable capabilities the runtime's caller
# holds, the process gets only those it asked for.
@test "CVE-2022-29162: no inheritable capability the process did not ask for" {
	command -v setpriv >/dev/null
	set_cmd 'grep -E "^Cap(Inh|Amb)" /proc/self/status'
	# the caller of the runtime carries inheritable capabilities
	run setpriv --inh-caps +net_raw,+sys_admin,+kill "$CELLRT" --root "$STATE" run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(status_field CapInh)" = 0000000000000000 ]
	[ "$(status_field CapAmb)" = 0000000000000000 ]
	# and with no process.capabilities at all
	update_config 'del(.process.capabilities)'
	run setpriv --inh-caps +net_raw,+sys_admin,+kill "$CELLRT" --root "$STATE" run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(status_field CapInh)" = 0000000000000000 ]
	[ "$(status_field CapAmb)" = 0000000000000000 ]
	# the control: the caller really had them
	run setpriv --inh-caps +net_raw,+sys_admin,+kill grep ^CapInh /proc/self/status
	[ "$(status_field CapInh)" != 0000000000000000 ]
}

@test "a non-root process with file capabilities gains nothing outside the bounding set" {
	cp "$BUNDLE/rootfs/bin/busybox" "$BUNDLE/rootfs/bin/capbox"
	setcap cap_sys_admin,cap_kill+p "$BUNDLE/rootfs/bin/capbox"
	update_config '.process.user = {"uid": 1000, "gid": 1000} | .process.noNewPrivileges = false
		| .process.capabilities = {"bounding": ["CAP_KILL"], "effective": [], "permitted": [],
		"inheritable": [], "ambient": []}'
	# busybox picks its applet by the name it is called by
	mkdir "$BUNDLE/rootfs/capbin"
	ln -s /bin/capbox "$BUNDLE/rootfs/capbin/grep"
	set_args /capbin/grep ^Cap /proc/self/status
	run run_container
	[ "$status" -eq 0 ]
	[ "$(status_field CapPrm)" = "$(capmask 5)" ]
	[ "$(status_field CapEff)" = 0000000000000000 ]
}
