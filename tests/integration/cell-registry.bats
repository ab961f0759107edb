#!/usr/bin/env bats
# cell pull and cell push against Debian's docker-registry on 127.0.0.1
# (plain HTTP): round trips whose trees must be identical, layers the store
# already has, pulls by digest, chunked and monolithic uploads, cross-
# repository mounts, zstd, a two-platform index, short names through
# unqualified-search-registries, progress output, and errors.

load cell-helpers
load registry

setup_file() {
	# shellcheck source=registry.bash
	. "$BATS_TEST_DIRNAME/registry.bash"
	export REGDIR=$BATS_FILE_TMPDIR/registry
	REG=$(start_registry "$REGDIR")
	export REG
}

teardown_file() {
	stop "$REGDIR"
}

teardown() {
	# the /etc/cell configuration a test wrote, and /etc/cell if it made it
	[ -z "${OWN_CONF:-}" ] || rm -f "$OWN_CONF"
	[ -z "${MADE_ETC_CELL:-}" ] || rmdir /etc/cell
	[ -z "${PROXY_DIR:-}" ] || stop "$PROXY_DIR"
	cell_teardown
}

# An image's ID as cell shows it.
id_of() {
	"$CELL" --root "$1" --runroot "$RUN" image inspect "$2" | jq -r '.[0].Id'
}

@test "push to a plain-HTTP registry, pull into an empty store: the same image and tree" {
	import_busybox
	run cell push -q --tls-verify=false localhost/busybox:latest "$REG/cell/busybox:1"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run cell_in other pull --tls-verify=false "$REG/cell/busybox:1"
	[ "$status" -eq 0 ]
	# the last line on stdout is the image ID, the same as the pushed image's
	[ "${lines[-1]}" = "$(id_of "$STORE" busybox)" ]
	cell_in other images --format json | jq -e --arg n "$REG/cell/busybox:1" '.[0].Names == [$n]'
	same_tree "$STORE" busybox "$WORK/other" "$REG/cell/busybox:1"
	store_is_sound
	run cell_in other system check
	[ "$status" -eq 0 ]
	[[ "$output" == *"0 broken, 0 orphaned"* ]]
	# the image runs as it was: its config came along
	cell_in other image inspect "$REG/cell/busybox:1" | jq -e '.[0].Config.Cmd == ["sh"]'
}

@test "a plain-HTTP registry needs --tls-verify=false or insecure in registries.conf" {
	import_busybox
	cell push -q --tls-verify=false busybox "$REG/cell/insecure:1"
	registries_conf
	run cell_in other pull "$REG/cell/insecure:1"
	[ "$status" -eq 125 ]
	[[ "$output" == *"https://$REG"* ]]
	registries_conf "$REG"
	run cell_in other pull -q "$REG/cell/insecure:1"
	[ "$status" -eq 0 ]
	[ "$output" = "$(id_of "$STORE" busybox)" ]
}

@test "cell's own /etc/cell/registries.conf is read after the containers one" {
	import_busybox
	cell push -q --tls-verify=false busybox "$REG/cell/own:1"
	registries_conf
	run cell_in other pull -q "$REG/cell/own:1"
	[ "$status" -eq 125 ]
	[[ "$output" == *"https://$REG"* ]]
	# only where no cell configuration exists: the test must not replace one
	[ ! -e /etc/cell/registries.conf ]
	if [ ! -d /etc/cell ]; then
		mkdir /etc/cell
		export MADE_ETC_CELL=1
	fi
	export OWN_CONF=/etc/cell/registries.conf
	printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$REG" >"$OWN_CONF"
	run cell_in other pull -q "$REG/cell/own:1"
	[ "$status" -eq 0 ]
	[ "$output" = "$(id_of "$STORE" busybox)" ]
	# a broken one is an error that names it, not ignored
	printf '[[registry]]\ninsecure = true\n' >"$OWN_CONF"
	run cell_in third pull -q "$REG/cell/own:1"
	[ "$status" -eq 125 ]
	[[ "$output" == *"/etc/cell/registries.conf"* ]]
}

