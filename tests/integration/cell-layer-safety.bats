#!/usr/bin/env bats
# Hostile layers: nothing may be written outside the layer's directory.
# Each refusal names the entry, leaves no image and no layer behind, and
# the canary outside the store stays untouched.

load cell-helpers

HOSTILE=$BATS_TEST_DIRNAME/hostile-tar.py

# Import a hostile tarball of KIND; expect a refusal containing WHY.
refused() {
	local kind=$1 why=$2
	python3 "$HOSTILE" "$kind" "$WORK/$kind.tar" "$CANARY"
	run cell import "$WORK/$kind.tar" "$kind"
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "$output" == *"entry \""*"\": $why"* ]]
	[ -z "$(cell images -q)" ]
	[ -z "$(layer_dirs)" ]
	[ "$(cat "$CANARY")" = "untouched" ]
}

setup() {
	cell_setup
	mkdir "$WORK/outside"
	CANARY=$WORK/outside/canary
	echo untouched >"$CANARY"
}

@test "a \"..\" name is refused" {
	refused dotdot '".." leaves the layer'
	refused dotdot-inner '".." leaves the layer'
	store_is_sound
}

@test "an absolute name is refused" {
	refused absolute "absolute names are refused"
}

@test "writing through a symlink of the same layer is refused" {
	refused symlink-abs "refusing to write through a symlink"
	refused symlink-rel "refusing to write through a symlink"
	store_is_sound
}

@test "a file replacing a symlink replaces the link, not its target" {
	python3 "$HOSTILE" symlink-file "$WORK/l.tar" "$CANARY"
	cell import "$WORK/l.tar" l >/dev/null
	[ "$(cat "$CANARY")" = "untouched" ]
	mp=$(cell image mount l)
	[ -f "$mp/evil" ] && [ ! -L "$mp/evil" ]
	[ "$(cat "$mp/evil")" = "replaced" ]
	cell image unmount l
}

@test "hardlinks out of the layer or to directories are refused" {
	refused hardlink-out "hardlink target leaves the layer"
	refused hardlink-abs "hardlink target leaves the layer"
	refused hardlink-dir "hardlink to a directory"
}

@test "a file replacing a hardlink does not write into the linked file" {
	python3 "$HOSTILE" hardlink-overwrite "$WORK/h.tar" "$CANARY"
	cell import "$WORK/h.tar" h >/dev/null
	mp=$(cell image mount h)
	[ "$(cat "$mp/etc/passwd")" = "root:x:0:0:root:/root:/bin/sh" ]
	[ "$(cat "$mp/evil")" = "written through the link" ]
	cell image unmount h
}

@test "a layer cannot set the overlay driver's own xattrs" {
	refused overlay-xattr "carries a reserved overlay xattr"
}

@test "a whiteout of \"..\" is refused" {
	refused whiteout-dotdot "whiteout of an invalid name"
}

@test "a symlink planted by an earlier layer: vfs refuses, overlay keeps each layer in its own directory" {
	python3 "$HOSTILE" plant-symlink "$WORK/l1.tar" "$CANARY"
	python3 "$HOSTILE" through-planted "$WORK/l2.tar" "$CANARY"
	python3 "$BATS_TEST_DIRNAME/make-archive.py" "$WORK/planted.tar" planted "$WORK/l1.tar" "$WORK/l2.tar"
	run "$CELL" --root "$WORK/vfs" --runroot "$RUN" --storage-driver vfs load -i "$WORK/planted.tar"
	[ "$status" -eq 125 ]
	[[ "$output" == *"entry \"data/canary\": refusing to write through a symlink"* ]]
	[ "$(cat "$CANARY")" = "untouched" ]
	[ -z "$("$CELL" --root "$WORK/vfs" --runroot "$RUN" images -q)" ]
	# overlay: the second layer's data/ is its own directory, which hides
	# the first layer's symlink in the merged view
	cell --storage-driver overlay load -i "$WORK/planted.tar"
	[ "$(cat "$CANARY")" = "untouched" ]
	mp=$(cell image mount planted)
	[ -d "$mp/data" ] && [ ! -L "$mp/data" ]
	[ "$(cat "$mp/data/canary")" = "pwned" ]
	cell image unmount planted
	store_is_sound
}

@test "device nodes are refused when not root; fine layers load rootless" {
	python3 "$HOSTILE" device "$WORK/device.tar"
	python3 "$HOSTILE" fine "$WORK/fine.tar"
	chmod 755 "$WORK"
	mkdir "$WORK/home"
	chown 65534:65534 "$WORK/home"
	as_nobody() {
		setpriv --reuid=65534 --regid=65534 --clear-groups env -i HOME="$WORK/home" \
			XDG_DATA_HOME="$WORK/home/data" XDG_RUNTIME_DIR="$WORK/home/run" "$CELL" "$@"
	}
	run as_nobody import "$WORK/device.tar" dev
	[ "$status" -eq 125 ]
	[[ "$output" == *"entry \"dev/null\": device nodes are refused when not running as root"* ]]
	as_nobody import "$WORK/fine.tar" fine
	# the rootless store: the XDG data directory, the vfs driver
	jq -e '.driver == "vfs"' "$WORK/home/data/cell/storage.json"
	run as_nobody images
	[[ "$output" == *"localhost/fine"* ]]
	run as_nobody system check
	[ "$status" -eq 0 ]
}

@test "root imports device nodes, fifos, setuid files and capabilities" {
	mkdir -p "$WORK/t/dev" "$WORK/t/bin"
	mknod "$WORK/t/dev/null" c 1 3
	mkfifo "$WORK/t/fifo"
	cp "$ROOTFS_CACHE/bin/busybox" "$WORK/t/bin/ping"
	chmod 4755 "$WORK/t/bin/ping"
	setcap cap_net_raw+ep "$WORK/t/bin/ping"
	chown 1000:1000 "$WORK/t/fifo"
	tar --xattrs --xattrs-include='*' -C "$WORK/t" -cf "$WORK/t.tar" .
	cell import "$WORK/t.tar" special >/dev/null
	mp=$(cell image mount special)
	[ "$(stat -c '%F %t:%T' "$mp/dev/null")" = "character special file 1:3" ]
	[ "$(stat -c '%F %u:%g' "$mp/fifo")" = "fifo 1000:1000" ]
	[ "$(stat -c '%a' "$mp/bin/ping")" = "4755" ]
	getcap "$mp/bin/ping" | grep -q 'cap_net_raw=ep'
	cell image unmount special
}

@test "the refusals hold without openat2 (the component walk)" {
	export CELL_NO_OPENAT2=1
	refused symlink-abs "refusing to write through a symlink"
	refused symlink-rel "refusing to write through a symlink"
	refused dotdot '".." leaves the layer'
	refused hardlink-out "hardlink target leaves the layer"
	python3 "$HOSTILE" fine "$WORK/fine.tar"
	cell import "$WORK/fine.tar" fine >/dev/null
	store_is_sound
}
