#!/usr/bin/env bats
# cell images, image inspect, image history, tag, rmi, image prune,
# image mount, import, system df, and the global flags.

load cell-helpers

@test "import makes an image that images, inspect and history show" {
	run cell import --change 'CMD ["sh"]' --change 'ENV PATH=/bin' --change 'LABEL org.example=yes' \
		-m "made by a test" "$BUSYBOX_TAR" busybox
	[ "$status" -eq 0 ]
	id=$output
	[[ "$id" =~ ^[0-9a-f]{64}$ ]]
	run cell images
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^REPOSITORY\ +TAG\ +IMAGE\ ID\ +CREATED\ +SIZE$ ]]
	[[ "${lines[1]}" =~ ^localhost/busybox\ +latest\ +${id:0:12}\ +.*\ +[0-9.]+MB$ ]]
	run cell images -q
	[ "$output" = "${id:0:12}" ]
	cell images --format json | jq -e --arg id "$id" \
		'length == 1 and .[0].Id == $id and .[0].Names == ["localhost/busybox:latest"] and .[0].Size > 1000000'
	cell image inspect busybox | jq -e --arg id "$id" '
		.[0].Id == $id and .[0].RepoTags == ["localhost/busybox:latest"]
		and .[0].Config.Cmd == ["sh"] and .[0].Config.Env == ["PATH=/bin"]
		and .[0].Labels["org.example"] == "yes" and .[0].Os == "linux" and .[0].Architecture == "amd64"
		and (.[0].RootFS.Layers | length) == 1 and (.[0].Digest | startswith("sha256:"))'
	# the image's layer is the tarball itself: its diffID is the tar's sha256
	want=$(sha256sum "$BUSYBOX_TAR" | cut -d' ' -f1)
	cell image inspect busybox | jq -e --arg d "sha256:$want" '.[0].RootFS.Layers == [$d]'
	run cell image history --no-trunc busybox
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == "$id"*"cell import $BUSYBOX_TAR"*"made by a test"* ]]
	store_is_sound
}

@test "the store is an OCI image layout that skopeo and umoci read" {
	import_busybox
	jq -e '.imageLayoutVersion == "1.0.0"' "$STORE/oci-layout"
	jq -e '.manifests[0].annotations["org.opencontainers.image.ref.name"] == "localhost/busybox:latest"' \
		"$STORE/index.json"
	skopeo inspect "oci:$STORE:localhost/busybox:latest" | jq -e '.Os == "linux" and (.Layers | length) == 1'
	umoci unpack --image "$STORE:localhost/busybox:latest" "$WORK/bundle" >/dev/null
	[ -x "$WORK/bundle/rootfs/bin/busybox" ]
	jq -e '.process.args == ["sh"]' "$WORK/bundle/config.json"
}

@test "tag adds names; rmi of one name untags, of the last one removes" {
	import_busybox
	cell tag busybox localhost/other:1 third
	run cell images --format json
	echo "$output" | jq -e '.[0].Names | sort == ["localhost/busybox:latest", "localhost/other:1", "localhost/third:latest"]'
	id=$(cell images -q --no-trunc)
	# an ID of an image with several names needs -f
	run cell rmi "$id"
	[ "$status" -eq 125 ]
	[[ "$output" == *"has several names"* ]]
	run cell rmi other:1
	[ "$status" -eq 0 ]
	[ "$output" = "Untagged: localhost/other:1" ]
	cell rmi third
	run cell rmi busybox
	[ "$status" -eq 0 ]
	[[ "$output" == *"Untagged: localhost/busybox:latest"* ]]
	[[ "$output" == *"Deleted: $id"* ]]
	run cell images -q
	[ -z "$output" ]
	# nothing is left: no blobs, no layers
	[ -z "$(ls "$STORE/blobs/sha256")" ]
	[ -z "$(layer_dirs)" ]
	store_is_sound
}

@test "images are found by short name, ID prefix and name@digest" {
	import_busybox
	id=$(cell images -q --no-trunc)
	digest=$(cell image inspect busybox | jq -r '.[0].Digest')
	for ref in busybox busybox:latest localhost/busybox "${id:0:5}" "sha256:$id" "localhost/busybox@$digest"; do
		cell image inspect "$ref" | jq -e --arg id "$id" '.[0].Id == $id'
	done
	run cell image inspect nosuch
	[ "$status" -eq 125 ]
	[[ "$output" == "cell: image nosuch not known" ]]
	run cell image inspect 'Bad/Name'
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid repository name"* ]]
}

@test "a tag moved to a new image leaves the old one without a name; prune removes it" {
	import_busybox
	old=$(cell images -q --no-trunc)
	import_busybox
	run cell images --format json
	echo "$output" | jq -e 'length == 2 and ([.[] | select(.Dangling)] | length) == 1'
	run cell images
	[[ "$output" == *"<none>"*"<none>"*"${old:0:12}"* ]]
	run cell image prune
	[ "$status" -eq 0 ]
	[ "$output" = "$old" ]
	cell images --format json | jq -e 'length == 1 and (.[0].Dangling | not)'
	# prune -a removes every image no container uses
	cell image prune -a
	[ -z "$(cell images -q)" ]
	store_is_sound
}

@test "layers are shared by chainID and removed with their last image" {
	import_busybox one
	# a second image with the same layer: a new config, the same diffID
	cell import --change 'CMD ["true"]' "$BUSYBOX_TAR" two >/dev/null
	n=$(layer_dirs | wc -l)
	[ "$n" -eq 1 ]
	layer=$(layer_dirs)
	[ "$(ls "$layer/refs" | wc -l)" -eq 2 ]
	cell rmi one
	[ "$(ls "$layer/refs" | wc -l)" -eq 1 ]
	[ -d "$layer/diff/bin" ]
	cell rmi two
	[ ! -e "$layer" ]
	store_is_sound
}

