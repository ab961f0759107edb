/* cgroup v1 (and hybrid): resources, freezing, statistics and OOM
 * notifications through each controller's own hierarchy, as described in
 * Documentation/admin-guide/cgroup-v1/. */
#include "v1.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "bpf_devices.h"
#include "driver.h"
#include "v2.h"

#define FREEZE_TIMEOUT_MS 10000

/* Open the hierarchy holding controller; *dir->fd stays -1 when there is none
 * (not an error: only asking for something there is). */
static int open_controller(const struct cgroup *cg, const char *controller, struct cgfile_dir *dir,
			   cell_error **err)
{
	const struct cgroup_dir *d = cgroup_find_v1(cg, controller);
	dir->fd = -1;
	dir->path = NULL;
	return d ? cgfile_open(d, dir, err) : 0;
}

static int missing(const char *what, const char *controller, cell_error **err)
{
	return cell_error_set(err, ENOTSUP, "%s: no %s cgroup hierarchy is mounted on this host", what,
			      controller);
}

static int write_i64_or_unlimited(const struct cgfile_dir *d, const char *file, int64_t v, cell_error **err)
{
	return v < 0 ? cgfile_write(d, file, "-1", err) : cgfile_writef(d, file, err, "%lld", (long long)v);
}

static int apply_memory_limits(const struct cgfile_dir *d, const struct cgroup_resources *r, cell_error **err)
{
	bool memsw = cgfile_exists(d, "memory.memsw.limit_in_bytes");
	int rc;
	if (r->has_memory_swap && !memsw) {
		if (r->memory_swap == -1 || (r->has_memory_limit && r->memory_swap == r->memory_limit))
			return r->has_memory_limit
				   ? write_i64_or_unlimited(d, "memory.limit_in_bytes", r->memory_limit, err)
				   : 0;
		return cell_error_set(err, ENOTSUP,
				      "linux.resources.memory.swap: this kernel does not account swap (no "
				      "memory.memsw.limit_in_bytes in %s)",
				      d->path);
	}
	if (r->has_memory_swap && r->has_memory_limit && r->memory_swap >= 0 && r->memory_limit >= 0 &&
	    r->memory_swap < r->memory_limit)
		return cell_error_set(err, EINVAL,
				      "linux.resources.memory.swap: memory+swap (%lld) must not be less than "
				      "the memory limit (%lld)",
				      (long long)r->memory_swap, (long long)r->memory_limit);
	/* The kernel keeps limit <= memsw limit at every step: raise memsw
	 * first when it grows, lower the limit first when it shrinks. */
	int64_t swap = r->memory_swap;
	bool has_swap = r->has_memory_swap;
	if (!has_swap && memsw && r->has_memory_limit && r->memory_limit < 0) {
		swap = -1; /* an unlimited memory needs an unlimited memsw */
		has_swap = true;
	}
	if (!has_swap)
		return r->has_memory_limit
			   ? write_i64_or_unlimited(d, "memory.limit_in_bytes", r->memory_limit, err)
			   : 0;
	uint64_t cur_swap = UINT64_MAX;
	cgfile_read_u64(d, "memory.memsw.limit_in_bytes", &cur_swap);
	bool swap_first = swap < 0 || (uint64_t)swap > cur_swap;
	if (swap_first && (rc = write_i64_or_unlimited(d, "memory.memsw.limit_in_bytes", swap, err)) < 0)
		return rc;
	if (r->has_memory_limit &&
	    (rc = write_i64_or_unlimited(d, "memory.limit_in_bytes", r->memory_limit, err)) < 0)
		return rc;
	if (!swap_first && (rc = write_i64_or_unlimited(d, "memory.memsw.limit_in_bytes", swap, err)) < 0)
		return rc;
	return 0;
}

