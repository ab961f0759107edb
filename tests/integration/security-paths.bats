#!/usr/bin/env bats
# linux.maskedPaths, linux.readonlyPaths, and the LSM fields on a host where
# neither AppArmor nor SELinux is active.

load helpers
load security

@test "masked files read empty and are the null device; masked directories are empty" {
	mkdir -p "$BUNDLE/rootfs/secret/dir"
	echo hidden >"$BUNDLE/rootfs/secret/file"
	echo hidden >"$BUNDLE/rootfs/secret/dir/inner"
	update_config '.linux.maskedPaths = ["/secret/file", "/secret/dir", "/proc/keys", "/not/there"]'
	set_cmd 'echo "file=[$(cat /secret/file)]"; echo "dir=[$(ls -A /secret/dir)]"; stat -c "%F %t:%T" /secret/file /proc/keys; echo "keys=[$(cat /proc/keys)]"; touch /secret/dir/x; echo "touch=$?"'
	run run_container
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"file=[]"* ]]
	[[ "$output" == *"dir=[]"* ]]
	[ "$(echo "$output" | grep -c "character special file 1:3")" -eq 2 ]
	[[ "$output" == *"keys=[]"* ]]
	[[ "$output" == *"touch=1"* ]]
	# the files under the masks are untouched
	[ "$(cat "$BUNDLE/rootfs/secret/file")" = hidden ]
}

@test "a masked path that is a symlink masks what it names" {
	mkdir -p "$BUNDLE/rootfs/data"
	echo hidden >"$BUNDLE/rootfs/data/real"
	ln -s /data/real "$BUNDLE/rootfs/data/link"
	update_config '.linux.maskedPaths = ["/data/link"]'
	set_cmd 'echo "real=[$(cat /data/real)] link=[$(cat /data/link)]"'
	run run_container
	[ "$status" -eq 0 ]
	[[ "$output" == *"real=[] link=[]"* ]]
}

@test "readonly paths refuse writes, below them too" {
	mkdir -p "$BUNDLE/rootfs/ro/sub"
	update_config '.linux.readonlyPaths = ["/ro", "/proc/sys", "/not/there"]'
	set_cmd 'touch /ro/x; echo "top=$?"; touch /ro/sub/y; echo "sub=$?"; echo 1 > /proc/sys/kernel/domainname; echo "sysctl=$?"; touch /tmp/z; echo "elsewhere=$?"'
	run run_container
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"top=1"* ]]
	[[ "$output" == *"sub=1"* ]]
	[[ "$output" == *"sysctl=1"* ]]
	[[ "$output" == *"elsewhere=0"* ]]
	[[ "$output" == *"Read-only file system"* ]]
}

@test "process.apparmorProfile without AppArmor is refused, as runc does, and nothing is left" {
	[ ! -e /sys/kernel/security/apparmor ]
	update_config '.process.apparmorProfile = "cell-default"'
	run cellrt create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.apparmorProfile: \"cell-default\": AppArmor is not enabled on this host"* ]]
	assert_nothing_left
}

@test "process.selinuxLabel without SELinux is refused, as runc does, and nothing is left" {
	[ "$(stat -f -c %T /sys/fs/selinux 2>/dev/null)" != selinux ]
	update_config '.process.selinuxLabel = "system_u:system_r:container_t:s0:c1,c2"'
	run cellrt create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.selinuxLabel: \"system_u:system_r:container_t:s0:c1,c2\": SELinux is disabled or not supported"* ]]
	assert_nothing_left
}

@test "linux.mountLabel without SELinux is ignored, as runc does" {
	update_config '.linux.mountLabel = "system_u:object_r:container_file_t:s0:c1,c2"'
	set_cmd 'grep " /dev " /proc/self/mountinfo'
	run run_container
	[ "$status" -eq 0 ]
	[[ "$output" != *"context="* ]]
}
