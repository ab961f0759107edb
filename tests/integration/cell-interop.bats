#!/usr/bin/env bats
# Interop with podman, skopeo and umoci. An image built by podman (from the
# busybox root file system, never a registry) loads into cell from every
# archive form, and cell's unpacked tree equals umoci's unpack of the same
# image: paths, types, modes, owners, sizes, content hashes, link targets,
# device numbers, xattrs and file mtimes. Images saved by cell load into
# podman and pass skopeo inspect.

load cell-helpers

podman_() {
	podman --root "$PODMAN_DIR/root" --runroot "$PODMAN_DIR/run" --storage-driver overlay \
		--runtime runc --cgroup-manager cgroupfs --events-backend none "$@"
}

setup_file() {
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	# shellcheck source=cell-helpers.bash
	. "$BATS_TEST_DIRNAME/cell-helpers.bash"
	ensure_rootfs
	export PODMAN_DIR=$BATS_FILE_TMPDIR/podman
	export ART=$BATS_FILE_TMPDIR/art
	mkdir -p "$PODMAN_DIR" "$ART/ctx/x/opt"
	podman_ import --change 'CMD ["sh"]' "$BUSYBOX_TAR" localhost/busybox:latest >/dev/null
	# What the build's last layer adds: a capability xattr, a device, a fifo.
	cp "$ROOTFS_CACHE/bin/busybox" "$ART/ctx/x/opt/ping"
	setcap cap_net_raw+ep "$ART/ctx/x/opt/ping"
	mknod "$ART/ctx/x/opt/null" c 1 3
	mkfifo "$ART/ctx/x/opt/fifo"
	tar --xattrs --xattrs-include='*' -C "$ART/ctx/x" -cf "$ART/ctx/extra.tar" opt
	cat >"$ART/ctx/Containerfile" <<'CF'
FROM localhost/busybox:latest
RUN mkdir -p /data/sub && echo hello > /data/a && ln /data/a /data/hard && ln -s ../a /data/sub/link && chmod 4755 /bin/busybox && rm /etc/group && touch /data/sub/x && mkdir -m 1777 /data/sticky
RUN rm -rf /data/sub && mkdir /data/sub && echo new > /data/sub/y && chown 1000:1000 /data/a && chmod 2750 /data/sticky
ADD extra.tar /
LABEL org.example.built=podman
USER user
CF
	podman_ build --network none -q -t localhost/layered:1 "$ART/ctx" >/dev/null
	podman_ save -q -o "$ART/podman-docker.tar" localhost/layered:1
	podman_ save -q --format oci-archive -o "$ART/podman-oci.tar" localhost/layered:1
	skopeo copy -q "docker-archive:$ART/podman-docker.tar" "oci-archive:$ART/skopeo-oci.tar:localhost/layered:1"
	skopeo copy -q "docker-archive:$ART/podman-docker.tar" "oci:$ART/layout:layered"
	umoci unpack --image "$ART/layout:layered" "$ART/bundle" >/dev/null
	python3 "$BATS_TEST_DIRNAME/tree-list.py" --mtime "$ART/bundle/rootfs" >"$ART/umoci.list"
}

teardown_file() {
	podman_ rmi -a -f >/dev/null 2>&1 || true
	rm -rf "$PODMAN_DIR" "$ART"
}

# Load ARCHIVE into a fresh store with DRIVER; compare its tree with umoci's.
same_tree_as_umoci() {
	local archive=$1 driver=$2
	local store=$WORK/$driver
	"$CELL" --root "$store" --runroot "$RUN" --storage-driver "$driver" load -i "$archive"
	local mp
	mp=$("$CELL" --root "$store" --runroot "$RUN" image mount localhost/layered:1)
	python3 "$BATS_TEST_DIRNAME/tree-list.py" --mtime "$mp" >"$WORK/cell.list"
	"$CELL" --root "$store" --runroot "$RUN" image unmount localhost/layered:1
	diff -u "$ART/umoci.list" "$WORK/cell.list"
	# the image runs as podman built it
	"$CELL" --root "$store" --runroot "$RUN" image inspect localhost/layered:1 |
		jq -e '.[0].Config.User == "user" and .[0].Labels["org.example.built"] == "podman"
			and (.[0].RootFS.Layers | length) == 4'
	run "$CELL" --root "$store" --runroot "$RUN" system check
	[ "$status" -eq 0 ]
}