static int apply_memory(const struct cgroup *cg, const struct cgroup_resources *r, bool update,
			cell_error **err)
{
	const char *what = "linux.resources.memory";
	bool any = r->has_memory_limit || r->has_memory_reservation || r->has_memory_swap ||
		   r->has_swappiness || r->has_disable_oom_killer || r->has_use_hierarchy;
	if (!any)
		return 0;
	_cleanup_cgfile_ struct cgfile_dir d = {.fd = -1};
	int rc = open_controller(cg, "memory", &d, err);
	if (rc < 0)
		return rc;
	if (d.fd < 0)
		return missing(what, "memory", err);
	if (r->has_memory_limit && update && r->check_before_update && r->memory_limit > 0) {
		uint64_t cur = 0;
		if (cgfile_read_u64(&d, "memory.usage_in_bytes", &cur) == 0 &&
		    cur > (uint64_t)r->memory_limit)
			return cell_error_set(err, EBUSY,
					      "%s.limit: %lld is below the current usage of %llu bytes "
					      "(checkBeforeUpdate)",
					      what, (long long)r->memory_limit, (unsigned long long)cur);
	}
	if ((rc = apply_memory_limits(&d, r, err)) < 0)
		return rc;
	if (r->has_memory_reservation &&
	    (rc = write_i64_or_unlimited(&d, "memory.soft_limit_in_bytes", r->memory_reservation, err)) < 0)
		return rc;
	if (r->has_swappiness &&
	    (rc = cgfile_writef(&d, "memory.swappiness", err, "%llu", (unsigned long long)r->swappiness)) < 0)
		return rc;
	if (r->has_disable_oom_killer &&
	    (rc = cgfile_write(&d, "memory.oom_control", r->disable_oom_killer ? "1" : "0", err)) < 0)
		return rc;
	if (r->has_use_hierarchy) {
		/* Kernels since 5.16 always use the hierarchy and refuse 0. */
		uint64_t cur = 0;
		if (cgfile_read_u64(&d, "memory.use_hierarchy", &cur) == 0 &&
		    (cur != 0) != r->use_hierarchy &&
		    (rc = cgfile_write(&d, "memory.use_hierarchy", r->use_hierarchy ? "1" : "0", err)) < 0)
			return rc;
	}
	return 0;
}

/* Two files whose values constrain each other (period and quota or runtime):
 * write them in one order, and if the kernel refuses, in the other. */
static int write_pair(const struct cgfile_dir *d, const char *f1, const char *v1, const char *f2,
		      const char *v2, cell_error **err)
{
	int rc = 0;
	if (v1 && (rc = cgfile_write(d, f1, v1, NULL)) == 0 &&
	    (!v2 || (rc = cgfile_write(d, f2, v2, NULL)) == 0))
		return 0;
	if (!v1 && v2 && cgfile_write(d, f2, v2, NULL) == 0)
		return 0;
	if ((!v2 || (rc = cgfile_write(d, f2, v2, err)) == 0) &&
	    (!v1 || (rc = cgfile_write(d, f1, v1, err)) == 0))
		return 0;
	return rc;
}

static int apply_cpu(const struct cgroup *cg, const struct cgroup_resources *r, cell_error **err)
{
	const char *what = "linux.resources.cpu";
	int rc;
	bool any = r->has_cpu_shares || r->has_cpu_quota || r->has_cpu_period || r->has_cpu_burst ||
		   r->has_cpu_idle || r->has_rt_runtime || r->has_rt_period;
	if (any) {
		_cleanup_cgfile_ struct cgfile_dir d = {.fd = -1};
		if ((rc = open_controller(cg, "cpu", &d, err)) < 0)
			return rc;
		if (d.fd < 0)
			return missing(what, "cpu", err);
		if (r->has_cpu_shares && (rc = cgfile_writef(&d, "cpu.shares", err, "%llu",
							     (unsigned long long)r->cpu_shares)) < 0)
			return rc;
		char period[32], value[32];
		if (r->has_cpu_period || r->has_cpu_quota) {
			snprintf(period, sizeof(period), "%llu", (unsigned long long)r->cpu_period);
			snprintf(value, sizeof(value), "%lld",
				 (long long)(r->cpu_quota < 0 ? -1 : r->cpu_quota));
			if ((rc = write_pair(&d, "cpu.cfs_period_us", r->has_cpu_period ? period : NULL,
					     "cpu.cfs_quota_us", r->has_cpu_quota ? value : NULL, err)) < 0)
				return rc;
		}
		if (r->has_cpu_burst && (rc = cgfile_writef(&d, "cpu.cfs_burst_us", err, "%llu",
							    (unsigned long long)r->cpu_burst)) < 0)
			return rc;
		if (r->has_cpu_idle &&
		    (rc = cgfile_writef(&d, "cpu.idle", err, "%lld", (long long)r->cpu_idle)) < 0)
			return rc;
		if (r->has_rt_period || r->has_rt_runtime) {
			snprintf(period, sizeof(period), "%llu", (unsigned long long)r->rt_period);
			snprintf(value, sizeof(value), "%lld", (long long)r->rt_runtime);
			if ((rc = write_pair(&d, "cpu.rt_period_us", r->has_rt_period ? period : NULL,
					     "cpu.rt_runtime_us", r->has_rt_runtime ? value : NULL, err)) < 0)
				return rc;
		}
	}
	if (r->cpus || r->mems) {
		_cleanup_cgfile_ struct cgfile_dir d = {.fd = -1};
		if ((rc = open_controller(cg, "cpuset", &d, err)) < 0)
			return rc;
		if (d.fd < 0)
			return missing(what, "cpuset", err);
		if (r->cpus && (rc = cgfile_write(&d, "cpuset.cpus", r->cpus, err)) < 0)
			return rc;
		if (r->mems && (rc = cgfile_write(&d, "cpuset.mems", r->mems, err)) < 0)
			return rc;
	}
	return 0;
}

