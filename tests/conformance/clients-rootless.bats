#!/usr/bin/env bats
# Rootless podman driving cellrt: an unprivileged user this file creates
# (with subordinate id ranges) runs containers through podman --runtime.
# The user, its ranges and its files are removed afterwards.

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
CELLRT=${CELLRT:-$TOP/build/cellrt}
PM_USER=cellpodman
PM_SUB_START=400000

setup_file() {
	export W
	W=$(mktemp -d /tmp/cell-pmrl.XXXXXX)
	for f in /etc/subuid /etc/subgid; do
		[ -e "$f" ] && touch "$W/had-$(basename $f)"
	done
	id "$PM_USER" >/dev/null 2>&1 && userdel "$PM_USER"
	useradd -M -d "$W/home" -s /bin/sh "$PM_USER"
	for f in /etc/subuid /etc/subgid; do
		if [ -e "$f" ]; then sed -i "/^$PM_USER:/d" "$f"; else install -m 644 /dev/null "$f"; fi
	done
	usermod --add-subuids "$PM_SUB_START-$((PM_SUB_START + 65535))" \
		--add-subgids "$PM_SUB_START-$((PM_SUB_START + 65535))" "$PM_USER"
	mkdir -p "$W/home" "$W/xdg"
	chmod 755 "$W"
	chmod 700 "$W/xdg"
	"$TOP/scripts/busybox-rootfs.sh" "$W/rootfs"
	tar -C "$W/rootfs" -cf "$W/rootfs.tar" .
	chown -R "$PM_USER:" "$W/home" "$W/xdg" "$W/rootfs.tar"
	pm import "$W/rootfs.tar" localhost/cellbb:latest >/dev/null
}

teardown_file() {
	pm rm -af >/dev/null 2>&1 || true
	pm system reset -f >/dev/null 2>&1 || true
	pkill -u "$PM_USER" 2>/dev/null || true
	userdel "$PM_USER" 2>/dev/null || true
	for f in /etc/subuid /etc/subgid; do
		if [ ! -e "$W/had-$(basename $f)" ] && [ ! -s "$f" ]; then
			rm -f "$f" "$f-"
		fi
	done
	rm -rf "$W"
}

# podman as the unprivileged user, with its own store and cellrt as runtime.
pm() {
	(cd "$W" && runuser -u "$PM_USER" -- env HOME="$W/home" XDG_RUNTIME_DIR="$W/xdg" \
		podman --root "$W/home/storage" --runroot "$W/xdg/run" --storage-driver vfs \
		--cgroup-manager cgroupfs --events-backend file --runtime "$CELLRT" "$@")
}

@test "rootless podman: run with output and exit status, as the user's subordinate ids" {
	run pm run --rm --network none localhost/cellbb sh -c 'id -u; cat /proc/self/uid_map; exit 7'
	echo "$output"
	[ "$status" -eq 7 ]
	[ "${lines[0]}" = 0 ]
	# container root is the user; the rest come from its subordinate range
	[[ "$output" == *"$(id -u "$PM_USER")"* ]]
	[[ "$output" == *"$PM_SUB_START"* ]]
}

@test "rootless podman: a detached container, exec, logs, stop, rm" {
	pm run -d --name web --network none localhost/cellbb sh -c 'echo up; trap "exit 0" TERM; while :; do sleep 0.1; done'
	# the log line is there once the shell ran; poll, a loaded machine is slow
	for _ in $(seq 100); do
		run pm logs web
		[ "$output" = up ] && break
		sleep 0.1
	done
	[ "$output" = up ]
	run pm exec web sh -c 'echo from-exec; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = from-exec ]
	pm stop -t 5 web
	[ "$(pm inspect -f '{{.State.ExitCode}}' web)" = 0 ]
	pm rm web
	[ -z "$(pm ps -aq)" ]
}
