#!/usr/bin/env bats
# Registries that want something: TLS with a CA the test makes (openssl),
# htpasswd Basic auth with cell login and logout, and Bearer tokens from a
# token service of our own (registry-proxy.py) that expire and are renewed.

load cell-helpers
load registry

setup_file() {
	# shellcheck source=registry.bash
	. "$BATS_TEST_DIRNAME/registry.bash"
	export CA=$BATS_FILE_TMPDIR/ca
	make_ca "$CA"
	TLSREG=$(start_registry "$BATS_FILE_TMPDIR/tls" tls "$CA")
	AUTHREG=$(start_registry "$BATS_FILE_TMPDIR/auth" htpasswd alice s3cret)
	PLAINREG=$(start_registry "$BATS_FILE_TMPDIR/plain")
	export TLSREG AUTHREG PLAINREG
}

teardown_file() {
	for r in tls auth plain; do
		stop "$BATS_FILE_TMPDIR/$r"
	done
}

setup() {
	cell_setup
	export REGISTRY_AUTH_FILE=$WORK/auth.json
	# the CA as --cert-dir wants it: a directory of *.crt
	mkdir -p "$WORK/certs"
	cp "$CA/ca.crt" "$WORK/certs/"
}

teardown() {
	# the certs.d directory a test made for its registry's port only
	[ -z "${CERTS_D:-}" ] || rm -rf "$CERTS_D"
	[ -z "${MADE_CERTS_D:-}" ] || rmdir /etc/containers/certs.d
	stop "$WORK/proxy"
	cell_teardown
}

@test "TLS: --cert-dir trusts the test's CA; without it the certificate is refused" {
	import_busybox
	run cell push -q --cert-dir "$WORK/certs" busybox "$TLSREG/tls/busybox:1"
	[ "$status" -eq 0 ]
	run cell_in other pull -q "$TLSREG/tls/busybox:1"
	[ "$status" -eq 125 ]
	[[ "$output" == *"https://$TLSREG"* && "$output" == *[Cc]ertificate* ]]
	[ "$(cell_in other images -q | wc -l)" -eq 0 ]
	run cell_in other pull -q --cert-dir "$WORK/certs" "$TLSREG/tls/busybox:1"
	[ "$status" -eq 0 ]
	[ "$output" = "$(cell images -q --no-trunc)" ]
	# --tls-verify=false talks TLS without checking it
	run cell_in third pull -q --tls-verify=false "$TLSREG/tls/busybox:1"
	[ "$status" -eq 0 ]
	run cell pull -q --cert-dir "$WORK/nosuchdir" "$TLSREG/tls/busybox:1"
	[ "$status" -eq 125 ]
	[[ "$output" == *"$WORK/nosuchdir"* ]]
}

@test "TLS: the CA in /etc/containers/certs.d/HOST:PORT is trusted without flags" {
	import_busybox
	cell push -q --cert-dir "$WORK/certs" busybox "$TLSREG/tls/certsd:1"
	[ ! -e "/etc/containers/certs.d/$TLSREG" ]
	run cell_in other pull -q "$TLSREG/tls/certsd:1"
	[ "$status" -eq 125 ]
	[[ "$output" == *[Cc]ertificate* ]]
	[ -d /etc/containers/certs.d ] || export MADE_CERTS_D=1
	export CERTS_D=/etc/containers/certs.d/$TLSREG
	mkdir -p "$CERTS_D"
	cp "$CA/ca.crt" "$CERTS_D/ca.crt"
	run cell_in other pull -q "$TLSREG/tls/certsd:1"
	[ "$status" -eq 0 ]
	[ "$output" = "$(cell images -q --no-trunc)" ]
}

