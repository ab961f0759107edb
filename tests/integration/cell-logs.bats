#!/usr/bin/env bats
# cell logs: the k8s-file log, its rotation, and the flags that read it.

load cell-engine
bats_require_minimum_version 1.5.0

log_of() {
	echo "$STORE/containers/$(cell inspect -f '{{.Id}}' "$1")"
}

@test "logs keeps stdout and stderr apart, in Podman's k8s-file format" {
	cell run --name l busybox sh -c 'echo out1; echo err1 >&2; printf partial; sleep 0.1; echo " rest"'
	run cell logs l
	[ "$status" -eq 0 ]
	[[ "$output" == *out1* ]]
	[[ "$output" == *err1* ]]
	[[ "$output" == *"partial rest"* ]]
	out=$(cell logs l 2>/dev/null)
	[ "$out" = "$(printf 'out1\npartial rest')" ]
	err=$(cell logs l 2>&1 >/dev/null)
	[ "$err" = err1 ]
	dir=$(log_of l)
	[ "$(cell inspect -f '{{.LogPath}}' l)" = "$dir/ctr.log" ]
	# TIME STREAM F|P TEXT, with the piece without a newline as P
	grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z stdout F out1$' "$dir/ctr.log"
	grep -Eq ' stderr F err1$' "$dir/ctr.log"
	grep -Eq ' stdout P partial$' "$dir/ctr.log"
	grep -Eq ' stdout F  rest$' "$dir/ctr.log"
}

@test "--tail, -t, --since and --until" {
	cell run --name t busybox sh -c 'for i in 1 2 3 4 5; do echo line $i; done; sleep 1.2; echo late'
	run cell logs --tail 2 t
	[ "${lines[0]}" = "line 5" ]
	[ "${lines[1]}" = late ]
	[ "${#lines[@]}" -eq 2 ]
	run cell logs -n 0 t
	[ -z "$output" ]
	run cell logs -t --tail 1 t
	[[ "$output" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\ late$ ]]
	first=$(cell logs -t t | head -1 | cut -d' ' -f1)
	lastline=$(cell logs -t t | tail -1 | cut -d' ' -f1)
	run cell logs --since "$lastline" t
	[ "$output" = late ]
	run cell logs --until "$first" t
	[ "${#lines[@]}" -ge 1 ]
	[[ "$output" != *late* ]]
	run cell logs --since 1h t
	[ "${#lines[@]}" -eq 6 ]
	run cell logs --since yesterday-ish t
	[ "$status" -eq 125 ]
	run cell logs --tail many t
	[ "$status" -eq 125 ]
}

@test "logs -f follows while it runs and ends when it stops" {
	cell run -d --name f busybox sh -c 'for i in 1 2 3; do echo tick $i; sleep 0.3; done'
	run timeout 20 "$CELL" --root "$STORE" --runroot "$RUN" logs -f f
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "tick 1" ]
	[ "${lines[2]}" = "tick 3" ]
	[ "${#lines[@]}" -eq 3 ]
}

@test "logs are read while the container runs, by another cell" {
	cell run -d --name live busybox sh -c 'echo early; sleep 1000'
	wait_until sh -c "$CELL --root $STORE --runroot $RUN logs live | grep -q early"
	run cell logs live
	[ "$output" = early ]
}

@test "the log rotates by size, keeping max-file files, and logs reads them all in order" {
	cell run --name rot --log-opt max-size=2k --log-opt max-file=3 busybox sh -c 'i=0; while [ $i -lt 200 ]; do echo "line $i abcdefghijklmnopqrstuvwxyz"; i=$((i+1)); done'
	dir=$(log_of rot)
	[ -f "$dir/ctr.log" ]
	[ -f "$dir/ctr.log.1" ]
	[ -f "$dir/ctr.log.2" ]
	[ ! -e "$dir/ctr.log.3" ]
	for f in "$dir"/ctr.log*; do
		[ "$(stat -c %s "$f")" -le 2048 ]
	done
	run cell logs rot
	# the oldest went; what is left is in order and ends with the last line
	[ "${lines[-1]}" = "line 199 abcdefghijklmnopqrstuvwxyz" ]
	prev=-1
	for l in "${lines[@]}"; do
		n=$(echo "$l" | cut -d' ' -f2)
		[ "$n" -eq $((prev + 1)) ] || [ "$prev" -eq -1 ]
		prev=$n
	done
	[ "${#lines[@]}" -lt 200 ]
	# one file: cut back to empty instead
	cell run --name one --log-opt max-size=1k --log-opt max-file=1 busybox sh -c 'i=0; while [ $i -lt 100 ]; do echo "row $i"; i=$((i+1)); done'
	dir=$(log_of one)
	[ ! -e "$dir/ctr.log.1" ]
	[ "$(stat -c %s "$dir/ctr.log")" -le 1024 ]
	run cell logs one
	[ "${lines[-1]}" = "row 99" ]
	run cell run --log-opt max-size=x busybox true
	[ "$status" -eq 125 ]
	run cell run --log-opt colour=blue busybox true
	[ "$status" -eq 125 ]
}

@test "logs -f follows across a rotation" {
	cell run -d --name fr --log-opt max-size=1k --log-opt max-file=2 busybox sh -c 'sleep 0.5; i=0; while [ $i -lt 60 ]; do echo "n $i"; i=$((i+1)); sleep 0.02; done'
	run timeout 30 "$CELL" --root "$STORE" --runroot "$RUN" logs -f fr
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "n 59" ]
	prev=-1
	for l in "${lines[@]}"; do
		n=${l#n }
		[ "$prev" -eq -1 ] || [ "$n" -eq $((prev + 1)) ]
		prev=$n
	done
}

@test "--log-driver none keeps no log; a foreground run shows output all the same" {
	run cell run --name quiet --log-driver none busybox echo visible
	[ "$output" = visible ]
	run cell logs quiet
	[ "$status" -eq 125 ]
	[[ "$output" == *"has no log"* ]]
	[ ! -e "$(log_of quiet)/ctr.log" ]
	run cell run --log-driver syslog busybox true
	[ "$status" -eq 125 ]
}
