#!/usr/bin/env bats
# Named and anonymous volumes, bind mounts, --mount and --tmpfs, and the
# volume commands.

load cell-engine
bats_require_minimum_version 1.5.0

@test "volume create, ls, inspect, rm" {
	run cell volume create data
	[ "$output" = data ]
	# again: the same volume, not an error
	cell volume create data
	cell volume create --label env=test labeled
	anon=$(cell volume create)
	[[ "$anon" =~ ^[0-9a-f]{64}$ ]]
	run cell volume ls
	[[ "${lines[0]}" =~ ^DRIVER\ +VOLUME\ NAME$ ]]
	[ "${#lines[@]}" -eq 4 ]
	run cell volume ls -q --filter label=env=test
	[ "$output" = labeled ]
	cell volume inspect data | jq -e --arg s "$STORE" '.[0].Name == "data" and .[0].Driver == "local"
		and .[0].Mountpoint == ($s + "/volumes/data/_data")'
	[ "$(cell volume inspect -f '{{.Labels.env}}' labeled)" = test ]
	run cell volume create 'no/slash'
	[ "$status" -eq 125 ]
	run cell volume rm data labeled "$anon"
	[ "${#lines[@]}" -eq 3 ]
	[ -z "$(cell volume ls -q)" ]
	run cell volume rm nosuch
	[ "$status" -eq 125 ]
	[[ "$output" == *"no such volume: nosuch"* ]]
}

@test "a named volume keeps data across containers; ro is read-only" {
	cell run --rm -v data:/data busybox sh -c 'echo kept > /data/f'
	run cell run --rm -v data:/data:ro busybox sh -c 'cat /data/f; touch /data/g 2>&1'
	[ "${lines[0]}" = kept ]
	[[ "${lines[1]}" == *"Read-only file system"* ]]
	[ "$(cat "$STORE/volumes/data/_data/f")" = kept ]
	# in use: rm refuses it, -f does not
	cell run -d --name user -v data:/data busybox sleep 1000
	run cell volume rm data
	[ "$status" -eq 125 ]
	[[ "$output" == *"in use by container"* ]]
	cell rm -f user
	cell volume rm data
}

@test "a new volume starts with the image's content at its place; nocopy leaves it empty" {
	run cell run --rm -v etcvol:/etc busybox cat /etc/passwd
	[[ "$output" == *root:* ]]
	[ -f "$STORE/volumes/etcvol/_data/passwd" ]
	run cell run --rm -v empty:/etc:nocopy busybox ls /etc
	[ "${#lines[@]}" -le 3 ]
	cell volume rm etcvol empty
}

@test "anonymous volumes: -v DST, --rm removes them, rm -v too" {
	cell run -d --name a -v /scratch busybox sleep 1000
	name=$(cell inspect -f '{{json .Mounts}}' a | jq -r '.[0].Name')
	[[ "$name" =~ ^[0-9a-f]{64}$ ]]
	cell volume inspect "$name" | jq -e '.[0].Anonymous == true'
	cell rm -f -v a
	run cell volume inspect "$name"
	[ "$status" -eq 125 ]
	cell run --rm -v /scratch busybox true
	[ -z "$(cell volume ls -q)" ]
}

@test "bind mounts: -v /host:/ctr, :ro, a missing host dir is made; --mount type=bind" {
	mkdir "$WORK/h"
	echo hostside >"$WORK/h/f"
	run cell run --rm -v "$WORK/h:/h" busybox sh -c 'cat /h/f; echo ctrside > /h/g'
	[ "$output" = hostside ]
	[ "$(cat "$WORK/h/g")" = ctrside ]
	run cell run --rm -v "$WORK/h:/h:ro" busybox touch /h/x
	[ "$status" -ne 0 ]
	cell run --rm -v "$WORK/made/here:/m" busybox true
	[ -d "$WORK/made/here" ]
	run cell run --rm --mount "type=bind,source=$WORK/h,target=/m,readonly" busybox sh -c 'cat /m/f; grep " /m " /proc/self/mountinfo'
	[ "${lines[0]}" = hostside ]
	[[ "${lines[1]}" == *" ro,"* ]]
	# --mount does not make a missing source
	run cell run --rm --mount "type=bind,src=$WORK/nothing,dst=/m" busybox true
	[ "$status" -eq 125 ]
	[[ "$output" == *"bind source path"* ]]
	run cell run --rm -v relative:/x:bogus busybox true
	[ "$status" -eq 125 ]
	run cell run --rm -v "$WORK/h:relative" busybox true
	[ "$status" -eq 125 ]
	run cell run --rm -v "$WORK/h:/a" -v "$WORK/h:/a" busybox true
	[ "$status" -eq 125 ]
	[[ "$output" == *"duplicate mount point"* ]]
}

@test "--mount type=volume and type=tmpfs; --tmpfs with size and mode" {
	run cell run --rm --mount type=volume,source=mv,target=/mv busybox sh -c 'echo v > /mv/f; grep -c " /mv " /proc/self/mountinfo'
	[ "$output" = 1 ]
	[ "$(cat "$STORE/volumes/mv/_data/f")" = v ]
	run cell run --rm --mount type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1770 busybox sh -c 'grep " /t " /proc/mounts; stat -c %a /t'
	[[ "${lines[0]}" == *"tmpfs /t tmpfs rw,nosuid,nodev"*"size=1024k"*"mode=1770"* ]]
	[ "${lines[1]}" = 1770 ]
	run cell run --rm --tmpfs /run/x:size=2m,noexec busybox grep " /run/x " /proc/mounts
	[[ "$output" == *"noexec"*"size=2048k"* ]]
	run cell run --rm --mount type=nfs,target=/x busybox true
	[ "$status" -eq 125 ]
	run cell run --rm --tmpfs /t:bogus busybox true
	[ "$status" -eq 125 ]
	cell volume rm mv
}

@test "volume prune removes unused anonymous volumes, -a named ones too" {
	cell volume create named >/dev/null
	anon=$(cell volume create)
	cell create --name holder -v used:/u busybox true
	run cell volume prune -f
	[[ "$output" == *"$anon"* ]]
	[[ "$output" == *"Total reclaimed space"* ]]
	run cell volume ls -q
	[ "${#lines[@]}" -eq 2 ]
	cell volume prune -f -a
	run cell volume ls -q
	[ "$output" = used ]
	cell rm holder
	cell volume prune -af
	[ -z "$(cell volume ls -q)" ]
}
