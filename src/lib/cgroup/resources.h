/* linux.resources as a typed model: what the cgroup drivers apply at create
 * and on update. Parsing checks types and ranges and names the JSON path of
 * every mistake ("linux.resources.cpu.shares: must be …"); whether a layout
 * can honour a field is the drivers' business. Strings are borrowed from the
 * JSON document, which the model holds a reference on.
 *
 * Every field has a `has_` flag: only what is present is written, so the same
 * model serves create (everything asked) and update (only what changes). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "spec/config.h"

/* One device cgroup rule; major/minor -1 match any number. */
struct cgroup_device_rule {
	bool allow;
	char type; /* 'a' (all), 'c', 'b' */
	int64_t major, minor;
	unsigned access; /* CGROUP_DEV_* bits */
};

enum {
	CGROUP_DEV_READ = 1,
	CGROUP_DEV_WRITE = 2,
	CGROUP_DEV_MKNOD = 4,
	CGROUP_DEV_ALL = 7,
};

struct cgroup_weight_device {
	int64_t major, minor;
	bool has_weight, has_leaf_weight;
	uint16_t weight, leaf_weight;
};

struct cgroup_throttle_device {
	int64_t major, minor;
	uint64_t rate;
};

enum cgroup_throttle_kind {
	CGROUP_THROTTLE_READ_BPS,
	CGROUP_THROTTLE_WRITE_BPS,
	CGROUP_THROTTLE_READ_IOPS,
	CGROUP_THROTTLE_WRITE_IOPS,
	CGROUP_THROTTLE_KINDS
};

struct cgroup_hugepage_limit {
	const char *page_size; /* "2MB", "1GB", as the kernel names its files */
	uint64_t limit;
};

struct cgroup_net_priority {
	const char *name;
	uint32_t priority;
};

struct cgroup_rdma_limit {
	const char *device;
	bool has_hca_handles, has_hca_objects;
	uint32_t hca_handles, hca_objects;
};

struct cgroup_unified_entry {
	const char *key; /* "memory.high" */
	const char *value;
};

struct cgroup_resources {
	json_t *json; /* the linux.resources object; owns the strings */

	/* memory; -1 is "unlimited" for the limits */
	bool has_memory_limit, has_memory_reservation, has_memory_swap, has_swappiness;
	int64_t memory_limit, memory_reservation, memory_swap;
	uint64_t swappiness;
	bool has_disable_oom_killer, disable_oom_killer;
	bool has_use_hierarchy, use_hierarchy;
	bool check_before_update;

	/* cpu */
	bool has_cpu_shares, has_cpu_quota, has_cpu_period, has_cpu_burst, has_cpu_idle;
	uint64_t cpu_shares, cpu_period, cpu_burst;
	int64_t cpu_quota, cpu_idle;
	bool has_rt_runtime, has_rt_period;
	int64_t rt_runtime;
	uint64_t rt_period;
	const char *cpus, *mems; /* NULL when absent */

	/* pids; -1 and 0 are "no limit" (runc's reading) */
	bool has_pids_limit;
	int64_t pids_limit;

	/* blockIO */
	bool has_blkio_weight, has_blkio_leaf_weight;
	uint16_t blkio_weight, blkio_leaf_weight;
	struct cgroup_weight_device *weight_devices;
	size_t n_weight_devices;
	struct cgroup_throttle_device *throttle[CGROUP_THROTTLE_KINDS];
	size_t n_throttle[CGROUP_THROTTLE_KINDS];

	struct cgroup_hugepage_limit *hugepages;
	size_t n_hugepages;

	/* network (v1 only) */
	bool has_class_id;
	uint32_t class_id;
	struct cgroup_net_priority *net_priorities;
	size_t n_net_priorities;

	struct cgroup_rdma_limit *rdma;
	size_t n_rdma;

	struct cgroup_unified_entry *unified;
	size_t n_unified;

	/* devices: the rules in order (the last one that matches decides);
	 * has_devices false when the config gives none, then nothing is
	 * restricted. */
	bool has_devices;
	struct cgroup_device_rule *devices;
	size_t n_devices;
};

/* Parse a linux.resources object (NULL: nothing asked). where names it in
 * messages ("linux.resources", or "--resources" for update). Takes a
 * reference on json. */
int cgroup_resources_parse(json_t *json, const char *where, struct cgroup_resources **out, cell_error **err);

/* What create applies for config c: linux.resources, and when it has device
 * rules, rules that allow linux.devices and the devices every container gets
 * (null, zero, full, random, urandom, tty, console, ptmx, pts, and mknod of
 * any node) after them. */
int cgroup_resources_from_config(const struct oci_config *c, struct cgroup_resources **out, cell_error **err);

/* Append the rules for linux.devices and the default devices to r's rules
 * (update uses it when it replaces the rules). */
int cgroup_resources_add_default_devices(struct cgroup_resources *r, const struct oci_config *c,
					 cell_error **err);

void cgroup_resources_free(struct cgroup_resources *r);
static inline void cgroup_resources_freep(struct cgroup_resources **r)
{
	cgroup_resources_free(*r);
	*r = NULL;
}
#define _cleanup_resources_ _cleanup_(cgroup_resources_freep)

/* cpu.shares (2…262144) as a v2 cpu.weight (1…10000), the mapping runc, crun
 * and systemd share, so that `update --cpu-share` gives the same weight
 * everywhere. 0 stays 0 (unset). */
uint64_t cgroup_shares_to_weight(uint64_t shares);

/* blkio.weight (10…1000) as a v2 io.weight (1…10000). */
uint64_t cgroup_blkio_weight_to_io_weight(uint64_t weight);

/* memory.swap for v2: the OCI value is memory+swap, v2's memory.swap.max is
 * swap alone. Writes "max" or a number into buf; false (with *why) when the
 * pair makes no sense. */
bool cgroup_swap_to_v2(int64_t memory, int64_t swap, char *buf, size_t len, const char **why);

/* "512m", "1g", "1024", "-1": a size in bytes with an optional unit (k, m, g,
 * t, p, with or without a trailing b, any case; powers of 1024). */
bool cgroup_parse_size(const char *s, int64_t *out);

/* Merge patch into base (objects recursively, anything else replaced), as
 * update records what it changed. */
int cgroup_resources_merge_json(json_t *base, json_t *patch);
