#!/usr/bin/env bats
# features: the OCI features document, and proof that what it lists works.

load helpers

@test "features prints a runtime-spec features document" {
	run cellrt features
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '
		.ociVersionMin == "1.0.0" and .ociVersionMax == "1.2.0"
		and (.hooks | length == 6) and (.mountOptions | length > 40)
		and (.linux.namespaces | index("time") != null)
		and (.linux.capabilities | index("CAP_CHECKPOINT_RESTORE") != null)
		and .linux.cgroup.v1 == true and .linux.cgroup.v2 == true
		and .linux.mountExtensions.idmap.enabled == true
		and .linux.seccomp.archs == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
		and (.linux.seccomp.operators | length == 7) and (.linux.seccomp.actions | index("SCMP_ACT_NOTIFY") != null)
		and (.annotations | has("io.github.seccomp.libseccomp.version") | not)'
	# the version it names is the state's
	run_detached
	[ "$(cellrt features | jq -r .ociVersionMax)" = "$(cellrt state "$CID" | jq -r .ociVersion)" ]
	run cellrt features extra
	[ "$status" -ne 0 ]
}

@test "features: every mount option it lists is accepted" {
	skip_kind='^(bind|rbind|idmap|ridmap|tmpcopyup|shared|rshared|slave|rslave|private|rprivate|unbindable|runbindable)$'
	opts=$(cellrt features | jq -r '.mountOptions[]' | grep -Ev "$skip_kind")
	[ "$(echo "$opts" | wc -l)" -gt 30 ]
	mounts=$(echo "$opts" | jq -R . | jq -s 'to_entries | map({"destination": ("/opt/m" + (.key | tostring)), "type": "tmpfs", "source": "tmpfs", "options": [.value]})')
	update_config --argjson m "$mounts" '.mounts += $m'
	run cellrt run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	# The kinds skipped above need a bind source or a shared parent.
	mkdir "$BUNDLE/src"
	update_config --arg s "$BUNDLE/src" '.mounts += [{"destination": "/opt/b1", "type": "bind", "source": $s, "options": ["bind", "rprivate"]}, {"destination": "/opt/b2", "type": "bind", "source": $s, "options": ["rbind", "rslave"]}, {"destination": "/opt/t", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup"]}]'
	run cellrt run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
}

@test "features: every namespace and capability it lists works" {
	update_config --argjson ns "$(cellrt features | jq '.linux.namespaces | map({"type": .})')" \
		--argjson caps "$(cellrt features | jq '.linux.capabilities')" '
		.linux.namespaces = $ns
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .process.capabilities.bounding = $caps'
	chown -R 100000:100000 "$BUNDLE/rootfs"
	chmod 755 "$BUNDLE"
	set_cmd 'for n in pid net mnt ipc uts user cgroup time; do readlink /proc/self/ns/$n; done; grep CapBnd /proc/self/status'
	run cellrt run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	for n in pid net mnt ipc uts user cgroup time; do
		line=$(echo "$output" | grep "^$n:")
		[ "$line" != "$(readlink /proc/self/ns/$n)" ]
	done
	# every capability this kernel knows that the runtime itself holds
	# (this host withholds CAP_SYS_RESOURCE: cellrt warns and goes on)
	last=$(cat /proc/sys/kernel/cap_last_cap)
	ours=$((0x$(awk '/^CapBnd:/ {print $2}' /proc/self/status)))
	want=$(printf '%016x' $((((1 << (last + 1)) - 1) & ours)))
	[[ "$output" == *"CapBnd:	$want"* ]]
}

@test "features: checkpoint support follows the criu binary" {
	if command -v criu >/dev/null; then
		[ "$(cellrt features | jq -r '.annotations["org.cell.cellrt.checkpoint.enabled"]')" = true ]
		"$CELLRT" --version | grep -q '^+.*+CRIU'
	fi
	[ "$("$CELLRT" --criu /nonexistent/criu features | jq -r '.annotations["org.cell.cellrt.checkpoint.enabled"]')" = false ]
	! "$CELLRT" --criu /nonexistent/criu --version | grep -q CRIU
}
