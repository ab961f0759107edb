#!/usr/bin/env bats
# The root file system and the mounts: pivot_root or chroot, every mount
# type and flag, propagation, and mount points that stay inside the rootfs.

load helpers

# The mountinfo line of a target inside the container, from $output.
mount_line() {
	printf '%s\n' "$output" | awk -v t="$1" '$5 == t' | tail -1
}

@test "pivot_root: the rootfs is /, the host's root is gone" {
	set_cmd 'cat /proc/self/mountinfo'
	run cellrt run --bundle "$BUNDLE" "$CID"
	# one mount on /, and it is the bundle's root file system
	[ "$(printf '%s\n' "$output" | awk '$5 == "/"' | wc -l)" -eq 1 ]
	[ "$(printf '%s\n' "$output" | awk '$5 == "/" {print $4}')" = "$BUNDLE/rootfs" ]
	! printf '%s\n' "$output" | awk '{print $5}' | grep -qx /sys/fs/cgroup/memory/../..
	# no mount of the host's root file system's root remains
	[ "$(printf '%s\n' "$output" | awk '$4 == "/" && $5 == "/"' | wc -l)" -eq 0 ]
}

@test "--no-pivot uses chroot and still runs" {
	set_cmd 'ls /bin/busybox && cat /proc/self/mountinfo | head -1'
	run cellrt run --no-pivot --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == /bin/busybox ]]
}

@test "root.readonly makes / read-only, the mounts stay writable" {
	update_config '.root.readonly = true'
	set_cmd 'touch /x 2>&1; echo rc=$?; touch /dev/shm/y && echo shm-ok'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" == *"shm-ok"* ]]
}

@test "bind mounts: ro, rw, and a file" {
	mkdir -p "$BUNDLE/src"
	echo data >"$BUNDLE/src/f"
	update_config --arg s "$BUNDLE/src" '.mounts += [
		{"destination": "/ro", "type": "bind", "source": $s, "options": ["bind", "ro"]},
		{"destination": "/rw", "type": "bind", "source": $s, "options": ["rbind", "rw"]},
		{"destination": "/etc/onefile", "type": "bind", "source": ($s + "/f"), "options": ["bind", "ro"]}]'
	set_cmd 'cat /ro/f; (echo x > /ro/g) 2>/dev/null || echo ro-refused; echo y > /rw/g && echo rw-ok; cat /etc/onefile'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "${lines[0]}" = data ]
	[ "${lines[1]}" = ro-refused ]
	[ "${lines[2]}" = rw-ok ]
	[ "${lines[3]}" = data ]
	[ "$(cat "$BUNDLE/src/g")" = y ]
}

@test "rbind brings submounts, bind does not" {
	mkdir -p "$BUNDLE/src/sub"
	mount -t tmpfs tmpfs "$BUNDLE/src/sub"
	touch "$BUNDLE/src/sub/inside-submount"
	update_config --arg s "$BUNDLE/src" '.mounts += [
		{"destination": "/r", "type": "bind", "source": $s, "options": ["rbind"]},
		{"destination": "/b", "type": "bind", "source": $s, "options": ["bind"]}]'
	set_cmd 'ls /r/sub; echo ---; ls /b/sub'
	run cellrt run --bundle "$BUNDLE" "$CID"
	umount "$BUNDLE/src/sub"
	[ "${lines[0]}" = inside-submount ]
	[ "${lines[1]}" = --- ]
	[ "${#lines[@]}" -eq 2 ]
}

@test "a relative bind source is taken from the bundle" {
	mkdir -p "$BUNDLE/data"
	echo rel >"$BUNDLE/data/f"
	update_config '.mounts += [{"destination": "/data", "type": "bind", "source": "data", "options": ["bind"]}]'
	set_cmd 'cat /data/f'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$output" = rel ]
}

@test "mount flags: nosuid, nodev, noexec, relatime, strictatime, sync on tmpfs" {
	update_config '.mounts += [
		{"destination": "/t1", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "noexec", "strictatime"]},
		{"destination": "/t2", "type": "tmpfs", "source": "tmpfs", "options": ["ro", "noatime", "sync", "size=1m", "mode=700"]}]'
	set_cmd 'cat /proc/self/mountinfo; stat -c %a /t2'
	run cellrt run --bundle "$BUNDLE" "$CID"
	l1=$(mount_line /t1)
	l2=$(mount_line /t2)
	[[ "$l1" == *" rw,nosuid,nodev,noexec "* ]]
	[[ "$l2" == *" ro,noatime "* ]]
	[[ "$l2" == *"size=1024k"* ]]
	[[ "$l2" == *"sync"* ]]
	[ "${lines[-1]}" = 700 ]
}

@test "proc, sysfs, mqueue, devpts, tmpfs and cgroup are what they say" {
	set_cmd 'cat /proc/self/mountinfo'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[[ "$(mount_line /proc)" == *" - proc "* ]]
	[[ "$(mount_line /sys)" == *" ro,"*" - sysfs "* ]]
	[[ "$(mount_line /dev/mqueue)" == *" - mqueue "* ]]
	[[ "$(mount_line /dev/pts)" == *" - devpts "*"ptmxmode=666"* ]]
	[[ "$(mount_line /dev/shm)" == *" - tmpfs "* ]]
	[[ "$(mount_line /sys/fs/cgroup)" == *" ro,"* ]]
}