static int apply_pids(const struct cgroup *cg, const struct cgroup_resources *r, cell_error **err)
{
	if (!r->has_pids_limit)
		return 0;
	_cleanup_cgfile_ struct cgfile_dir d = {.fd = -1};
	int rc = open_controller(cg, "pids", &d, err);
	if (rc < 0)
		return rc;
	if (d.fd < 0)
		return missing("linux.resources.pids", "pids", err);
	if (r->pids_limit < 0)
		return cgfile_write(&d, "pids.max", "max", err);
	return cgfile_writef(&d, "pids.max", err, "%lld", (long long)r->pids_limit);
}

static int apply_blkio(const struct cgroup *cg, const struct cgroup_resources *r, cell_error **err)
{
	const char *what = "linux.resources.blockIO";
	bool any = r->has_blkio_weight || r->has_blkio_leaf_weight || r->n_weight_devices;
	for (int k = 0; k < CGROUP_THROTTLE_KINDS; k++)
		any = any || r->n_throttle[k];
	if (!any)
		return 0;
	_cleanup_cgfile_ struct cgfile_dir d = {.fd = -1};
	int rc = open_controller(cg, "blkio", &d, err);
	if (rc < 0)
		return rc;
	if (d.fd < 0)
		return missing(what, "blkio", err);
	/* CFQ's files are gone from current kernels; BFQ's take the same scale. */
	bool cfq = cgfile_exists(&d, "blkio.weight");
	const char *wfile = cfq ? "blkio.weight" : "blkio.bfq.weight";
	const char *wdev = cfq ? "blkio.weight_device" : "blkio.bfq.weight_device";
	if ((r->has_blkio_weight || r->n_weight_devices) && !cgfile_exists(&d, wfile))
		return cell_error_set(
		    err, ENOTSUP,
		    "%s.weight: no I/O scheduler with weights (CFQ or BFQ) on this host (no "
		    "blkio.weight or blkio.bfq.weight in %s)",
		    what, d.path);
	if (r->has_blkio_weight && (rc = cgfile_writef(&d, wfile, err, "%u", r->blkio_weight)) < 0)
		return rc;
	bool leaf_used = r->has_blkio_leaf_weight;
	for (size_t i = 0; i < r->n_weight_devices; i++)
		leaf_used = leaf_used || r->weight_devices[i].has_leaf_weight;
	if (leaf_used && !cgfile_exists(&d, "blkio.leaf_weight"))
		return cell_error_set(
		    err, ENOTSUP,
		    "%s.leafWeight: this kernel has no leaf weights (no blkio.leaf_weight in %s)", what,
		    d.path);
	if (r->has_blkio_leaf_weight &&
	    (rc = cgfile_writef(&d, "blkio.leaf_weight", err, "%u", r->blkio_leaf_weight)) < 0)
		return rc;
	for (size_t i = 0; i < r->n_weight_devices; i++) {
		const struct cgroup_weight_device *w = &r->weight_devices[i];
		if (w->has_weight && (rc = cgfile_writef(&d, wdev, err, "%lld:%lld %u", (long long)w->major,
							 (long long)w->minor, w->weight)) < 0)
			return rc;
		if (w->has_leaf_weight &&
		    (rc = cgfile_writef(&d, "blkio.leaf_weight_device", err, "%lld:%lld %u",
					(long long)w->major, (long long)w->minor, w->leaf_weight)) < 0)
			return rc;
	}
	static const char *const files[CGROUP_THROTTLE_KINDS] = {
	    "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
	    "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"};
	for (int k = 0; k < CGROUP_THROTTLE_KINDS; k++)
		for (size_t i = 0; i < r->n_throttle[k]; i++) {
			const struct cgroup_throttle_device *t = &r->throttle[k][i];
			if ((rc = cgfile_writef(&d, files[k], err, "%lld:%lld %llu", (long long)t->major,
						(long long)t->minor, (unsigned long long)t->rate)) < 0)
				return rc;
		}
	return 0;
}

/* A v2 controller of a hybrid host's unified hierarchy, enabled for the
 * container's cgroup there; dir->fd -1 when there is none. */
