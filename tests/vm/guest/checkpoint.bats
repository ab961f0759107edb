#!/usr/bin/env bats
# checkpoint and restore, in the VM guest (tests/vm), whose kernel criu
# supports: a counting container is dumped, killed, restored and counts on
# from where it was; under a new id; with --leave-running; after a
# pre-dump; and crun's own test_checkpoint_restore.

load ../../integration/helpers

setup() {
	command -v criu >/dev/null || {
		echo "criu is not in the guest: tests/vm/binaries must list it" >&2
		return 1
	}
	setup_bundle
	IMG=$BUNDLE/images
	# The count goes to the root file system, which the host side reads.
	# Each number is written beside the file and renamed over it, so that
	# the file is never empty: a dump can freeze the shell at any point, and
	# a truncated file would stay empty until the restore.
	COUNTER='i=0; while :; do i=$((i + 1)); echo $i >/tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.1; done'
}

# cellrt, and criu's logs when it fails. A restored container keeps the
# stdio it is given: not bats's.
ckpt() {
	cellrt "$@" </dev/null >/dev/null 2>"$BUNDLE/ckpt.err" && return 0
	local rc=$?
	cat "$BUNDLE/ckpt.err" >&2
	tail -n 80 "$BUNDLE"/*/*.log >&2 2>/dev/null || true
	return $rc
}

count() {
	cat "$BUNDLE/rootfs/tmp/count"
}

count_above() {
	[ "$(count 2>/dev/null || echo 0)" -gt "$1" ]
}

# The process is stopped: the count does not move.
count_stays() {
	local c
	c=$(count)
	sleep 0.5
	[ "$(count)" = "$c" ]
}

@test "checkpoint: a counting container is killed by the dump and counts on from where it was after restore" {
	run_detached "$COUNTER"
	pid=$(container_pid "$CID")
	wait_for count_above 5
	ckpt checkpoint --image-path "$IMG" "$CID"
	# gone, as after delete
	run cellrt state "$CID"
	[ "$status" -ne 0 ]
	! kill -0 "$pid" 2>/dev/null
	count_stays
	at=$(count)
	ckpt restore -d --image-path "$IMG" --bundle "$BUNDLE" "$CID"
	[ "$(container_status "$CID")" = running ]
	[ "$(container_pid "$CID")" -gt 0 ]
	wait_for count_above "$at"
	# on from there, not from 1
	[ "$(count)" -le $((at + 20)) ]
	# the same process tree: pid 1 of its namespace is still the shell
	[ "$(cellrt exec "$CID" cat /proc/1/cmdline | tr '\0' ' ')" = "sh -c $COUNTER " ]
	cellrt delete -f "$CID"
}

@test "checkpoint: restore under a new id" {
	run_detached "$COUNTER"
	wait_for count_above 3
	ckpt checkpoint --image-path "$IMG" "$CID"
	at=$(count)
	ckpt restore -d --image-path "$IMG" --bundle "$BUNDLE" "${CID}-new"
	[ "$(container_status "${CID}-new")" = running ]
	run cellrt state "$CID"
	[ "$status" -ne 0 ]
	wait_for count_above "$at"
	# in its own cgroup, the new id's
	pid=$(container_pid "${CID}-new")
	grep -q "/${CID}-new\$" /proc/$pid/cgroup
	cellrt delete -f "${CID}-new"
}

@test "checkpoint --leave-running: the container goes on, and the images restore" {
	run_detached "$COUNTER"
	wait_for count_above 3
	ckpt checkpoint --leave-running --image-path "$IMG" "$CID"
	[ "$(container_status "$CID")" = running ]
	at=$(count)
	wait_for count_above "$at"
	cellrt delete -f "$CID"
	ckpt restore -d --image-path "$IMG" --bundle "$BUNDLE" "$CID"
	[ "$(container_status "$CID")" = running ]
	at=$(count)
	wait_for count_above "$at"
}

@test "checkpoint --pre-dump, then a dump on top of it" {
	run_detached "$COUNTER"
	wait_for count_above 3
	ckpt checkpoint --pre-dump --image-path "$BUNDLE/pre" "$CID"
	# a pre-dump leaves it running
	[ "$(container_status "$CID")" = running ]
	ckpt checkpoint --parent-path ../pre --image-path "$IMG" "$CID"
	[ -L "$IMG/parent" ]
	at=$(count)
	ckpt restore -d --image-path "$IMG" --bundle "$BUNDLE" "$CID"
	wait_for count_above "$at"
}

@test "checkpoint: restore in the foreground waits and returns the exit status" {
	run_detached 'i=0; while [ $i -lt 20 ]; do i=$((i + 1)); echo $i >/tmp/count; sleep 0.1; done; exit 7'
	wait_for count_above 2
	ckpt checkpoint --image-path "$IMG" "$CID"
	run cellrt restore --image-path "$IMG" --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 7 ]
	[ "$(count)" = 20 ]
	# and run's rule: it is deleted once it has exited
	run cellrt state "$CID"
	[ "$status" -ne 0 ]
}

@test "checkpoint: mistakes are named" {
	run cellrt checkpoint --image-path "$IMG" nosuch
	[ "$status" -ne 0 ]
	[[ "$output" == *"container nosuch does not exist"* ]]
	set_cmd 'true'
	cellrt run --keep --bundle "$BUNDLE" "$CID" </dev/null
	run cellrt checkpoint --image-path "$IMG" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"checkpoint container $CID: it is stopped, not running"* ]]
	cellrt delete "$CID"
	run cellrt restore --image-path "$BUNDLE/none" --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"restore container $CID: --image-path $BUNDLE/none"* ]]
	run cellrt state "$CID"
	[ "$status" -ne 0 ]
	run_detached
	run cellrt checkpoint --manage-cgroups-mode bogus --image-path "$IMG" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'--manage-cgroups-mode "bogus": must be soft, full, strict or ignore'* ]]
	[ "$(container_status "$CID")" = running ]
}

@test "checkpoint: crun's test_checkpoint_restore" {
	run "$TOP/tests/conformance/crun-suite.sh" "$CELLRT" test_checkpoint_restore
	echo "$output"
	[[ "$output" != *"not ok"* ]]
	[ "$(echo "$output" | grep -c '^ok .* - checkpoint-restore')" -eq 3 ]
	[[ "$output" != *"SKIP"* ]]
}
