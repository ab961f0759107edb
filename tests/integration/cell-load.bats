#!/usr/bin/env bats
# cell load and save: docker-archive and oci-archive, bad archives,
# multi-platform indexes, concurrent loads, kill -9 at random points, and
# system check finding and repairing damage.

load cell-helpers

# A three-layer image with a deletion (whiteout) and an opaque directory,
# as a docker-archive at $WORK/three.tar.
make_three_layers() {
	local d=$WORK/layers
	mkdir -p "$d/2/data/keep" "$d/2/data/gone" "$d/3/data/gone" "$d/3/etc"
	echo keep >"$d/2/data/keep/file"
	echo old >"$d/2/data/gone/old"
	dd if=/dev/urandom of="$d/2/data/blob" bs=1M count="${1:-2}" status=none
	echo new >"$d/3/data/gone/new"
	touch "$d/3/data/gone/.wh..wh..opq" "$d/3/etc/.wh.group"
	tar -C "$d/2" -cf "$WORK/l2.tar" .
	tar -C "$d/3" -cf "$WORK/l3.tar" .
	gzip -c "$WORK/l2.tar" >"$WORK/l2.tar.gz"
	python3 "$BATS_TEST_DIRNAME/make-archive.py" "$WORK/three.tar" three:1 "$BUSYBOX_TAR" "$WORK/l2.tar.gz" "$WORK/l3.tar"
}

@test "save and load round-trip in both formats" {
	import_busybox
	id=$(cell images -q --no-trunc)
	cell save -o "$WORK/d.tar" busybox
	cell save --format oci-archive -o "$WORK/o.tar" busybox
	tar -tf "$WORK/d.tar" | grep -qx manifest.json
	tar -xOf "$WORK/o.tar" index.json | jq -e '.manifests[0].annotations["org.opencontainers.image.ref.name"] == "localhost/busybox:latest"'
	for f in d o; do
		run "$CELL" --root "$WORK/s-$f" --runroot "$RUN" load -i "$WORK/$f.tar"
		[ "$status" -eq 0 ]
		[ "$output" = "Loaded image: localhost/busybox:latest" ]
		[ "$("$CELL" --root "$WORK/s-$f" --runroot "$RUN" images -q --no-trunc)" = "$id" ]
	done
	# standard input and output
	cell save busybox | "$CELL" --root "$WORK/s-pipe" --runroot "$RUN" load
	[ "$("$CELL" --root "$WORK/s-pipe" --runroot "$RUN" images -q --no-trunc)" = "$id" ]
	# loading what is there changes nothing
	cell load -i "$WORK/o.tar" >/dev/null
	cell images --format json | jq -e 'length == 1'
	store_is_sound
}

@test "a three-layer image with whiteouts loads; its merged tree has the deletions" {
	make_three_layers
	run cell load -i "$WORK/three.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: docker.io/library/three:1" ]
	cell image inspect three:1 | jq -e '(.[0].RootFS.Layers | length) == 3'
	mp=$(cell image mount three:1)
	[ "$(cat "$mp/data/keep/file")" = keep ]
	[ "$(ls "$mp/data/gone")" = new ]
	[ ! -e "$mp/etc/group" ] && [ -e "$mp/etc/passwd" ]
	cell image unmount three:1
	# the overlay lower dir holds the whiteouts themselves
	layer3=$(cell image inspect three:1 | jq -r '.[0].ChainIDs[2][7:]')
	[ "$(stat -c '%F %t:%T' "$STORE/layers/$layer3/diff/etc/group")" = "character special file 0:0" ]
	python3 -c 'import os, sys; assert os.getxattr(sys.argv[1], "trusted.overlay.opaque") == b"y"' \
		"$STORE/layers/$layer3/diff/data/gone"
	# vfs applies them as deletions
	"$CELL" --root "$WORK/vfs" --runroot "$RUN" --storage-driver vfs load -i "$WORK/three.tar"
	mp=$("$CELL" --root "$WORK/vfs" --runroot "$RUN" image mount three:1)
	[ "$(ls "$mp/data/gone")" = new ] && [ ! -e "$mp/etc/group" ]
	# the layers' shared base is shared with the imported busybox
	import_busybox
	[ "$(layer_dirs | wc -l)" -eq 3 ]
	store_is_sound
}