static int open_unified_controller(const struct cgroup *cg, const char *controller, struct cgfile_dir *dir,
				   cell_error **err)
{
	const struct cgroup_dir *u = cgroup_find_unified(cg);
	dir->fd = -1;
	dir->path = NULL;
	if (!u || cg->layout != CGROUP_LAYOUT_HYBRID)
		return 0;
	if (controller) {
		const char *list[] = {controller, NULL};
		int rc = cgroup_v2_enable(u, list, err);
		if (rc < 0)
			return rc;
	}
	return cgfile_open(u, dir, err);
}

static int apply_hugetlb(const struct cgroup *cg, const struct cgroup_resources *r, cell_error **err)
{
	if (!r->n_hugepages)
		return 0;
	_cleanup_cgfile_ struct cgfile_dir d = {.fd = -1};
	int rc = open_controller(cg, "hugetlb", &d, err);
	if (rc < 0)
		return rc;
	if (d.fd < 0) {
		/* A hybrid host may keep hugetlb in the unified hierarchy. */
		if ((rc = open_unified_controller(cg, "hugetlb", &d, err)) < 0)
			return rc;
		if (d.fd < 0)
			return missing("linux.resources.hugepageLimits", "hugetlb", err);
		return cgroup_v2_apply_hugetlb(&d, r, err);
	}
	for (size_t i = 0; i < r->n_hugepages; i++) {
		const struct cgroup_hugepage_limit *h = &r->hugepages[i];
		char file[128], rsvd[128];
		snprintf(file, sizeof(file), "hugetlb.%s.limit_in_bytes", h->page_size);
		snprintf(rsvd, sizeof(rsvd), "hugetlb.%s.rsvd.limit_in_bytes", h->page_size);
		if (!cgfile_exists(&d, file))
			return cell_error_set(
			    err, ENOTSUP,
			    "linux.resources.hugepageLimits: no %s in %s (is the page size %s "
			    "supported?)",
			    file, d.path, h->page_size);
		rc = cgfile_writef(&d, file, err, "%llu", (unsigned long long)h->limit);
		if (rc == 0 && cgfile_exists(&d, rsvd))
			rc = cgfile_writef(&d, rsvd, err, "%llu", (unsigned long long)h->limit);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int apply_network(const struct cgroup *cg, const struct cgroup_resources *r, cell_error **err)
{
	int rc;
	if (r->has_class_id) {
		_cleanup_cgfile_ struct cgfile_dir d = {.fd = -1};
		if ((rc = open_controller(cg, "net_cls", &d, err)) < 0)
			return rc;
		if (d.fd < 0)
			return missing("linux.resources.network.classID", "net_cls", err);
		if ((rc = cgfile_writef(&d, "net_cls.classid", err, "%u", r->class_id)) < 0)
			return rc;
	}
	if (r->n_net_priorities) {
		_cleanup_cgfile_ struct cgfile_dir d = {.fd = -1};
		if ((rc = open_controller(cg, "net_prio", &d, err)) < 0)
			return rc;
		if (d.fd < 0)
			return missing("linux.resources.network.priorities", "net_prio", err);
		for (size_t i = 0; i < r->n_net_priorities; i++)
			if ((rc = cgfile_writef(&d, "net_prio.ifpriomap", err, "%s %u",
						r->net_priorities[i].name, r->net_priorities[i].priority)) <
			    0)
				return rc;
	}
	return 0;
}

static int apply_rdma(const struct cgroup *cg, const struct cgroup_resources *r, cell_error **err)
{
	if (!r->n_rdma)
		return 0;
	_cleanup_cgfile_ struct cgfile_dir d = {.fd = -1};
	int rc = open_controller(cg, "rdma", &d, err);
	if (rc < 0)
		return rc;
	if (d.fd < 0)
		return missing("linux.resources.rdma", "rdma", err);
	for (size_t i = 0; i < r->n_rdma; i++) {
		const struct cgroup_rdma_limit *l = &r->rdma[i];
		char handles[32] = "", objects[32] = "";
		if (l->has_hca_handles)
			snprintf(handles, sizeof(handles), " hca_handle=%u", l->hca_handles);
		if (l->has_hca_objects)
			snprintf(objects, sizeof(objects), " hca_object=%u", l->hca_objects);
		if ((*handles || *objects) &&
		    (rc = cgfile_writef(&d, "rdma.max", err, "%s%s%s", l->device, handles, objects)) < 0)
			return rc;
	}
	return 0;
}

static int apply_unified(const struct cgroup *cg, const struct cgroup_resources *r, cell_error **err)
{
	if (!r->n_unified)
		return 0;
	if (cg->layout != CGROUP_LAYOUT_HYBRID || !cgroup_find_unified(cg))
		return cell_error_set(
		    err, ENOTSUP,
		    "linux.resources.unified: needs cgroup v2, and this host has only cgroup v1 "
		    "hierarchies");
	/* Enable what the keys name there, so that its files appear. */
	const char *names[64];
	char store[64][64];
	size_t n = 0;
	for (size_t i = 0; i < r->n_unified && n < ARRAY_SIZE(names) - 1; i++) {
		const char *dot = strchr(r->unified[i].key, '.');
		if (!dot || dot == r->unified[i].key)
			continue;
		snprintf(store[n], sizeof(store[n]), "%.*s", (int)(dot - r->unified[i].key),
			 r->unified[i].key);
		names[n] = store[n];
		n++;
	}
	names[n] = NULL;
	_cleanup_cgfile_ struct cgfile_dir d = {.fd = -1};
	const struct cgroup_dir *u = cgroup_find_unified(cg);
	int rc = cgroup_v2_enable(u, names, err);
	if (rc == 0)
		rc = cgfile_open(u, &d, err);
	if (rc == 0)
		rc = cgroup_v2_apply_unified(&d, r, err);
	return rc;
}

/* "c 1:3 rwm", with "*" for a wildcard number. */
static void device_line(const struct cgroup_device_rule *r, char type, char *buf, size_t len)
{
	char major[24] = "*", minor[24] = "*", access[4];
	size_t k = 0;
	if (r->major >= 0)
		snprintf(major, sizeof(major), "%lld", (long long)r->major);
	if (r->minor >= 0)
		snprintf(minor, sizeof(minor), "%lld", (long long)r->minor);
	if (r->access & CGROUP_DEV_READ)
		access[k++] = 'r';
	if (r->access & CGROUP_DEV_WRITE)
		access[k++] = 'w';
	if (r->access & CGROUP_DEV_MKNOD)
		access[k++] = 'm';
	access[k] = '\0';
	snprintf(buf, len, "%c %s:%s %s", type, major, minor, access);
}

int cgroup_v1_device_lines(const struct cgroup_device_rule *rules, size_t n, char **out, cell_error **err)
{
	size_t cap = 64 + n * 2 * 48, len = 0;
	char *buf = malloc(cap);
	if (!buf)
		return cell_error_set(err, ENOMEM, "out of memory");
	/* Start from "nothing allowed": the rules are an allowlist on v2 too. */
	len += (size_t)snprintf(buf + len, cap - len, "deny a\n");
	for (size_t i = 0; i < n; i++) {
		const struct cgroup_device_rule *r = &rules[i];
		const char *file = r->allow ? "allow" : "deny";
		char line[64];
		if (r->type == 'a' && r->major < 0 && r->minor < 0 && r->access == CGROUP_DEV_ALL) {
			/* "a" resets the whole list to allow-all or deny-all. */
			len += (size_t)snprintf(buf + len, cap - len, "%s a\n", file);
			continue;
		}
		/* The kernel reads any "a" line as that reset; spell out the
		 * narrower rule for both types instead. */
		for (int t = 0; t < 2; t++) {
			char type = r->type == 'a' ? (t == 0 ? 'c' : 'b') : r->type;
			if (t == 1 && r->type != 'a')
				break;
			device_line(r, type, line, sizeof(line));
			len += (size_t)snprintf(buf + len, cap - len, "%s %s\n", file, line);
		}
	}
	*out = buf;
	return 0;
}

static int apply_devices(const struct cgroup *cg, const struct cgroup_resources *r, cell_error **err)
{
	if (!r->has_devices)
		return 0;
	_cleanup_cgfile_ struct cgfile_dir d = {.fd = -1};
	int rc = open_controller(cg, "devices", &d, err);
	if (rc < 0)
		return rc;
	if (d.fd < 0) {
		/* A hybrid host without the v1 controller still has the eBPF one. */
		if ((rc = open_unified_controller(cg, NULL, &d, err)) < 0)
			return rc;
		if (d.fd < 0)
			return missing("linux.resources.devices", "devices", err);
		if ((rc = bpf_devices_apply(d.fd, d.path, r->devices, r->n_devices, err)) < 0)
			return cell_error_prefix(err, "linux.resources.devices");
		return 0;
	}
	_cleanup_free_ char *lines = NULL;
	if ((rc = cgroup_v1_device_lines(r->devices, r->n_devices, &lines, err)) < 0)
		return rc;
	/* One rule per write(2), through one open file each for allow and
	 * deny: a container's dozen rules, not a dozen opens. */
	_cleanup_close_ int allow = -EBADF, deny = -EBADF;
	for (char *line = lines, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *sp = strchr(line, ' ');
		*sp = '\0';
		bool is_allow = strcmp(line, "allow") == 0;
		if ((rc = cgfile_write_to(&d, is_allow ? &allow : &deny,
					  is_allow ? "devices.allow" : "devices.deny", sp + 1, err)) < 0)
			return cell_error_prefix(err, "linux.resources.devices");
	}
	return 0;
}

static int v1_prepare(const struct cgroup *cg, cell_error **err)
{
	return 0;
}

static int v1_apply(const struct cgroup *cg, const struct cgroup_resources *r, bool update, cell_error **err)
{
	int rc;
	if ((rc = apply_cpu(cg, r, err)) < 0 || (rc = apply_memory(cg, r, update, err)) < 0 ||
	    (rc = apply_pids(cg, r, err)) < 0 || (rc = apply_blkio(cg, r, err)) < 0 ||
	    (rc = apply_hugetlb(cg, r, err)) < 0 || (rc = apply_network(cg, r, err)) < 0 ||
	    (rc = apply_rdma(cg, r, err)) < 0 || (rc = apply_unified(cg, r, err)) < 0 ||
	    (rc = apply_devices(cg, r, err)) < 0)
		return rc;
	return 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int v1_freeze(const struct cgroup *cg, bool frozen, cell_error **err)
{
	_cleanup_cgfile_ struct cgfile_dir d = {.fd = -1};
	int rc = open_controller(cg, "freezer", &d, err);
	if (rc < 0)
		return rc;
	if (d.fd < 0)
		return missing(frozen ? "pause" : "resume", "freezer", err);
	const char *want = frozen ? "FROZEN" : "THAWED";
	for (int waited = 0;; waited += 10) {
		/* Writing FROZEN again moves a cgroup stuck in FREEZING on. */
		if ((rc = cgfile_write(&d, "freezer.state", want, err)) < 0)
			return rc;
		_cleanup_free_ char *state = NULL;
		if (cgfile_read(&d, "freezer.state", &state) == 0 && strncmp(state, want, strlen(want)) == 0)
			return 0;
		if (waited >= FREEZE_TIMEOUT_MS) {
			if (frozen)
				cgfile_write(&d, "freezer.state", "THAWED", NULL);
			return cell_error_set(err, ETIMEDOUT, "cgroup %s: not %s after %d ms", d.path,
					      frozen ? "frozen" : "thawed", FREEZE_TIMEOUT_MS);
		}
		sleep_ms(10);
	}
}

static bool v1_is_frozen(const struct cgroup *cg)
{
	_cleanup_cgfile_ struct cgfile_dir d = {.fd = -1};
	if (open_controller(cg, "freezer", &d, NULL) < 0 || d.fd < 0)
		return false;
	_cleanup_free_ char *state = NULL;
	return cgfile_read(&d, "freezer.state", &state) == 0 &&
	       (strncmp(state, "FROZEN", 6) == 0 || strncmp(state, "FREEZING", 8) == 0);
}

static json_t *u64(uint64_t v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static json_t *numbers(const char *s)
{
	json_t *a = json_array();
	for (char *end; s && *s; s = end) {
		unsigned long long v = strtoull(s, &end, 10);
		if (end == s)
			break;
		json_array_append_new(a, u64(v));
	}
	return a;
}

static void stats_cpu(const struct cgroup *cg, json_t *data)
{
	json_t *usage = json_object(), *thr = json_object();
	struct cgfile_dir d = {.fd = -1};
	if (open_controller(cg, "cpuacct", &d, NULL) == 0 && d.fd >= 0) {
		uint64_t total = 0, user = 0, sys = 0;
		_cleanup_free_ char *percpu = NULL;
		cgfile_read_u64(&d, "cpuacct.usage", &total);
		json_object_set_new(usage, "total", u64(total));
		if (cgfile_read(&d, "cpuacct.usage_percpu", &percpu) == 0)
			json_object_set_new(usage, "percpu", numbers(percpu));
		/* cpuacct.stat counts USER_HZ ticks. */
		long hz = sysconf(_SC_CLK_TCK);
		cgfile_read_keyed(&d, "cpuacct.stat", "user", &user);
		cgfile_read_keyed(&d, "cpuacct.stat", "system", &sys);
		json_object_set_new(usage, "kernel",
				    u64(sys * (1000000000ULL / (uint64_t)(hz > 0 ? hz : 100))));
		json_object_set_new(usage, "user",
				    u64(user * (1000000000ULL / (uint64_t)(hz > 0 ? hz : 100))));
	}
	cgfile_close(&d);
	if (open_controller(cg, "cpu", &d, NULL) == 0 && d.fd >= 0) {
		uint64_t periods = 0, throttled = 0, ns = 0;
		cgfile_read_keyed(&d, "cpu.stat", "nr_periods", &periods);
		cgfile_read_keyed(&d, "cpu.stat", "nr_throttled", &throttled);
		cgfile_read_keyed(&d, "cpu.stat", "throttled_time", &ns);
		json_object_set_new(thr, "periods", u64(periods));
		json_object_set_new(thr, "throttled_periods", u64(throttled));
		json_object_set_new(thr, "throttled_time", u64(ns));
	}
	cgfile_close(&d);
	json_object_set_new(data, "cpu", json_pack("{s:o, s:o}", "usage", usage, "throttling", thr));
}

static json_t *memory_entry(const struct cgfile_dir *d, const char *prefix)
{
	char f[96];
	uint64_t usage = 0, limit = 0, max = 0, failcnt = 0;
	snprintf(f, sizeof(f), "%susage_in_bytes", prefix);
	if (cgfile_read_u64(d, f, &usage) < 0)
		return NULL;
	snprintf(f, sizeof(f), "%slimit_in_bytes", prefix);
	cgfile_read_u64(d, f, &limit);
	snprintf(f, sizeof(f), "%smax_usage_in_bytes", prefix);
	cgfile_read_u64(d, f, &max);
	snprintf(f, sizeof(f), "%sfailcnt", prefix);
	cgfile_read_u64(d, f, &failcnt);
	return json_pack("{s:o, s:o, s:o, s:o}", "usage", u64(usage), "limit", u64(limit), "max", u64(max),
			 "failcnt", u64(failcnt));
}

static void stats_memory(const struct cgroup *cg, json_t *data)
{
	_cleanup_cgfile_ struct cgfile_dir d = {.fd = -1};
	if (open_controller(cg, "memory", &d, NULL) < 0 || d.fd < 0)
		return;
	json_t *m = json_object();
	static const char *const parts[][2] = {{"usage", "memory."},
					       {"swap", "memory.memsw."},
					       {"kernel", "memory.kmem."},
					       {"kernelTCP", "memory.kmem.tcp."}};
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		json_t *e = memory_entry(&d, parts[i][1]);
		if (e)
			json_object_set_new(m, parts[i][0], e);
	}
	_cleanup_free_ char *buf = NULL;
	if (cgfile_read(&d, "memory.stat", &buf) == 0) {
		json_t *raw = json_object();
		for (char *line = buf, *next; line && *line; line = next) {
			next = strchr(line, '\n');
			if (next)
				*next++ = '\0';
			char *sp = strchr(line, ' ');
			if (!sp)
				continue;
			*sp = '\0';
			json_object_set_new(raw, line, u64(strtoull(sp + 1, NULL, 10)));
		}
		json_t *cache = json_object_get(raw, "cache");
		if (cache)
			json_object_set(m, "cache", cache);
		json_object_set_new(m, "raw", raw);
	}
	json_object_set_new(data, "memory", m);
}

static void stats_pids(const struct cgroup *cg, json_t *data)
{
	_cleanup_cgfile_ struct cgfile_dir d = {.fd = -1};
	uint64_t cur = 0, max = 0;
	if (open_controller(cg, "pids", &d, NULL) < 0 || d.fd < 0 ||
	    cgfile_read_u64(&d, "pids.current", &cur) < 0)
		return;
	cgfile_read_u64(&d, "pids.max", &max);
	json_object_set_new(
	    data, "pids",
	    json_pack("{s:o, s:o}", "current", u64(cur), "limit", u64(max == UINT64_MAX ? 0 : max)));
}

static json_t *blkio_entries(const struct cgfile_dir *d, const char *file)
{
	_cleanup_free_ char *buf = NULL;
	json_t *a = json_array();
	if (cgfile_read(d, file, &buf) < 0)
		return a;
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		unsigned major, minor;
		char op[16];
		unsigned long long v;
		if (sscanf(line, "%u:%u %15s %llu", &major, &minor, op, &v) != 4)
			continue;
		json_array_append_new(a, json_pack("{s:i, s:i, s:s, s:o}", "major", major, "minor", minor,
						   "op", op, "value", u64(v)));
	}
	return a;
}

static void stats_blkio(const struct cgroup *cg, json_t *data)
{
	_cleanup_cgfile_ struct cgfile_dir d = {.fd = -1};
	if (open_controller(cg, "blkio", &d, NULL) < 0 || d.fd < 0)
		return;
	json_object_set_new(data, "blkio",
			    json_pack("{s:o, s:o}", "ioServiceBytesRecursive",
				      blkio_entries(&d, "blkio.throttle.io_service_bytes_recursive"),
				      "ioServicedRecursive",
				      blkio_entries(&d, "blkio.throttle.io_serviced_recursive")));
}

static void stats_hugetlb(const struct cgroup *cg, json_t *data)
{
	_cleanup_cgfile_ struct cgfile_dir d = {.fd = -1};
	if (open_controller(cg, "hugetlb", &d, NULL) < 0)
		return;
	if (d.fd < 0) {
		const struct cgroup_dir *u = cgroup_find_unified(cg);
		if (u && cgfile_open(u, &d, NULL) == 0)
			cgroup_v2_hugetlb_stats(&d, data);
		return;
	}
	json_t *h = json_object();
	_cleanup_closedir_ DIR *dd = opendir(d.path);
	struct dirent *de;
	while (dd && (de = readdir(dd))) {
		size_t len = strlen(de->d_name);
		const char *suffix = ".usage_in_bytes";
		size_t sl = strlen(suffix);
		if (strncmp(de->d_name, "hugetlb.", 8) != 0 || len <= 8 + sl ||
		    strcmp(de->d_name + len - sl, suffix) != 0 || strstr(de->d_name, ".rsvd."))
			continue;
		char size[32], f[96];
		snprintf(size, sizeof(size), "%.*s", (int)(len - 8 - sl), de->d_name + 8);
		uint64_t usage = 0, max = 0, fails = 0;
		snprintf(f, sizeof(f), "hugetlb.%s.usage_in_bytes", size);
		cgfile_read_u64(&d, f, &usage);
		snprintf(f, sizeof(f), "hugetlb.%s.max_usage_in_bytes", size);
		cgfile_read_u64(&d, f, &max);
		snprintf(f, sizeof(f), "hugetlb.%s.failcnt", size);
		cgfile_read_u64(&d, f, &fails);
		json_object_set_new(h, size,
				    json_pack("{s:o, s:o, s:o}", "usage", u64(usage), "max", u64(max),
					      "failcnt", u64(fails)));
	}
	json_object_set_new(data, "hugetlb", h);
}

static int v1_stats(const struct cgroup *cg, json_t **out, cell_error **err)
{
	json_t *data = json_object();
	if (!data)
		return cell_error_set(err, ENOMEM, "out of memory");
	stats_cpu(cg, data);
	stats_memory(cg, data);
	stats_pids(cg, data);
	stats_blkio(cg, data);
	stats_hugetlb(cg, data);
	*out = data;
	return 0;
}

static int v1_oom_open(const struct cgroup *cg, struct cgroup_oom *w, cell_error **err)
{
	_cleanup_cgfile_ struct cgfile_dir d = {.fd = -1};
	int rc = open_controller(cg, "memory", &d, err);
	if (rc < 0)
		return rc;
	if (d.fd < 0)
		return missing("events", "memory", err);
	w->aux_fd = openat(d.fd, "memory.oom_control", O_RDONLY | O_CLOEXEC);
	if (w->aux_fd < 0)
		return cell_error_errno(err, errno, "open %s/memory.oom_control", d.path);
	w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->fd < 0)
		return cell_error_errno(err, errno, "eventfd");
	/* The v1 notification API: "<eventfd> <fd of memory.oom_control>". */
	return cgfile_writef(&d, "cgroup.event_control", err, "%d %d", w->fd, w->aux_fd);
}

static int v1_oom_read(struct cgroup_oom *w, uint64_t *kills)
{
	uint64_t n = 0;
	*kills = 0;
	if (read(w->fd, &n, sizeof(n)) != sizeof(n))
		return errno == EAGAIN ? 0 : -errno;
	/* The eventfd also fires when the cgroup goes away. */
	char buf[256];
	if (pread(w->aux_fd, buf, sizeof(buf), 0) <= 0)
		return -ENOENT;
	*kills = n;
	return 0;
}

const struct cgroup_driver cgroup_v1_driver = {
    .name = "v1",
    .prepare = v1_prepare,
    .apply = v1_apply,
    .freeze = v1_freeze,
    .is_frozen = v1_is_frozen,
    .stats = v1_stats,
    .oom_open = v1_oom_open,
    .oom_read = v1_oom_read,
};