@test "htpasswd: cell login keeps the credentials, pull and push use them, logout forgets them" {
	import_busybox
	run cell push -q --tls-verify=false busybox "$AUTHREG/basic/busybox:1"
	[ "$status" -eq 125 ]
	[[ "$output" == *"authentication required (cell login $AUTHREG)"* ]]
	run cell login --tls-verify=false -u alice -p wrong "$AUTHREG"
	[ "$status" -eq 125 ]
	[[ "$output" == *"HTTP 401"* ]]
	[ ! -e "$WORK/auth.json" ]
	run cell login --tls-verify=false -u alice -p s3cret "$AUTHREG"
	[ "$status" -eq 0 ]
	[ "$output" = "Login Succeeded!" ]
	[ "$(stat -c %a "$WORK/auth.json")" = 600 ]
	jq -e --arg k "$AUTHREG" --arg a "$(printf alice:s3cret | base64)" '.auths[$k].auth == $a' "$WORK/auth.json"
	[ "$(cell login --get-login "$AUTHREG")" = alice ]
	cell push -q --tls-verify=false busybox "$AUTHREG/basic/busybox:1"
	run cell_in other pull -q --tls-verify=false "$AUTHREG/basic/busybox:1"
	[ "$status" -eq 0 ]
	# podman reads the same file
	podman --root "$WORK/podman" --runroot "$WORK/podman-run" --storage-driver vfs pull -q \
		--authfile "$WORK/auth.json" --tls-verify=false "$AUTHREG/basic/busybox:1" >/dev/null
	run cell logout "$AUTHREG"
	[ "$status" -eq 0 ]
	[[ "$output" == "Removed login credentials for $AUTHREG" ]]
	run cell_in third pull -q --tls-verify=false "$AUTHREG/basic/busybox:1"
	[ "$status" -eq 125 ]
	[[ "$output" == *"cell login $AUTHREG"* ]]
	run cell logout "$AUTHREG"
	[ "$status" -eq 125 ]
	[[ "$output" == *"not logged in"* ]]
	# --password-stdin, --creds, --authfile, logout --all
	echo s3cret | cell login --tls-verify=false -u alice --password-stdin "http://$AUTHREG/" >/dev/null
	jq -e --arg k "$AUTHREG" '.auths | has($k)' "$WORK/auth.json"
	cell logout --all >/dev/null
	jq -e '.auths == {}' "$WORK/auth.json"
	cell_in fourth pull -q --tls-verify=false --creds alice:s3cret "$AUTHREG/basic/busybox:1" >/dev/null
	cell login --tls-verify=false --authfile "$WORK/other-auth.json" -u alice -p s3cret "$AUTHREG" >/dev/null
	cell_in fifth pull -q --tls-verify=false --authfile "$WORK/other-auth.json" "$AUTHREG/basic/busybox:1" >/dev/null
	run cell login --tls-verify=false -u alice -p s3cret 'not a registry!'
	[ "$status" -eq 125 ]
	run podman --root "$WORK/podman" --runroot "$WORK/podman-run" --storage-driver vfs rmi -a -f
}

@test "Bearer tokens, anonymous: pulls ask for pull, pushes for pull,push, of the repository" {
	PROXY=$(start_proxy "$WORK/proxy" "$PLAINREG" --token -)
	import_busybox
	cell push -q --tls-verify=false busybox "$PROXY/bearer/busybox:1"
	grep -q '^TOKEN scope=repository:bearer/busybox:pull,push&service=test-registry$' "$WORK/proxy.log"
	: >"$WORK/proxy.log"
	run cell_in other pull -q --tls-verify=false "$PROXY/bearer/busybox:1"
	[ "$status" -eq 0 ]
	[ "$output" = "$(cell images -q --no-trunc)" ]
	grep -q '^TOKEN scope=repository:bearer/busybox:pull&service=test-registry$' "$WORK/proxy.log"
	! grep -q 'pull,push' "$WORK/proxy.log"
}

@test "Bearer tokens with credentials: login through the token service; wrong ones refused" {
	PROXY=$(start_proxy "$WORK/proxy" "$PLAINREG" --token alice:s3cret)
	import_busybox
	run cell push -q --tls-verify=false busybox "$PROXY/secret/busybox:1"
	[ "$status" -eq 125 ]
	[[ "$output" == *"token from http://$PROXY/token: HTTP 401"*"bad credentials"* ]]
	run cell login --tls-verify=false -u alice -p nope "$PROXY"
	[ "$status" -eq 125 ]
	[ ! -e "$WORK/auth.json" ]
	cell login --tls-verify=false -u alice -p s3cret "$PROXY"
	# a login asks for no repository's scope
	grep -q '^TOKEN service=test-registry$' "$WORK/proxy.log"
	cell push -q --tls-verify=false busybox "$PROXY/secret/busybox:1"
	run cell_in other pull -q --tls-verify=false "$PROXY/secret/busybox:1"
	[ "$status" -eq 0 ]
}

@test "an expired token is renewed: after a 401, and before it expires when the registry says when" {
	load_three_layers 2
	cell push -q --tls-verify=false localhost/three:1 "$PLAINREG/expiry/three:1"
	# tokens live 1 s but claim 300: every blob waits 1.5 s, so the layers'
	# requests arrive with a dead token and must get a new one
	PROXY=$(start_proxy "$WORK/proxy" "$PLAINREG" --token - --token-ttl 1 --advertise-ttl 300 --delay-blobs 1.5)
	run cell_in other pull -q --tls-verify=false "$PROXY/expiry/three:1"
	echo "$output"
	cat "$WORK/proxy.log"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^TOKEN ' "$WORK/proxy.log")" -ge 2 ]
	grep -q '^GET /v2/expiry/three/blobs/sha256:[0-9a-f]* range=- status=401$' "$WORK/proxy.log"
	same_tree "$STORE" localhost/three:1 "$WORK/other" "$PROXY/expiry/three:1"
	stop "$WORK/proxy"
	# tokens that say they live 2 s are renewed before a request needs it
	PROXY=$(start_proxy "$WORK/proxy" "$PLAINREG" --token - --token-ttl 2 --advertise-ttl 2 --delay-blobs 2.5)
	run cell_in third pull -q --tls-verify=false "$PROXY/expiry/three:1"
	cat "$WORK/proxy.log"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^TOKEN ' "$WORK/proxy.log")" -ge 2 ]
	# the only 401 is the first request's, which learns the challenge
	[ "$(grep -c 'status=401' "$WORK/proxy.log")" -eq 1 ]
}