@test "the test image has what the comparison must cover" {
	grep -q '^opt/ping file 0755 0:0 .* security.capability=' "$ART/umoci.list"
	grep -q '^opt/null chr 0644 0:0 0 1:3' "$ART/umoci.list"
	grep -q '^opt/fifo fifo ' "$ART/umoci.list"
	grep -q '^bin/busybox file 4755 ' "$ART/umoci.list"
	grep -q '^data/a file 0644 1000:1000 6 ' "$ART/umoci.list"
	grep -q '^data/sub/y file' "$ART/umoci.list"
	! grep -q '^data/sub/x ' "$ART/umoci.list"
	! grep -q '^etc/group ' "$ART/umoci.list"
	grep -q '^data/sticky dir 2750 ' "$ART/umoci.list"
}

@test "podman's docker-archive: cell's tree equals umoci's (overlay and vfs)" {
	same_tree_as_umoci "$ART/podman-docker.tar" overlay
	same_tree_as_umoci "$ART/podman-docker.tar" vfs
}

@test "podman's oci-archive: cell's tree equals umoci's" {
	same_tree_as_umoci "$ART/podman-oci.tar" overlay
	same_tree_as_umoci "$ART/podman-oci.tar" vfs
}

@test "skopeo's oci-archive: cell's tree equals umoci's" {
	same_tree_as_umoci "$ART/skopeo-oci.tar" overlay
}

@test "the same image from three archives is one image in cell" {
	for a in podman-docker podman-oci skopeo-oci; do
		cell load -i "$ART/$a.tar" >/dev/null
	done
	cell images --format json | jq -e 'length == 1'
	[ "$(cell images -q --no-trunc)" = "$(podman_ image inspect localhost/layered:1 --format '{{.Id}}')" ]
	[ "$(layer_dirs | wc -l)" -eq 4 ]
}

@test "images saved by cell load into podman, and skopeo inspect accepts them" {
	cell load -i "$ART/podman-docker.tar" >/dev/null
	cell save -o "$WORK/cell-docker.tar" localhost/layered:1
	cell save --format oci-archive -o "$WORK/cell-oci.tar" localhost/layered:1
	want=$(podman_ image inspect localhost/layered:1 --format '{{json .RootFS.Layers}}')
	for f in docker oci; do
		local t=docker-archive
		[ $f = oci ] && t=oci-archive
		skopeo inspect "$t:$WORK/cell-$f.tar" | jq -e '.Os == "linux" and (.Layers | length) == 4
			and .Labels["org.example.built"] == "podman"'
		skopeo inspect --config "$t:$WORK/cell-$f.tar" | jq -e --argjson w "$want" '.rootfs.diff_ids == $w'
		podman --root "$WORK/p-$f" --runroot "$WORK/prun-$f" --storage-driver vfs load -q -i "$WORK/cell-$f.tar"
		got=$(podman --root "$WORK/p-$f" --runroot "$WORK/prun-$f" --storage-driver vfs image inspect \
			localhost/layered:1 --format '{{json .RootFS.Layers}}')
		[ "$got" = "$want" ]
		podman --root "$WORK/p-$f" --runroot "$WORK/prun-$f" --storage-driver vfs rmi -a -f >/dev/null
	done
}

@test "skopeo and umoci read cell's store as an OCI layout" {
	cell load -i "$ART/podman-docker.tar" >/dev/null
	skopeo inspect "oci:$STORE:localhost/layered:1" | jq -e '(.Layers | length) == 4'
	umoci unpack --image "$STORE:localhost/layered:1" "$WORK/b" >/dev/null
	python3 "$BATS_TEST_DIRNAME/tree-list.py" --mtime "$WORK/b/rootfs" | diff -u "$ART/umoci.list" -
}
