#!/usr/bin/env bats
# cell, podman and skopeo through the same docker-registry on 127.0.0.1: what
# cell pushes, podman and skopeo pull, and what they push, cell pulls, with
# the unpacked trees identical (paths, types, modes, owners, sizes, content
# hashes, link targets, devices, xattrs, mtimes). The image is built by
# podman from the busybox root file system: nothing is downloaded. (podman's
# pushes come first: the blob-info cache that podman and skopeo share
# across stores would otherwise offer the zstd copies cell pushes later, and
# skopeo's zstd push goes to a registry where no gzip copy is known.)

load cell-helpers
load registry

podman_() {
	podman --root "$PODMAN_DIR/root" --runroot "$PODMAN_DIR/run" --storage-driver overlay \
		--runtime runc --cgroup-manager cgroupfs --events-backend none "$@"
}

setup_file() {
	TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	# shellcheck source=cell-helpers.bash
	. "$BATS_TEST_DIRNAME/cell-helpers.bash"
	# shellcheck source=registry.bash
	. "$BATS_TEST_DIRNAME/registry.bash"
	ensure_rootfs
	export PODMAN_DIR=$BATS_FILE_TMPDIR/podman
	export ART=$BATS_FILE_TMPDIR/art
	mkdir -p "$PODMAN_DIR" "$ART/ctx/x/opt"
	REG=$(start_registry "$BATS_FILE_TMPDIR/registry")
	# skopeo pushes zstd only where it knows no gzip copy of the layers
	ZREG=$(start_registry "$BATS_FILE_TMPDIR/zregistry")
	export REG ZREG
	podman_ import --change 'CMD ["sh"]' "$BUSYBOX_TAR" localhost/busybox:latest >/dev/null
	cp "$ROOTFS_CACHE/bin/busybox" "$ART/ctx/x/opt/ping"
	setcap cap_net_raw+ep "$ART/ctx/x/opt/ping"
	mknod "$ART/ctx/x/opt/null" c 1 3
	mkfifo "$ART/ctx/x/opt/fifo"
	tar --xattrs --xattrs-include='*' -C "$ART/ctx/x" -cf "$ART/ctx/extra.tar" opt
	cat >"$ART/ctx/Containerfile" <<'CF'
FROM localhost/busybox:latest
RUN mkdir -p /data/sub && echo hello > /data/a && ln /data/a /data/hard && ln -s ../a /data/sub/link && chmod 4755 /bin/busybox && rm /etc/group && mkdir -m 1777 /data/sticky && dd if=/dev/urandom of=/data/random bs=1M count=3 2>/dev/null
RUN rm -rf /data/sub && mkdir /data/sub && echo new > /data/sub/y && chown 1000:1000 /data/a && chmod 2750 /data/sticky
ADD extra.tar /
LABEL org.example.built=podman
CF
	podman_ build --network none -q -t localhost/layered:1 "$ART/ctx" >/dev/null
	podman_ save -q -o "$ART/podman-docker.tar" localhost/layered:1
	skopeo copy -q "docker-archive:$ART/podman-docker.tar" "oci:$ART/layout:layered"
	umoci unpack --image "$ART/layout:layered" "$ART/bundle" >/dev/null
	python3 "$BATS_TEST_DIRNAME/tree-list.py" --mtime "$ART/bundle/rootfs" >"$ART/umoci.list"
}

teardown_file() {
	podman_ rmi -a -f >/dev/null 2>&1 || true
	stop "$BATS_FILE_TMPDIR/registry"
	stop "$BATS_FILE_TMPDIR/zregistry"
	rm -rf "$PODMAN_DIR" "$ART"
}

# The tree of IMAGE in cell's STORE, as tree-list.py --mtime prints it.
cell_tree() {
	local mp
	mp=$("$CELL" --root "$1" --runroot "$RUN" image mount "$2")
	python3 "$BATS_TEST_DIRNAME/tree-list.py" --mtime "$mp"
	"$CELL" --root "$1" --runroot "$RUN" image unmount "$2" >/dev/null
}

@test "the test image has what the comparison must cover" {
	grep -q '^opt/ping file 0755 0:0 .* security.capability=' "$ART/umoci.list"
	grep -q '^opt/null chr 0644 0:0 0 1:3' "$ART/umoci.list"
	grep -q '^data/a file 0644 1000:1000 6 ' "$ART/umoci.list"
	grep -q '^data/random file 0644 0:0 3145728 ' "$ART/umoci.list"
	! grep -q '^etc/group ' "$ART/umoci.list"
}