@test "bad archives are refused with a message naming what is wrong" {
	echo "plain text" >"$WORK/text"
	run cell load -i "$WORK/text"
	[ "$status" -eq 125 ]
	[[ "$output" == *"$WORK/text"* ]]
	tar -C "$WORK" -cf "$WORK/empty.tar" --files-from /dev/null
	run cell load -i "$WORK/empty.tar"
	[[ "$output" == *"neither a docker-archive"* ]]
	# a manifest.json naming a layer the archive lacks
	make_three_layers 1
	mkdir "$WORK/x" && tar -C "$WORK/x" -xf "$WORK/three.tar"
	rm -r "$WORK/x/$(sha256sum "$WORK/l3.tar" | cut -c1-64)"
	tar -C "$WORK/x" -cf "$WORK/missing.tar" .
	run cell load -i "$WORK/missing.tar"
	[ "$status" -eq 125 ]
	[[ "$output" == *"manifest.json[0].Layers[2]:"*"is not in the archive"* ]]
	# a layer whose content is not what the config's diffID says
	rm -rf "$WORK/x" && mkdir "$WORK/x" && tar -C "$WORK/x" -xf "$WORK/three.tar"
	cp "$WORK/l2.tar" "$WORK/x/$(sha256sum "$WORK/l3.tar" | cut -c1-64)/layer.tar"
	tar -C "$WORK/x" -cf "$WORK/wrong.tar" .
	run cell load -i "$WORK/wrong.tar"
	[ "$status" -eq 125 ]
	[[ "$output" == *"uncompressed content is sha256:"*"the image config says sha256:"* ]]
	# an oci-archive blob whose content does not match its name
	import_busybox
	cell save --format oci-archive -o "$WORK/o.tar" busybox
	cell rmi busybox >/dev/null
	rm -rf "$WORK/y" && mkdir "$WORK/y" && tar -C "$WORK/y" -xf "$WORK/o.tar"
	cfg=$(jq -r '.manifests[0].digest[7:]' "$WORK/y/index.json")
	cfg=$(jq -r '.config.digest[7:]' "$WORK/y/blobs/sha256/$cfg")
	echo '{"tampered": true}' >"$WORK/y/blobs/sha256/$cfg"
	tar -C "$WORK/y" -cf "$WORK/tampered.tar" .
	run cell load -i "$WORK/tampered.tar"
	[ "$status" -eq 125 ]
	[[ "$output" == *"blobs/sha256/$cfg"*"content has digest"* ]]
	# nothing of any of them stayed
	[ -z "$(cell images -q)" ]
	[ -z "$(ls "$STORE/blobs/sha256")" ]
	store_is_sound
}

@test "a multi-platform oci-archive loads this host's image, or --platform's" {
	import_busybox
	cell save --format oci-archive -o "$WORK/o.tar" busybox
	python3 "$BATS_TEST_DIRNAME/make-oci-index.py" "$WORK/o.tar" "$WORK/multi.tar" localhost/multi:1
	"$CELL" --root "$WORK/a" --runroot "$RUN" load -i "$WORK/multi.tar"
	"$CELL" --root "$WORK/a" --runroot "$RUN" image inspect multi:1 | jq -e '.[0].Architecture == "amd64"'
	"$CELL" --root "$WORK/b" --runroot "$RUN" load --platform linux/arm64/v8 -i "$WORK/multi.tar"
	"$CELL" --root "$WORK/b" --runroot "$RUN" image inspect multi:1 | jq -e '.[0].Architecture == "arm64"'
	run "$CELL" --root "$WORK/c" --runroot "$RUN" load --platform linux/s390x -i "$WORK/multi.tar"
	[ "$status" -eq 125 ]
	[[ "$output" == *"no image for platform linux/s390x"* ]]
	run cell load --platform nonsense -i "$WORK/multi.tar"
	[[ "$output" == *"expected OS/ARCH[/VARIANT]"* ]]
}

@test "two loads of the same archive at once give one image and a sound store" {
	make_three_layers 8
	cell load -i "$WORK/three.tar" >"$WORK/out1" 2>&1 &
	p1=$!
	cell load -i "$WORK/three.tar" >"$WORK/out2" 2>&1 &
	p2=$!
	wait $p1
	wait $p2
	grep -q "Loaded image: docker.io/library/three:1" "$WORK/out1"
	grep -q "Loaded image: docker.io/library/three:1" "$WORK/out2"
	cell images --format json | jq -e 'length == 1'
	[ "$(layer_dirs | wc -l)" -eq 3 ]
	store_is_sound
	[[ "$output" == *": 0 broken, 0 orphaned"* ]]
}

