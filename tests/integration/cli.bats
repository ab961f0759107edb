#!/usr/bin/env bats
# The command line: global flags, errors, logging.

load helpers

@test "--version names the runtime and the spec version" {
	run "$CELLRT" --version
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "cellrt version "* ]]
	[[ "$output" == *"spec: 1.2.0"* ]]
}

@test "unknown commands and flags fail with a message naming them" {
	run "$CELLRT" frobnicate
	[ "$status" -ne 0 ]
	[[ "$output" == *'unknown command "frobnicate"'* ]]
	run "$CELLRT" --no-such-flag list
	[ "$status" -ne 0 ]
	[[ "$output" == *"no-such-flag"* ]]
	run cellrt create --bogus "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"create: unknown or incomplete option --bogus"* ]]
	run cellrt create
	[ "$status" -ne 0 ]
	[[ "$output" == *"missing the container id"* ]]
	run cellrt run --preserve-fds x "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'--preserve-fds: "x" is not a number'* ]]
	run "$CELLRT" --cgroup-manager nope list
	[ "$status" -ne 0 ]
	[[ "$output" == *'unknown manager "nope"'* ]]
	run "$CELLRT" --log-format xml list
	[ "$status" -ne 0 ]
}

@test "invalid container ids are refused" {
	for id in "../x" "a/b" "." ".." "with space" ""; do
		run cellrt create --bundle "$BUNDLE" "$id"
		[ "$status" -ne 0 ]
		[[ "$output" == *"container id"* ]]
	done
	[ -z "$(ls "$STATE")" ]
}

@test "--log with --log-format json writes runc's JSON lines, errors on stderr too" {
	run "$CELLRT" --root "$STATE" --log "$BUNDLE/log.json" --log-format json state nosuch
	[ "$status" -ne 0 ]
	[[ "$output" == *"container nosuch does not exist"* ]]
	jq -e '.level == "error" and (.msg | contains("container nosuch does not exist")) and (.time | test("Z$"))' "$BUNDLE/log.json"
}

@test "--log in text format" {
	run "$CELLRT" --root "$STATE" --log "$BUNDLE/log.txt" state nosuch
	[ "$status" -ne 0 ]
	grep -q 'level=error msg="container nosuch does not exist"' "$BUNDLE/log.txt"
}

@test "--debug logs what the runtime does" {
	"$CELLRT" --root "$STATE" --debug --log "$BUNDLE/log.json" --log-format json run --bundle "$BUNDLE" "$CID"
	jq -e 'select(.level == "debug" and (.msg | contains("init")))' "$BUNDLE/log.json"
	# without --debug, nothing at debug level
	"$CELLRT" --root "$STATE" --log "$BUNDLE/log2.json" --log-format json run --bundle "$BUNDLE" "$CID"
	! grep -q debug "$BUNDLE/log2.json" 2>/dev/null
}

@test "--systemd-cgroup and --rootless are accepted" {
	cellrt list
	"$CELLRT" --root "$STATE" --rootless false list
	"$CELLRT" --root "$STATE" --cgroup-manager disabled run --bundle "$BUNDLE" "$CID"
}

@test "--console-socket is refused clearly until terminals are supported" {
	run cellrt create --console-socket /tmp/x.sock --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--console-socket"* ]]
	[ -z "$(ls "$STATE")" ]
}
