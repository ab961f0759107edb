#!/usr/bin/env bats
# cp (both ways, symlink-safe), diff, commit and export.

load cell-engine
bats_require_minimum_version 1.5.0

# A container with symlinks that point out of it if followed on the host.
hostile() {
	cell run -d --name h busybox sh -c 'mkdir -p /data/sub; echo inside > /data/sub/f; ln -s / /escape; ln -s /etc/passwd /data/pw; ln -s /etc /etclink; echo marker > /tmp/marker; sleep 1000'
	wait_until cell exec h test -f /tmp/marker
}

@test "cp from a container: files, directories, contents with /., into directories" {
	hostile
	mkdir "$WORK/out"
	cell cp h:/data/sub/f "$WORK/out/copy"
	[ "$(cat "$WORK/out/copy")" = inside ]
	cell cp h:/data/sub/f "$WORK/out"
	[ "$(cat "$WORK/out/f")" = inside ]
	cell cp h:/data "$WORK/out/"
	[ "$(cat "$WORK/out/data/sub/f")" = inside ]
	cell cp h:/data "$WORK/newdir"
	[ "$(cat "$WORK/newdir/sub/f")" = inside ]
	mkdir "$WORK/contents"
	cell cp h:/data/. "$WORK/contents"
	[ "$(cat "$WORK/contents/sub/f")" = inside ]
	run cell cp h:/nowhere "$WORK/out"
	[ "$status" -eq 125 ]
	run cell cp h:/data "$WORK/out/copy"
	[ "$status" -eq 125 ]
	run cell cp h:/data/sub/f "$WORK/missing-dir/"
	[ "$status" -eq 125 ]
	[[ "$output" == *"does not exist"* ]]
}

@test "cp from a container never follows its symlinks out of it" {
	hostile
	mkdir "$WORK/out"
	# through a link to /: the container's file, not the host's
	cell cp h:/escape/etc/hostname "$WORK/out/hn"
	[ "$(cat "$WORK/out/hn")" = "$(cell exec h cat /etc/hostname)" ]
	[ "$(cat "$WORK/out/hn")" != "$(cat /etc/hostname)" ]
	cell cp h:/etclink/passwd "$WORK/out/pw1"
	cmp "$WORK/out/pw1" <(cell exec h cat /etc/passwd)
	# a symlink is copied as a symlink, its target untouched
	cell cp h:/data/pw "$WORK/out/pw2"
	[ -L "$WORK/out/pw2" ]
	[ "$(readlink "$WORK/out/pw2")" = /etc/passwd ]
	cell cp h:/data "$WORK/out/tree"
	[ -L "$WORK/out/tree/pw" ]
	# -L: what it points to inside the container
	cell cp -L h:/data/pw "$WORK/out/pw3"
	[ ! -L "$WORK/out/pw3" ]
	cmp "$WORK/out/pw3" <(cell exec h cat /etc/passwd)
	! cmp -s "$WORK/out/pw3" /etc/passwd
}

@test "cp into a container: new names, into directories, never through its symlinks" {
	hostile
	echo from-host >"$WORK/a"
	mkdir -p "$WORK/tree/deep" && echo deep >"$WORK/tree/deep/x"
	cell cp "$WORK/a" h:/tmp/
	[ "$(cell exec h cat /tmp/a)" = from-host ]
	cell cp "$WORK/a" h:/tmp/renamed
	[ "$(cell exec h cat /tmp/renamed)" = from-host ]
	cell cp "$WORK/tree" h:/tmp
	[ "$(cell exec h cat /tmp/tree/deep/x)" = deep ]
	# through the link to /: the container's /tmp, not the host's
	rm -f /tmp/cell-cp-escape-test
	cp "$WORK/a" "$WORK/cell-cp-escape-test"
	cell cp "$WORK/cell-cp-escape-test" h:/escape/tmp/
	[ ! -e /tmp/cell-cp-escape-test ]
	[ "$(cell exec h cat /tmp/cell-cp-escape-test)" = from-host ]
	# onto a symlink: the link is replaced, its target (even the container's
	# /etc/passwd) is not written
	before=$(cell exec h md5sum /etc/passwd)
	cell cp "$WORK/a" h:/data/pw
	[ "$(cell exec h md5sum /etc/passwd)" = "$before" ]
	[ "$(cell exec h sh -c 'test -L /data/pw || cat /data/pw')" = from-host ]
	# files made by cp belong to the container's root; -a keeps owners
	chown 1234:1234 "$WORK/a"
	cell cp "$WORK/a" h:/tmp/owned
	[ "$(cell exec h stat -c %u /tmp/owned)" = 0 ]
	cell cp -a "$WORK/a" h:/tmp/kept
	[ "$(cell exec h stat -c %u:%g /tmp/kept)" = 1234:1234 ]
	run cell cp "$WORK/a" h:/no/such/dir/
	[ "$status" -eq 125 ]
	run cell cp "$WORK/a" "$WORK/b"
	[ "$status" -eq 125 ]
	[[ "$output" == *"CONTAINER:PATH"* ]]
	run cell cp h:/tmp/a h:/tmp/b
	[ "$status" -eq 125 ]
}