@test "image mount shows the image read-only; rmi unmounts it" {
	import_busybox
	run cell image mount busybox
	[ "$status" -eq 0 ]
	mp=$output
	[ -x "$mp/bin/busybox" ]
	grep -q " $mp ro,.* - overlay " /proc/self/mountinfo
	run touch "$mp/x"
	[ "$status" -ne 0 ]
	cell image unmount busybox
	! grep -q " $mp " /proc/self/mountinfo
	cell image mount busybox >/dev/null
	cell rmi busybox >/dev/null
	! grep -q " $mp " /proc/self/mountinfo
}

@test "a vfs store keeps full trees and applies whiteouts as deletions" {
	"$CELL" --root "$STORE" --runroot "$RUN" --storage-driver vfs import "$BUSYBOX_TAR" base >/dev/null
	jq -e '.driver == "vfs"' "$STORE/storage.json"
	# the driver is fixed once the store exists
	run "$CELL" --root "$STORE" --runroot "$RUN" --storage-driver overlay images
	[ "$status" -eq 125 ]
	[[ "$output" == *"uses the vfs driver, not overlay"* ]]
	run cell image mount base
	[ -x "$output/bin/busybox" ]
	store_is_sound
}

@test "import reads gzip, zstd and standard input; names are normalised" {
	gzip -c "$BUSYBOX_TAR" >"$WORK/rootfs.tar.gz"
	zstd -q -c "$BUSYBOX_TAR" >"$WORK/rootfs.tar.zst"
	a=$(cell import "$WORK/rootfs.tar.gz" gz)
	b=$(cell import "$WORK/rootfs.tar.zst" quay.io/x/zst:v1)
	c=$(cell import - stdin:2 <"$BUSYBOX_TAR")
	# one layer for all three: the stored layer is the uncompressed tar
	[ "$(layer_dirs | wc -l)" -eq 1 ]
	cell images --format json | jq -e '[.[].Names[]] | sort == ["localhost/gz:latest", "localhost/stdin:2", "quay.io/x/zst:v1"]'
	[ "$a" != "$b" ] && [ "$b" != "$c" ]
	store_is_sound
}

@test "import refuses bad input with a clear message and leaves nothing" {
	run cell import "$WORK/missing.tar" x
	[ "$status" -eq 125 ]
	[[ "$output" == "cell: open $WORK/missing.tar: No such file or directory" ]]
	echo "not a tarball at all, just text that is long enough to be read" >"$WORK/text"
	run cell import "$WORK/text" x
	[ "$status" -eq 125 ]
	[[ "$output" == *"import $WORK/text"*"tar"* ]]
	run cell import --change 'FROB x' "$BUSYBOX_TAR" x
	[ "$status" -eq 125 ]
	[[ "$output" == *"instruction FROB is not supported"* ]]
	run cell import --change 'CMD ["unterminated' "$BUSYBOX_TAR" x
	[ "$status" -eq 125 ]
	[[ "$output" == *"--change CMD"*"invalid JSON"* ]]
	run cell import --change 'STOPSIGNAL SIGNOPE' "$BUSYBOX_TAR" x
	[[ "$output" == *"\"SIGNOPE\" is not a signal"* ]]
	run cell import "$BUSYBOX_TAR" 'localhost/Upper'
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid repository name"* ]]
	[ -z "$(cell images -q)" ]
	[ -z "$(ls "$STORE/blobs/sha256")" ]
	store_is_sound
}

@test "--change sets what the image runs" {
	cell import --change 'ENTRYPOINT ["/bin/sh", "-c"]' --change 'CMD echo hi' \
		--change 'ENV A=1 B="two words"' --change 'ENV C 3' --change 'WORKDIR /tmp' \
		--change 'USER user:user' --change 'EXPOSE 80 53/udp' --change 'VOLUME /data /logs' \
		--change 'STOPSIGNAL SIGINT' "$BUSYBOX_TAR" conf >/dev/null
	cell image inspect conf | jq -e '.[0].Config | .Entrypoint == ["/bin/sh", "-c"]
		and .Cmd == ["/bin/sh", "-c", "echo hi"] and .Env == ["A=1", "B=two words", "C=3"]
		and .WorkingDir == "/tmp" and .User == "user:user" and .StopSignal == "SIGINT"
		and (.ExposedPorts | keys) == ["53/udp", "80/tcp"] and (.Volumes | keys) == ["/data", "/logs"]'
}

@test "system df reports images, blobs and layers" {
	import_busybox
	run cell system df
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^TYPE\ +TOTAL\ +ACTIVE\ +SIZE\ +RECLAIMABLE$ ]]
	[[ "${lines[1]}" =~ ^Images\ +1\ +0\ +[0-9.]+MB ]]
	cell system df --format json | jq -e '.images.total == 1 and .blobs.count == 3 and .layers.count == 1
		and .layers.size > 1000000 and .images.reclaimable == .images.size'
}

@test "global flags: --log-level, unknown commands and options" {
	run cell --log-level nonsense images
	[ "$status" -eq 125 ]
	[[ "$output" == *"--log-level"* ]]
	run cell frobnicate
	[ "$status" -eq 125 ]
	[[ "$output" == *"unknown command \"frobnicate\""* ]]
	run cell images --bogus
	[ "$status" -eq 125 ]
	run cell --root relative/dir images
	[ "$status" -eq 125 ]
	[[ "$output" == *"must be absolute"* ]]
	cell --log-level debug images >/dev/null
	run cell image
	[ "$status" -eq 125 ]
	run cell image --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"inspect"* ]]
}