@test "podman and skopeo push (Docker and OCI manifests, gzip and zstd), cell pulls: the same trees" {
	podman_ push -q --tls-verify=false --format v2s2 --compression-format gzip localhost/layered:1 "docker://$REG/interop/podman:v2s2"
	podman_ push -q --tls-verify=false --format oci localhost/layered:1 "docker://$REG/interop/podman:oci"
	skopeo copy -q --dest-tls-verify=false --format oci --dest-compress-format zstd \
		"docker-archive:$ART/podman-docker.tar" "docker://$ZREG/interop/skopeo:zstd"
	skopeo inspect --raw --tls-verify=false "docker://$REG/interop/podman:v2s2" |
		jq -e '.mediaType == "application/vnd.docker.distribution.manifest.v2+json"'
	skopeo inspect --raw --tls-verify=false "docker://$ZREG/interop/skopeo:zstd" |
		jq -e '[.layers[].mediaType] | unique == ["application/vnd.oci.image.layer.v1.tar+zstd"]'
	want=$(podman_ image inspect localhost/layered:1 --format '{{.Id}}')
	for ref in "$REG/interop/podman:v2s2" "$REG/interop/podman:oci" "$ZREG/interop/skopeo:zstd"; do
		store=$WORK/${ref##*:}
		"$CELL" --root "$store" --runroot "$RUN" pull -q --tls-verify=false "$ref" >"$WORK/id"
		[ "$(cat "$WORK/id")" = "$want" ]
		diff "$ART/umoci.list" <(cell_tree "$store" "$ref")
		run "$CELL" --root "$store" --runroot "$RUN" system check
		[[ "$output" == *"0 broken, 0 orphaned"* ]]
	done
	# and back: cell pushes what it pulled, podman reads it
	"$CELL" --root "$WORK/v2s2" --runroot "$RUN" push -q --tls-verify=false \
		"$REG/interop/podman:v2s2" "$REG/interop/again:1"
	podman_ pull -q --tls-verify=false "$REG/interop/again:1" >/dev/null
	[ "$(podman_ image inspect "$REG/interop/again:1" --format '{{.Id}}')" = "$want" ]
}

@test "cell pushes, podman and skopeo pull: the same trees" {
	cell load -q -i "$ART/podman-docker.tar"
	cell push -q --tls-verify=false localhost/layered:1 "$REG/interop/fromcell:1"
	diff "$ART/umoci.list" <(cell_tree "$STORE" localhost/layered:1)
	# podman: its own overlay store, its own mount of the image
	podman_ pull -q --tls-verify=false "$REG/interop/fromcell:1" >/dev/null
	[ "$(podman_ image inspect "$REG/interop/fromcell:1" --format '{{.Id}}')" = "$(cell images -q --no-trunc)" ]
	mp=$(podman_ image mount "$REG/interop/fromcell:1")
	python3 "$BATS_TEST_DIRNAME/tree-list.py" --mtime "$mp" >"$WORK/podman.list"
	podman_ image unmount "$REG/interop/fromcell:1" >/dev/null
	diff "$ART/umoci.list" "$WORK/podman.list"
	# skopeo to an OCI layout, unpacked by umoci
	skopeo copy -q --src-tls-verify=false "docker://$REG/interop/fromcell:1" "oci:$WORK/layout:x"
	umoci unpack --image "$WORK/layout:x" "$WORK/bundle" >/dev/null
	diff "$ART/umoci.list" <(python3 "$BATS_TEST_DIRNAME/tree-list.py" --mtime "$WORK/bundle/rootfs")
	# zstd layers too (umoci does not read them; podman does)
	cell push -q --tls-verify=false --compression-format zstd localhost/layered:1 "$REG/interop/fromcell:zstd"
	podman --root "$WORK/pz" --runroot "$WORK/pz-run" --storage-driver overlay pull -q --tls-verify=false \
		"$REG/interop/fromcell:zstd" >/dev/null
	mp=$(podman --root "$WORK/pz" --runroot "$WORK/pz-run" --storage-driver overlay image mount \
		"$REG/interop/fromcell:zstd")
	python3 "$BATS_TEST_DIRNAME/tree-list.py" --mtime "$mp" >"$WORK/podman-zstd.list"
	podman --root "$WORK/pz" --runroot "$WORK/pz-run" --storage-driver overlay rmi -a -f >/dev/null
	diff "$ART/umoci.list" "$WORK/podman-zstd.list"
}