@test "missing mount points are created, deep ones too" {
	update_config '.mounts += [{"destination": "/a/b/c/d", "type": "tmpfs", "source": "tmpfs"},
		{"destination": "/test//double///slash", "type": "tmpfs", "source": "tmpfs"}]'
	set_cmd 'cat /proc/self/mountinfo'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ -n "$(mount_line /a/b/c/d)" ]
	[ -n "$(mount_line /test/double/slash)" ]
	[ -d "$BUNDLE/rootfs/a/b/c/d" ]
}

@test "a symlink in the rootfs never leads a mount or mkdir outside it" {
	outside=$(mktemp -d /tmp/cell-outside.XXXXXX)
	ln -s "$outside" "$BUNDLE/rootfs/escape-abs"
	ln -s ../../../../../../../../"$outside" "$BUNDLE/rootfs/escape-rel"
	update_config '.mounts += [
		{"destination": "/escape-abs/m1", "type": "tmpfs", "source": "tmpfs"},
		{"destination": "/escape-rel/m2", "type": "tmpfs", "source": "tmpfs"}]'
	set_cmd 'cat /proc/self/mountinfo'
	run cellrt run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	# nothing was made on the host
	[ -z "$(ls -A "$outside")" ]
	rmdir "$outside"
	# and the mounts were made inside the rootfs, where the link points in there
	[ -d "$BUNDLE/rootfs/$outside/m1" ]
	[ -d "$BUNDLE/rootfs/$outside/m2" ]
}

@test "a bind onto an absolute symlink lands on its target inside the rootfs" {
	mkdir -p "$BUNDLE/rootfs/usr/share/zoneinfo"
	echo zone >"$BUNDLE/rootfs/usr/share/zoneinfo/Here"
	ln -s /usr/share/zoneinfo/Here "$BUNDLE/rootfs/etc/localtime"
	echo host-file >"$BUNDLE/hostfile"
	update_config --arg s "$BUNDLE/hostfile" '.mounts += [{"destination": "/etc/localtime", "type": "bind", "source": $s, "options": ["bind", "ro"]}]'
	set_cmd 'cat /usr/share/zoneinfo/Here'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$output" = host-file ]
	# the host's /usr/share/zoneinfo was not touched
	[ ! -e /usr/share/zoneinfo/Here ]
}

@test "propagation: an rshared bind shares mounts back to the host, a default bind does not" {
	mkdir -p "$BUNDLE/shared" "$BUNDLE/private"
	mount --bind "$BUNDLE/shared" "$BUNDLE/shared"
	mount --make-shared "$BUNDLE/shared"
	update_config --arg s "$BUNDLE/shared" --arg p "$BUNDLE/private" '.mounts += [
		{"destination": "/shared", "type": "bind", "source": $s, "options": ["rbind", "rshared"]},
		{"destination": "/private", "type": "bind", "source": $p, "options": ["rbind"]}]
		| .process.capabilities |= map_values(. + ["CAP_SYS_ADMIN"])'
	run_detached 'mkdir -p /shared/m /private/m; mount -t tmpfs tmpfs /shared/m && mount -t tmpfs tmpfs /private/m && touch /ready; sleep 1000'
	wait_for test -e "$BUNDLE/rootfs/ready"
	seen_shared=$(grep -c " $BUNDLE/shared/m " /proc/self/mountinfo || true)
	seen_private=$(grep -c " $BUNDLE/private/m " /proc/self/mountinfo || true)
	cellrt delete -f "$CID"
	umount "$BUNDLE/shared/m" 2>/dev/null || true
	umount "$BUNDLE/shared"
	[ "$seen_shared" -eq 1 ]
	[ "$seen_private" -eq 0 ]
}

@test "rootfsPropagation must be a known propagation" {
	update_config '.linux.rootfsPropagation = "sideways"'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'linux.rootfsPropagation: unknown propagation "sideways"'* ]]
}

@test "tmpcopyup copies what was under a tmpfs mount point" {
	mkdir -p "$BUNDLE/rootfs/etc/seed"
	echo seeded >"$BUNDLE/rootfs/etc/seed/file"
	update_config '.mounts += [{"destination": "/etc/seed", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup"]}]'
	set_cmd 'cat /etc/seed/file; grep " /etc/seed " /proc/self/mountinfo | grep -c tmpfs'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "${lines[0]}" = seeded ]
	[ "${lines[1]}" = 1 ]
}

@test "an unknown file system type fails create with the kernel's reason" {
	update_config '.mounts += [{"destination": "/x", "type": "nosuchfs", "source": "none"}]'
	run cellrt create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"mount nosuchfs on /x"* ]]
	[ -z "$(ls -A "$STATE")" ]
}

@test "masked and read-only paths" {
	update_config '.linux.maskedPaths = ["/etc/passwd", "/home"] | .linux.readonlyPaths = ["/tmp"]'
	set_cmd 'wc -c < /etc/passwd; ls /home | wc -l; touch /tmp/x 2>&1 || true'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	[[ "${lines[2]}" == *"Read-only file system"* ]]
}