@test "kill -9 of cell load at random points leaves no broken store and no half image" {
	make_three_layers 24
	start=$(date +%s%N)
	"$CELL" --root "$WORK/timing" --runroot "$RUN" load -i "$WORK/three.tar" >/dev/null
	took=$((($(date +%s%N) - start) / 1000000))
	echo "# one load takes ${took} ms" >&3
	for i in $(seq 1 20); do
		cell load -i "$WORK/three.tar" >/dev/null 2>&1 &
		pid=$!
		delay=$((RANDOM % (took + 1)))
		sleep "$(printf '0.%03d' "$delay")" 2>/dev/null || sleep 0.1
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		run cell system check
		[[ "$output" != *"broken:"* ]] || { echo "kill $i after ${delay} ms: $output"; false; }
		[ "$status" -eq 0 ]
		# an image that is listed is whole: it inspects, and its layers mount
		if [ -n "$(cell images -q)" ]; then
			cell image inspect three:1 | jq -e '(.[0].RootFS.Layers | length) == 3'
			mp=$(cell image mount three:1)
			[ "$(cat "$mp/data/keep/file")" = keep ]
			cell image unmount three:1
			cell rmi three:1 >/dev/null
		fi
	done
	# whatever the kills left is cleared, and a load still works
	cell system check --repair >/dev/null
	cell load -i "$WORK/three.tar"
	store_is_sound
	[[ "$output" == *": 0 broken, 0 orphaned"* ]]
}

@test "system check finds corrupt blobs and layers; --repair removes them" {
	import_busybox
	make_three_layers 1
	cell load -i "$WORK/three.tar" >/dev/null
	store_is_sound
	[[ "$output" == *"checked 7 blobs, 3 layers, 2 images, 0 containers: 0 broken, 0 orphaned"* ]]
	# a changed file in a layer of three:1 only
	layer2=$(cell image inspect three:1 | jq -r '.[0].ChainIDs[1][7:]')
	echo changed >"$STORE/layers/$layer2/diff/data/keep/file"
	run cell system check
	[ "$status" -eq 1 ]
	[[ "$output" == *"broken: layer sha256:$layer2: its tree differs from its record"* ]]
	[[ "$output" == *"broken: image "*"(docker.io/library/three:1): layer sha256:$layer2 is broken"* ]]
	run cell system check --repair
	[ "$status" -eq 0 ]
	[[ "$output" == *"repaired: removed broken image"* ]]
	[[ "$output" == *"repaired: removed broken layer sha256:$layer2"* ]]
	[[ "$output" == *": 0 broken, 0 orphaned"* ]]
	cell images --format json | jq -e '[.[].Names[]] == ["localhost/busybox:latest"]'
	# a corrupt blob
	blob=$(cell image inspect busybox | jq -r '.[0].Id')
	chmod u+w "$STORE/blobs/sha256/$blob"
	echo '{}' >"$STORE/blobs/sha256/$blob"
	run cell system check
	[ "$status" -eq 1 ]
	[[ "$output" == *"broken: blob sha256:$blob: content has digest"* ]]
	cell system check --repair >/dev/null
	[ -z "$(cell images -q)" ]
	store_is_sound
	[[ "$output" == *"checked 0 blobs, 0 layers, 0 images, 0 containers: 0 broken, 0 orphaned"* ]]
}

@test "system check reports orphans and leftovers; --repair clears them" {
	import_busybox
	# an image whose name vanished: its blobs and layer are orphans
	jq '.manifests = []' "$STORE/index.json" >"$WORK/i" && cp "$WORK/i" "$STORE/index.json"
	mkdir -p "$STORE/layers/.tmp-interrupted/diff"
	run cell system check
	[ "$status" -eq 0 ]
	[[ "$output" == *"orphaned: layer sha256:"*"reference from manifest-"*"which does not exist"* ]]
	[[ "$output" == *"orphaned: blob sha256:"*"no image needs it"* ]]
	[[ "$output" == *"orphaned: layers/.tmp-interrupted: left by an interrupted change"* ]]
	cell system check --repair
	[ -z "$(ls "$STORE/blobs/sha256")" ]
	[ ! -e "$STORE/layers/.tmp-interrupted" ]
	store_is_sound
	[[ "$output" == *": 0 broken, 0 orphaned"* ]]
}
