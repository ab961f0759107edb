/* The device controller of cgroup v2: an eBPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE attached to the container's cgroup decides
 * every open and mknod of a device node. We write the program ourselves from
 * the OCI rules (no compiler, no libbpf) and load it with the bpf syscall. */
#pragma once

#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "resources.h"

/* Translate rules (the last matching rule decides; nothing matching denies)
 * into a program. *out is malloc'd, *n its length in instructions. */
int bpf_devices_build(const struct cgroup_device_rule *rules, size_t n_rules, struct bpf_insn **out,
		      size_t *n, cell_error **err);

/* Load the program for rules and attach it to the cgroup directory
 * cgroup_fd, in place of the programs of ours that were there (update).
 * Programs attached by others are left alone. where names the cgroup. */
int bpf_devices_apply(int cgroup_fd, const char *where, const struct cgroup_device_rule *rules,
		      size_t n_rules, cell_error **err);

/* Run the program for one access (tests): returns 1 allow, 0 deny, computed
 * by a small interpreter over the same instructions the kernel gets. */
int bpf_devices_eval(const struct bpf_insn *prog, size_t n, char type, uint32_t major, uint32_t minor,
		     unsigned access);
