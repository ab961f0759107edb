#!/usr/bin/env bats
# checkpoint and restore on this host. Where `criu check` fails (it does on
# this machine's kernel) both fail with criu's own reason and change
# nothing; the real cycle runs in the VM (tests/vm/guest/checkpoint.bats),
# and here too where criu works.

load helpers

criu_works() {
	criu check >/dev/null 2>&1
}

@test "checkpoint and restore: criu's own reason when it cannot work here, and nothing changes" {
	run_detached 'i=0; while :; do i=$((i + 1)); echo $i >/tmp/count; sleep 0.1; done'
	pid=$(container_pid "$CID")
	if criu_works; then
		cellrt checkpoint --image-path "$BUNDLE/img" "$CID"
		! kill -0 "$pid" 2>/dev/null
		cellrt restore -d --image-path "$BUNDLE/img" --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
		[ "$(container_status "$CID")" = running ]
		return 0
	fi
	reason=$(criu check 2>&1 | grep -m1 Error)
	[ -n "$reason" ]
	run cellrt checkpoint --image-path "$BUNDLE/img" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"checkpoint container $CID: criu cannot checkpoint or restore on this system: \`criu check\` says: $reason"* ]]
	[ "$(container_status "$CID")" = running ]
	[ "$(container_pid "$CID")" = "$pid" ]
	run cellrt restore -d --image-path "$BUNDLE/img" --bundle "$BUNDLE" "${CID}r"
	[ "$status" -ne 0 ]
	[[ "$output" == *"restore container ${CID}r: criu cannot checkpoint or restore on this system"* ]]
	[[ "$output" == *"$reason"* ]]
	# the restore left nothing: no state, no cgroup, no mount
	run cellrt state "${CID}r"
	[ "$status" -ne 0 ]
	[ -z "$(find /sys/fs/cgroup/pids -maxdepth 3 -type d -name "${CID}r")" ]
	! grep -q criu-root /proc/self/mountinfo
}

@test "checkpoint and restore: usage and state errors come before criu" {
	run cellrt checkpoint
	[ "$status" -ne 0 ]
	[[ "$output" == *"missing the container id"* ]]
	run cellrt checkpoint --image-path "$BUNDLE/img" nosuch
	[ "$status" -ne 0 ]
	[[ "$output" == *"container nosuch does not exist"* ]]
	run_detached
	run cellrt checkpoint --manage-cgroups-mode sometimes "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'--manage-cgroups-mode "sometimes": must be soft, full, strict or ignore'* ]]
	run cellrt --criu /nonexistent/criu checkpoint "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"criu: not found (install criu, or give --criu PATH)"* ]]
	[ "$(container_status "$CID")" = running ]
	run cellrt restore extra args
	[ "$status" -ne 0 ]
	[[ "$output" == *'unexpected argument "args"'* ]]
	run cellrt restore --image-path "$BUNDLE/none" --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"container $CID already exists"* ]]
}