@test "three layers with whiteouts: pulled in parallel, the merged tree as loaded (overlay and vfs)" {
	load_three_layers 8
	cell push -q --tls-verify=false localhost/three:1 "$REG/cell/three:1"
	want=$(tree_of "$STORE" localhost/three:1)
	for driver in overlay vfs; do
		"$CELL" --root "$WORK/$driver" --runroot "$RUN" --storage-driver "$driver" pull -q --tls-verify=false \
			"$REG/cell/three:1"
		diff <(echo "$want") <(tree_of "$WORK/$driver" "$REG/cell/three:1")
		[ "$(id_of "$WORK/$driver" "$REG/cell/three:1")" = "$(id_of "$STORE" localhost/three:1)" ]
		run "$CELL" --root "$WORK/$driver" --runroot "$RUN" system check
		[ "$status" -eq 0 ]
		[[ "$output" == *"0 broken, 0 orphaned"* ]]
	done
	# the whiteouts are in the overlay lower layer itself
	mp=$(cell_in overlay image mount "$REG/cell/three:1")
	[ ! -e "$mp/etc/group" ] && [ "$(ls "$mp/data/gone")" = new ] && [ -L "$mp/data/link" ]
	cell_in overlay image unmount "$REG/cell/three:1"
}

@test "a pull skips what the store has: blobs, layers, the whole image" {
	load_three_layers
	cell push -q --tls-verify=false localhost/three:1 "$REG/cell/skip:1"
	import_busybox
	cell push -q --tls-verify=false busybox "$REG/cell/skip:base"
	# the busybox layer is the first layer of three:1 too
	cell_in other pull -q --tls-verify=false "$REG/cell/skip:base" >/dev/null
	run cell_in other pull --tls-verify=false "$REG/cell/skip:1"
	[ "$status" -eq 0 ]
	[ "$(grep -c ': Already exists' <<<"$output")" -eq 1 ]
	[ "$(grep -c ': Pull complete' <<<"$output")" -eq 2 ]
	# again: nothing to fetch at all
	run cell_in other pull --tls-verify=false "$REG/cell/skip:1"
	[ "$status" -eq 0 ]
	[ "$(grep -c ': Already exists' <<<"$output")" -eq 3 ]
	! grep -q 'Pull complete' <<<"$output"
	[ "$(cell_in other images -q | wc -l)" -eq 2 ]
	[ "$(layer_dirs "$WORK/other" | wc -l)" -eq 3 ]
}

@test "pull by digest: the name keeps the digest; a digest the registry lacks is an error" {
	import_busybox
	cell push -q --tls-verify=false --digestfile "$WORK/digest" busybox "$REG/cell/bydigest:1"
	d=$(cat "$WORK/digest")
	[[ "$d" == sha256:* ]]
	run cell_in other pull -q --tls-verify=false "$REG/cell/bydigest@$d"
	[ "$status" -eq 0 ]
	cell_in other images --format json | jq -e --arg n "$REG/cell/bydigest@$d" '.[0].Names == [$n] and .[0].Digest == "'"$d"'"'
	cell_in other image inspect "$REG/cell/bydigest@$d" >/dev/null
	bogus=sha256:$(printf '%064d' 0)
	run cell_in other2 pull -q --tls-verify=false "$REG/cell/bydigest@$bogus"
	[ "$status" -eq 125 ]
	[[ "$output" == *"HTTP 404"* ]]
	[ "$(cell_in other2 images -q | wc -l)" -eq 0 ]
}

@test "uploads: chunked and monolithic give the same image; a second repository mounts the blobs" {
	load_three_layers 3
	cell push -q --tls-verify=false --chunk-size 65536 localhost/three:1 "$REG/cell/chunked:1"
	cell push -q --tls-verify=false localhost/three:1 "$REG/cell/mono:1"
	a=$(skopeo inspect --tls-verify=false "docker://$REG/cell/chunked:1" | jq -c .Layers)
	b=$(skopeo inspect --tls-verify=false "docker://$REG/cell/mono:1" | jq -c .Layers)
	[ "$a" = "$b" ]
	# a name in one repository of the registry lets a push to another mount
	cell tag localhost/three:1 "$REG/cell/mono:1"
	run cell push --tls-verify=false "$REG/cell/mono:1" "$REG/cell/mounted:1"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'Mounted from another repository' <<<"$output")" -eq 3 ]
	skopeo inspect --tls-verify=false "docker://$REG/cell/mounted:1" | jq -e '.Layers | length == 3'
	# and pushing again finds everything there
	run cell push --tls-verify=false localhost/three:1 "$REG/cell/mono:1"
	[ "$status" -eq 0 ]
	[ "$(grep -c 'Layer already exists' <<<"$output")" -eq 3 ]
	cell_in other pull -q --tls-verify=false "$REG/cell/mounted:1" >/dev/null
	same_tree "$STORE" localhost/three:1 "$WORK/other" "$REG/cell/mounted:1"
}