@test "cp reaches a running container's volumes, and a stopped container's files" {
	cell run -d --name v -v vol:/vol busybox sleep 1000
	echo into-volume >"$WORK/f"
	cell cp "$WORK/f" v:/vol/f
	[ "$(cat "$STORE/volumes/vol/_data/f")" = into-volume ]
	cell stop -t 0 v
	cell cp "$WORK/f" v:/etc/added
	cell cp v:/etc/added "$WORK/back"
	[ "$(cat "$WORK/back")" = into-volume ]
	cell start v
	[ "$(cell exec v cat /etc/added)" = into-volume ]
	cell rm -f v
	cell volume rm vol
	# nothing of the stopped container's stays mounted
	! grep -q "$STORE/containers" /proc/self/mountinfo
}

@test "diff lists what was added, changed and deleted" {
	cell run --name d busybox sh -c 'mkdir /newdir; echo x > /newdir/file; rm /bin/vi; echo more >> /etc/passwd'
	run cell diff d
	[ "$status" -eq 0 ]
	echo "$output"
	[[ "$output" == *"A /newdir"* ]]
	[[ "$output" == *"A /newdir/file"* ]]
	[[ "$output" == *"D /bin/vi"* ]]
	[[ "$output" == *"C /etc/passwd"* ]]
	# the engine's own mount points are not the container's changes
	[[ "$output" != *"/etc/hosts"* ]]
	[[ "$output" != *"/etc/resolv.conf"* ]]
	cell diff --format json d | jq -e 'map(select(.Kind == "D")) | .[0].Path == "/bin/vi"'
	cell run --name clean busybox true
	[ -z "$(cell diff clean)" ]
}

@test "commit makes an image of the container's changes on top of its image" {
	cell run --name c -e FROMRUN=1 busybox sh -c 'echo committed > /data; rm /bin/vi; mkdir /d && : > /d/.hidden'
	id=$(cell commit -a tester -m "a test commit" -c 'ENV FOO=bar' -c 'CMD ["cat", "/data"]' c localhost/snap:1)
	[[ "$id" =~ ^[0-9a-f]{64}$ ]]
	cell image inspect snap:1 | jq -e --arg id "$id" '.[0].Id == $id and (.[0].RootFS.Layers | length) == 2'
	cell image history snap:1 | grep -q "a test commit"
	run cell run --rm snap:1
	[ "$output" = committed ]
	run cell run --rm snap:1 sh -c 'echo $FOO $FROMRUN; ls /bin/vi 2>&1; ls -a /d'
	[ "${lines[0]}" = "bar 1" ]
	[[ "${lines[1]}" == *"No such file"* ]]
	[[ "$output" == *".hidden"* ]]
	# an image without a name, and a bad name
	run cell commit c
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	run cell commit c 'Bad Name'
	[ "$status" -eq 125 ]
	run cell commit -c 'BOGUS x' c
	[ "$status" -eq 125 ]
	store_is_sound
}

@test "commit of a running container freezes it meanwhile unless -p=false" {
	cell run -d --name live busybox sh -c 'echo first > /f; sleep 1000'
	wait_until cell exec live test -f /f
	cell commit live localhost/live:1 >/dev/null
	cell commit --pause=false live localhost/live:2 >/dev/null
	[ "$(ctr_status live)" = running ]
	run cell run --rm live:2 cat /f
	[ "$output" = first ]
}

@test "export writes the container's file system as a tar" {
	cell run --name x busybox sh -c 'echo exported > /mark'
	cell export -o "$WORK/x.tar" x
	tar -tf "$WORK/x.tar" | grep -qx mark
	tar -tf "$WORK/x.tar" | grep -qx bin/busybox
	[ "$(tar -xOf "$WORK/x.tar" mark)" = exported ]
	cell export x >"$WORK/y.tar"
	cmp <(tar -tf "$WORK/x.tar" | sort) <(tar -tf "$WORK/y.tar" | sort)
	# the tar imports as an image again
	cell import "$WORK/x.tar" localhost/reimported >/dev/null
	run cell run --rm reimported cat /mark
	[ "$output" = exported ]
	run cell export nosuch
	[ "$status" -eq 125 ]
	! grep -q "$STORE/containers" /proc/self/mountinfo
}