@test "--compression-format zstd: zstd layers in an OCI manifest, pulled back by cell and skopeo" {
	load_three_layers
	cell push -q --tls-verify=false --compression-format zstd localhost/three:1 "$REG/cell/zstd:1"
	skopeo inspect --raw --tls-verify=false "docker://$REG/cell/zstd:1" |
		jq -e '.mediaType == "application/vnd.oci.image.manifest.v1+json"
			and ([.layers[].mediaType] | unique) == ["application/vnd.oci.image.layer.v1.tar+zstd"]'
	cell_in other pull -q --tls-verify=false "$REG/cell/zstd:1" >/dev/null
	[ "$(id_of "$WORK/other" "$REG/cell/zstd:1")" = "$(id_of "$STORE" localhost/three:1)" ]
	same_tree "$STORE" localhost/three:1 "$WORK/other" "$REG/cell/zstd:1"
	skopeo copy -q --src-tls-verify=false "docker://$REG/cell/zstd:1" "oci:$WORK/layout:zstd"
	# gzip (the default) again: the store's gzip layer goes as it is, the others are compressed
	cell push -q --tls-verify=false localhost/three:1 "$REG/cell/gzip:1"
	skopeo inspect --raw --tls-verify=false "docker://$REG/cell/gzip:1" |
		jq -e '([.layers[].mediaType] | unique) == ["application/vnd.oci.image.layer.v1.tar+gzip"]'
}

@test "an index of two platforms: the host's by default, --platform for the other, a missing one refused" {
	import_busybox
	cell import -q --platform linux/arm64/v8 "$BUSYBOX_TAR" localhost/arm:1 >/dev/null
	cell push -q --tls-verify=false --digestfile "$WORK/amd.digest" busybox "$REG/cell/multi:amd64"
	cell push -q --tls-verify=false --digestfile "$WORK/arm.digest" localhost/arm:1 "$REG/cell/multi:arm64"
	python3 - "$REG" cell/multi "$(cat "$WORK/amd.digest")" "$(cat "$WORK/arm.digest")" <<'PY'
import http.client, json, sys
reg, repo, amd, arm = sys.argv[1:]
def size(d):
    c = http.client.HTTPConnection(reg)
    c.request("HEAD", "/v2/%s/manifests/%s" % (repo, d), headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    return int(c.getresponse().getheader("Content-Length"))
mt = "application/vnd.oci.image.manifest.v1+json"
index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
    {"mediaType": mt, "digest": arm, "size": size(arm), "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
    {"mediaType": mt, "digest": amd, "size": size(amd), "platform": {"os": "linux", "architecture": "amd64"}},
]}
c = http.client.HTTPConnection(reg)
c.request("PUT", "/v2/%s/manifests/both" % repo, body=json.dumps(index),
          headers={"Content-Type": "application/vnd.oci.image.index.v1+json"})
assert c.getresponse().status == 201
PY
	cell_in host pull -q --tls-verify=false "$REG/cell/multi:both" >/dev/null
	cell_in host image inspect "$REG/cell/multi:both" | jq -e '.[0].Architecture == "amd64"'
	[ "$(cell_in host images --format json | jq -r '.[0].Digest')" = "$(cat "$WORK/amd.digest")" ]
	cell_in arm pull -q --tls-verify=false --platform linux/arm64 "$REG/cell/multi:both" >/dev/null
	cell_in arm image inspect "$REG/cell/multi:both" | jq -e '.[0].Architecture == "arm64" and .[0].Variant == "v8"'
	cell_in arm2 pull -q --tls-verify=false --arch arm64 "$REG/cell/multi:both" >/dev/null
	[ "$(cell_in arm2 images --format json | jq -r '.[0].Digest')" = "$(cat "$WORK/arm.digest")" ]
	run cell_in none pull -q --tls-verify=false --platform linux/s390x "$REG/cell/multi:both"
	[ "$status" -eq 125 ]
	[[ "$output" == *"no image for platform linux/s390x"* ]]
	[ "$(cell_in none images -q | wc -l)" -eq 0 ]
}

@test "short names are tried at each unqualified-search registry in turn" {
	import_busybox
	cell push -q --tls-verify=false busybox "$REG/short/busybox:1"
	dead=127.0.0.1:$(free_port)
	registries_conf "search=$dead,$REG" "$dead" "$REG"
	run cell_in other pull -q short/busybox:1
	[ "$status" -eq 0 ]
	cell_in other images --format json | jq -e --arg n "$REG/short/busybox:1" '.[0].Names == [$n]'
	run cell_in other pull -q short/nothing:1
	[ "$status" -eq 125 ]
	[[ "$output" == *"not found in any of the unqualified-search registries"* ]]
	[[ "$output" == *"$dead"* && "$output" == *"$REG"*"HTTP 404"* ]]
	# a name that is not a reference at all
	run cell_in other pull 'Bad/Name:x'
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid repository name"* ]]
}

@test "progress: a terminal gets Docker's lines with bytes and rate; -q prints only the ID" {
	load_three_layers 20
	cell push -q --tls-verify=false localhost/three:1 "$REG/cell/progress:1"
	# through a proxy that sends blobs at 16 MB/s: the 21 MB layer takes
	# longer than a redraw, however fast the machine
	PROXY_DIR=$WORK/proxy
	slow=$(start_proxy "$PROXY_DIR" "$REG" --throttle 16000000)
	run python3 "$BATS_TEST_DIRNAME/ptyrun.py" -- "$CELL" --root "$WORK/tty" --runroot "$RUN" pull \
		--tls-verify=false "$slow/cell/progress:1"
	echo "$output"
	[[ "$output" == *"ptyrun: status 0"* ]]
	[[ "$output" == *"Trying to pull $slow/cell/progress:1..."* ]]
	[[ "$output" == *"Downloading"*"["*"MB/s"* ]]
	[[ "$output" == *"Pull complete"* ]]
	[[ "$output" == *"Digest: sha256:"* ]]
	run cell_in quiet pull -q --tls-verify=false "$REG/cell/progress:1"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	# push progress on a terminal too
	run python3 "$BATS_TEST_DIRNAME/ptyrun.py" -- "$CELL" --root "$STORE" --runroot "$RUN" push \
		--tls-verify=false localhost/three:1 "$REG/cell/progress:2"
	[[ "$output" == *"ptyrun: status 0"* ]]
	[[ "$output" == *"Layer already exists"* ]]
	[[ "$output" == *"$REG/cell/progress:2: digest: sha256:"* ]]
}

@test "cell run pulls an image the store lacks; --pull always takes the registry's newer one; -q is quiet" {
	import_busybox
	cell push -q --tls-verify=false busybox "$REG/run/busybox:1"
	registries_conf "search=$REG" "$REG"
	runner() { "$CELL" --root "$WORK/runner" --runroot "$WORK/runner-run" "$@"; }
	run runner run --rm run/busybox:1 sh -c 'echo hello from a pulled image'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Trying to pull $REG/run/busybox:1..."* ]]
	[[ "$output" == *"hello from a pulled image"* ]]
	runner images --format json | jq -e --arg n "$REG/run/busybox:1" '.[0].Names == [$n]'
	# now it is in the store: no pull
	run runner run --rm run/busybox:1 true
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# a newer image under the same tag: missing keeps the old, always takes the new
	cell run --name v2 busybox sh -c 'echo v2 >/marker'
	cell commit v2 localhost/busybox:2 >/dev/null
	cell rm v2 >/dev/null
	cell push -q --tls-verify=false localhost/busybox:2 "$REG/run/busybox:1"
	run runner run --rm run/busybox:1 cat /marker
	[ "$status" -eq 1 ]
	run runner run --rm -q --pull always run/busybox:1 cat /marker
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = v2 ]
	# never: only the store
	run "$CELL" --root "$WORK/empty" --runroot "$WORK/empty-run" run --rm --pull never run/busybox:1 true
	[ "$status" -eq 125 ]
	[[ "$output" == *"image run/busybox:1 is not in the store (--pull never)"* ]]
}

@test "errors name what failed: unknown repositories and tags, nothing listening, bad flags" {
	run cell pull -q --tls-verify=false "$REG/cell/nosuch:1"
	[ "$status" -eq 125 ]
	[[ "$output" == *"manifest 1 of $REG/cell/nosuch"*"HTTP 404"* ]]
	dead=127.0.0.1:$(free_port)
	run cell pull -q --tls-verify=false "$dead/x:1"
	[ "$status" -eq 125 ]
	[[ "$output" == *"$dead"* ]]
	run cell pull --tls-verify=maybe "$REG/x:1"
	[ "$status" -eq 125 ]
	[[ "$output" == *"--tls-verify"* ]]
	run cell push -q --tls-verify=false nosuchimage "$REG/x:1"
	[ "$status" -eq 125 ]
	[[ "$output" == *"nosuchimage"* ]]
	run cell push --compression-format lz4 busybox "$REG/x:1"
	[ "$status" -eq 125 ]
	[[ "$output" == *"gzip or zstd"* ]]
	[ "$(cell images -q | wc -l)" -eq 0 ]
	store_is_sound
}
