/* cgroup v2 (the unified hierarchy): resources, freezing, statistics and OOM
 * notifications through the files the kernel documents in
 * Documentation/admin-guide/cgroup-v2.rst. */
#include "v2.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "bpf_devices.h"

/* How long freeze waits for cgroup.events to say "frozen 1". */
#define FREEZE_TIMEOUT_MS 10000

int cgroup_v2_enable(const struct cgroup_dir *d, const char *const *controllers, cell_error **err)
{
	_cleanup_free_ char *rel = strdup(d->path);
	if (!rel)
		return cell_error_set(err, ENOMEM, "out of memory");
	/* Walk from the hierarchy's root down to the container's parent. */
	char dir[8192];
	snprintf(dir, sizeof(dir), "%s", d->mountpoint);
	for (char *s = rel + 1, *e;; s = e + 1) {
		struct cgfile_dir cur = {.fd = -1};
		if (cgfile_open_path(dir, &cur, err) < 0)
			return -(*err)->code;
		_cleanup_free_ char *offered = NULL;
		if (cgfile_read(&cur, "cgroup.controllers", &offered) == 0) {
			char *save = NULL;
			for (char *c = strtok_r(offered, " \n", &save); c; c = strtok_r(NULL, " \n", &save)) {
				bool wanted = !controllers;
				for (size_t i = 0; controllers && controllers[i]; i++)
					if (strcmp(controllers[i], c) == 0)
						wanted = true;
				if (!wanted)
					continue;
				char word[64];
				snprintf(word, sizeof(word), "+%s", c);
				/* EBUSY: the ancestor holds processes; ENOENT/EINVAL: it
				 * cannot give this one. The files tell later. */
				if (cgfile_write(&cur, "cgroup.subtree_control", word, NULL) < 0)
					log_debug("cgroup %s: cannot enable %s", dir, c);
			}
		}
		cgfile_close(&cur);
		if (!s || !*s)
			break;
		e = strchr(s, '/');
		if (!e)
			break; /* s is the container's own directory */
		*e = '\0';
		size_t len = strlen(dir);
		snprintf(dir + len, sizeof(dir) - len, "/%s", s);
	}
	return 0;
}

static int v2_prepare(const struct cgroup *cg, cell_error **err)
{
	const struct cgroup_dir *d = cgroup_find_unified(cg);
	return d ? cgroup_v2_enable(d, NULL, err) : 0;
}

/* A controller's files are there only once the parent enabled it. */
static int need(const struct cgfile_dir *dir, const char *file, const char *what, const char *controller,
		cell_error **err)
{
	if (cgfile_exists(dir, file))
		return 0;
	return cell_error_set(
	    err, ENOTSUP,
	    "%s: the %s controller is not available in cgroup %s (no %s; is it enabled in the "
	    "parent's cgroup.subtree_control?)",
	    what, controller, dir->path, file);
}

static int apply_memory(const struct cgfile_dir *dir, const struct cgroup_resources *r, bool update,
			cell_error **err)
{
	int rc;
	const char *what = "linux.resources.memory";
	if (!r->has_memory_limit && !r->has_memory_reservation && !r->has_memory_swap)
		return 0;
	if ((rc = need(dir, "memory.max", what, "memory", err)) < 0)
		return rc;
	if (r->has_memory_limit && update && r->check_before_update && r->memory_limit > 0) {
		uint64_t cur = 0;
		if (cgfile_read_u64(dir, "memory.current", &cur) == 0 && cur > (uint64_t)r->memory_limit)
			return cell_error_set(err, EBUSY,
					      "%s.limit: %lld is below the current usage of %llu bytes "
					      "(checkBeforeUpdate)",
					      what, (long long)r->memory_limit, (unsigned long long)cur);
	}
	if (r->has_memory_swap) {
		int64_t mem = r->has_memory_limit ? r->memory_limit : -1;
		if (!r->has_memory_limit) {
			uint64_t cur = 0;
			if (cgfile_read_u64(dir, "memory.max", &cur) == 0 && cur != UINT64_MAX)
				mem = (int64_t)cur;
		}
		char val[32];
		const char *why = NULL;
		if (!cgroup_swap_to_v2(mem, r->memory_swap, val, sizeof(val), &why))
			return cell_error_set(err, EINVAL, "%s.swap: %s", what, why);
		if (!cgfile_exists(dir, "memory.swap.max")) {
			/* Without swap accounting there is no swap to limit; only
			 * a request for some swap beyond memory is an error. */
			if (strcmp(val, "0") != 0 && strcmp(val, "max") != 0)
				return cell_error_set(err, ENOTSUP,
						      "%s.swap: this kernel does not account swap (no "
						      "memory.swap.max in %s)",
						      what, dir->path);
		} else if ((rc = cgfile_write(dir, "memory.swap.max", val, err)) < 0) {
			return rc;
		}
	}
	if (r->has_memory_limit) {
		if (r->memory_limit < 0)
			rc = cgfile_write(dir, "memory.max", "max", err);
		else
			rc = cgfile_writef(dir, "memory.max", err, "%lld", (long long)r->memory_limit);
		if (rc < 0)
			return rc;
	}
	if (r->has_memory_reservation) {
		if (r->memory_reservation < 0)
			rc = cgfile_write(dir, "memory.low", "0", err);
		else
			rc = cgfile_writef(dir, "memory.low", err, "%lld", (long long)r->memory_reservation);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int apply_cpu(const struct cgfile_dir *dir, const struct cgroup_resources *r, cell_error **err)
{
	int rc;
	const char *what = "linux.resources.cpu";
	if (r->has_rt_runtime || r->has_rt_period)
		return cell_error_set(err, ENOTSUP,
				      "%s.realtimeRuntime/realtimePeriod: cgroup v2 has no real-time CPU "
				      "controller; remove them",
				      what);
	if (r->has_cpu_shares) {
		if ((rc = need(dir, "cpu.weight", what, "cpu", err)) < 0 ||
		    (rc = cgfile_writef(dir, "cpu.weight", err, "%llu",
					(unsigned long long)cgroup_shares_to_weight(r->cpu_shares))) < 0)
			return rc;
	}
	if (r->has_cpu_quota || r->has_cpu_period) {
		if ((rc = need(dir, "cpu.max", what, "cpu", err)) < 0)
			return rc;
		/* cpu.max holds both; keep the half that is not asked for. */
		char quota[32] = "max";
		unsigned long long period = 100000;
		_cleanup_free_ char *cur = NULL;
		if (cgfile_read(dir, "cpu.max", &cur) == 0)
			sscanf(cur, "%31s %llu", quota, &period);
		if (r->has_cpu_quota) {
			if (r->cpu_quota < 0)
				snprintf(quota, sizeof(quota), "max");
			else
				snprintf(quota, sizeof(quota), "%lld", (long long)r->cpu_quota);
		}
		if (r->has_cpu_period)
			period = r->cpu_period;
		if ((rc = cgfile_writef(dir, "cpu.max", err, "%s %llu", quota, period)) < 0)
			return rc;
	}
	if (r->has_cpu_burst &&
	    ((rc = need(dir, "cpu.max.burst", what, "cpu", err)) < 0 ||
	     (rc = cgfile_writef(dir, "cpu.max.burst", err, "%llu", (unsigned long long)r->cpu_burst)) < 0))
		return rc;
	if (r->has_cpu_idle &&
	    ((rc = need(dir, "cpu.idle", what, "cpu", err)) < 0 ||
	     (rc = cgfile_writef(dir, "cpu.idle", err, "%lld", (long long)r->cpu_idle)) < 0))
		return rc;
	if (r->cpus && ((rc = need(dir, "cpuset.cpus", what, "cpuset", err)) < 0 ||
			(rc = cgfile_write(dir, "cpuset.cpus", r->cpus, err)) < 0))
		return rc;
	if (r->mems && ((rc = need(dir, "cpuset.mems", what, "cpuset", err)) < 0 ||
			(rc = cgfile_write(dir, "cpuset.mems", r->mems, err)) < 0))
		return rc;
	return 0;
}

static int apply_io(const struct cgfile_dir *dir, const struct cgroup_resources *r, cell_error **err)
{
	const char *what = "linux.resources.blockIO";
	int rc;
	/* BFQ takes blkio's 10…1000 scale as it is; io.weight wants 1…10000. */
	bool bfq = cgfile_exists(dir, "io.bfq.weight");
	bool any_weight = r->has_blkio_weight || r->n_weight_devices;
	if (any_weight && !bfq && (rc = need(dir, "io.weight", what, "io", err)) < 0)
		return rc;
	const char *wfile = bfq ? "io.bfq.weight" : "io.weight";
	if (r->has_blkio_weight) {
		uint64_t w = bfq ? r->blkio_weight : cgroup_blkio_weight_to_io_weight(r->blkio_weight);
		if ((rc = cgfile_writef(dir, wfile, err, "%llu", (unsigned long long)w)) < 0)
			return rc;
	}
	for (size_t i = 0; i < r->n_weight_devices; i++) {
		const struct cgroup_weight_device *d = &r->weight_devices[i];
		if (!d->has_weight)
			continue; /* leafWeight has no v2 counterpart */
		uint64_t w = bfq ? d->weight : cgroup_blkio_weight_to_io_weight(d->weight);
		if ((rc = cgfile_writef(dir, wfile, err, "%lld:%lld %llu", (long long)d->major,
					(long long)d->minor, (unsigned long long)w)) < 0)
			return rc;
	}
	static const char *const keys[CGROUP_THROTTLE_KINDS] = {"rbps", "wbps", "riops", "wiops"};
	for (int k = 0; k < CGROUP_THROTTLE_KINDS; k++) {
		for (size_t i = 0; i < r->n_throttle[k]; i++) {
			const struct cgroup_throttle_device *d = &r->throttle[k][i];
			if ((rc = need(dir, "io.max", what, "io", err)) < 0)
				return rc;
			char val[32];
			if (d->rate == 0)
				snprintf(val, sizeof(val), "max");
			else
				snprintf(val, sizeof(val), "%llu", (unsigned long long)d->rate);
			if ((rc = cgfile_writef(dir, "io.max", err, "%lld:%lld %s=%s", (long long)d->major,
						(long long)d->minor, keys[k], val)) < 0)
				return rc;
		}
	}
	return 0;
}

int cgroup_v2_apply_hugetlb(const struct cgfile_dir *dir, const struct cgroup_resources *r, cell_error **err)
{
	for (size_t i = 0; i < r->n_hugepages; i++) {
		const struct cgroup_hugepage_limit *h = &r->hugepages[i];
		char file[128], rsvd[128];
		snprintf(file, sizeof(file), "hugetlb.%s.max", h->page_size);
		snprintf(rsvd, sizeof(rsvd), "hugetlb.%s.rsvd.max", h->page_size);
		if (!cgfile_exists(dir, file))
			return cell_error_set(
			    err, ENOTSUP,
			    "linux.resources.hugepageLimits: no %s in cgroup %s (is the page "
			    "size %s supported, and the hugetlb controller enabled?)",
			    file, dir->path, h->page_size);
		int rc = cgfile_writef(dir, file, err, "%llu", (unsigned long long)h->limit);
		/* Reservations count against the limit too (Linux 5.7+). */
		if (rc == 0 && cgfile_exists(dir, rsvd))
			rc = cgfile_writef(dir, rsvd, err, "%llu", (unsigned long long)h->limit);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int apply_rdma(const struct cgfile_dir *dir, const struct cgroup_resources *r, const char *what,
		      cell_error **err)
{
	for (size_t i = 0; i < r->n_rdma; i++) {
		const struct cgroup_rdma_limit *l = &r->rdma[i];
		int rc = need(dir, "rdma.max", what, "rdma", err);
		if (rc < 0)
			return rc;
		char handles[32] = "", objects[32] = "";
		if (l->has_hca_handles)
			snprintf(handles, sizeof(handles), " hca_handle=%u", l->hca_handles);
		if (l->has_hca_objects)
			snprintf(objects, sizeof(objects), " hca_object=%u", l->hca_objects);
		if (!*handles && !*objects)
			continue;
		if ((rc = cgfile_writef(dir, "rdma.max", err, "%s%s%s", l->device, handles, objects)) < 0)
			return rc;
	}
	return 0;
}

int cgroup_v2_apply_unified(const struct cgfile_dir *dir, const struct cgroup_resources *r, cell_error **err)
{
	_cleanup_free_ char *controllers = NULL;
	if (r->n_unified && cgfile_read(dir, "cgroup.controllers", &controllers) < 0)
		return cell_error_errno(err, errno, "read %s/cgroup.controllers", dir->path);
	for (size_t i = 0; i < r->n_unified; i++) {
		const struct cgroup_unified_entry *u = &r->unified[i];
		const char *dot = strchr(u->key, '.');
		if (!dot || dot == u->key || !dot[1] || strchr(u->key, '/'))
			return cell_error_set(err, EINVAL,
					      "linux.resources.unified: the specified key has not the form "
					      "CONTROLLER.VALUE `%s`",
					      u->key);
		char controller[64];
		snprintf(controller, sizeof(controller), "%.*s", (int)(dot - u->key), u->key);
		if (strcmp(controller, "cgroup") != 0 && !cgfile_list_has(controllers, controller))
			return cell_error_set(
			    err, ENOTSUP,
			    "linux.resources.unified: the requested cgroup controller `%s` is not "
			    "available in cgroup %s",
			    controller, dir->path);
		int rc = cgfile_write(dir, u->key, u->value, err);
		if (rc < 0)
			return cell_error_prefix(err, "linux.resources.unified");
	}
	return 0;
}

static int v2_apply(const struct cgroup *cg, const struct cgroup_resources *r, bool update, cell_error **err)
{
	const struct cgroup_dir *d = cgroup_find_unified(cg);
	if (!d)
		return cell_error_set(err, ENOENT, "the container has no cgroup in the unified hierarchy");
	_cleanup_cgfile_ struct cgfile_dir dir = {.fd = -1};
	int rc = cgfile_open(d, &dir, err);
	if (rc < 0)
		return rc;
	if (r->has_swappiness)
		log_debug("linux.resources.memory.swappiness: cgroup v2 has none; ignored");
	if (r->has_disable_oom_killer && r->disable_oom_killer)
		log_debug("linux.resources.memory.disableOOMKiller: cgroup v2 cannot disable the OOM killer; "
			  "ignored");
	if (r->has_class_id || r->n_net_priorities)
		return cell_error_set(err, ENOTSUP,
				      "linux.resources.network: classID and priorities need the v1 net_cls "
				      "and net_prio controllers, which cgroup v2 does not have");
	if ((rc = apply_cpu(&dir, r, err)) < 0 || (rc = apply_memory(&dir, r, update, err)) < 0)
		return rc;
	if (r->has_pids_limit) {
		if ((rc = need(&dir, "pids.max", "linux.resources.pids", "pids", err)) < 0)
			return rc;
		if (r->pids_limit < 0)
			rc = cgfile_write(&dir, "pids.max", "max", err);
		else
			rc = cgfile_writef(&dir, "pids.max", err, "%lld", (long long)r->pids_limit);
		if (rc < 0)
			return rc;
	}
	if ((rc = apply_io(&dir, r, err)) < 0 || (rc = cgroup_v2_apply_hugetlb(&dir, r, err)) < 0 ||
	    (rc = apply_rdma(&dir, r, "linux.resources.rdma", err)) < 0 ||
	    (rc = cgroup_v2_apply_unified(&dir, r, err)) < 0)
		return rc;
	if (r->has_devices && (rc = bpf_devices_apply(dir.fd, dir.path, r->devices, r->n_devices, err)) < 0)
		return cell_error_prefix(err, "linux.resources.devices");
	return 0;
}

/* Wait until cgroup.events says "frozen want". */
static int wait_frozen(const struct cgfile_dir *dir, bool want, cell_error **err)
{
	_cleanup_close_ int fd = openat(dir->fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cell_error_errno(err, errno, "open %s/cgroup.events", dir->path);
	for (int waited = 0;;) {
		char buf[512];
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			return cell_error_errno(err, errno, "read %s/cgroup.events", dir->path);
		buf[n] = '\0';
		const char *f = strstr(buf, "frozen ");
		if (f && (f[7] == '1') == want)
			return 0;
		if (waited >= FREEZE_TIMEOUT_MS)
			return cell_error_set(err, ETIMEDOUT, "cgroup %s: not %s after %d ms", dir->path,
					      want ? "frozen" : "thawed", FREEZE_TIMEOUT_MS);
		/* The file signals POLLPRI when it changes. */
		struct pollfd p = {.fd = fd, .events = POLLPRI};
		poll(&p, 1, 100);
		waited += 100;
	}
}

static int v2_freeze(const struct cgroup *cg, bool frozen, cell_error **err)
{
	const struct cgroup_dir *d = cgroup_find_unified(cg);
	if (!d)
		return cell_error_set(err, ENOENT, "the container has no cgroup in the unified hierarchy");
	_cleanup_cgfile_ struct cgfile_dir dir = {.fd = -1};
	int rc = cgfile_open(d, &dir, err);
	if (rc < 0)
		return rc;
	if (!cgfile_exists(&dir, "cgroup.freeze"))
		return cell_error_set(err, ENOTSUP, "cgroup %s: this kernel cannot freeze (no cgroup.freeze)",
				      dir.path);
	if ((rc = cgfile_write(&dir, "cgroup.freeze", frozen ? "1" : "0", err)) < 0)
		return rc;
	return wait_frozen(&dir, frozen, err);
}

static bool v2_is_frozen(const struct cgroup *cg)
{
	const struct cgroup_dir *d = cgroup_find_unified(cg);
	_cleanup_cgfile_ struct cgfile_dir dir = {.fd = -1};
	if (!d || cgfile_open(d, &dir, NULL) < 0)
		return false;
	uint64_t v = 0;
	return cgfile_read_u64(&dir, "cgroup.freeze", &v) == 0 && v == 1;
}

static json_t *u64(uint64_t v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* Every "key value" line of file as an object of numbers. */
static json_t *keyed_object(const struct cgfile_dir *dir, const char *file)
{
	_cleanup_free_ char *buf = NULL;
	if (cgfile_read(dir, file, &buf) < 0)
		return NULL;
	json_t *o = json_object();
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *sp = strchr(line, ' ');
		if (!sp)
			continue;
		*sp = '\0';
		json_object_set_new(o, line, u64(strtoull(sp + 1, NULL, 10)));
	}
	return o;
}

static json_t *memory_entry(uint64_t usage, uint64_t limit, uint64_t max, uint64_t failcnt)
{
	return json_pack("{s:o, s:o, s:o, s:o}", "usage", u64(usage), "limit", u64(limit), "max", u64(max),
			 "failcnt", u64(failcnt));
}

static void stats_memory(const struct cgfile_dir *dir, json_t *data)
{
	uint64_t usage = 0, limit = UINT64_MAX, peak = 0, ooms = 0, swap = 0, swap_max = UINT64_MAX,
		 swap_peak = 0;
	if (cgfile_read_u64(dir, "memory.current", &usage) < 0)
		return;
	cgfile_read_u64(dir, "memory.max", &limit);
	cgfile_read_u64(dir, "memory.peak", &peak);
	cgfile_read_keyed(dir, "memory.events", "max", &ooms);
	cgfile_read_u64(dir, "memory.swap.current", &swap);
	cgfile_read_u64(dir, "memory.swap.max", &swap_max);
	cgfile_read_u64(dir, "memory.swap.peak", &swap_peak);
	json_t *raw = keyed_object(dir, "memory.stat");
	json_t *m = json_pack("{s:o, s:o}", "usage", memory_entry(usage, limit, peak, ooms), "swap",
			      memory_entry(swap, swap_max, swap_peak, 0));
	if (raw) {
		json_t *file = json_object_get(raw, "file");
		if (file)
			json_object_set(m, "cache", file);
		json_object_set_new(m, "raw", raw);
	}
	json_object_set_new(data, "memory", m);
}

static void stats_cpu(const struct cgfile_dir *dir, json_t *data)
{
	uint64_t usage = 0, user = 0, sys = 0, periods = 0, throttled = 0, throttled_us = 0;
	if (cgfile_read_keyed(dir, "cpu.stat", "usage_usec", &usage) < 0)
		return;
	cgfile_read_keyed(dir, "cpu.stat", "user_usec", &user);
	cgfile_read_keyed(dir, "cpu.stat", "system_usec", &sys);
	cgfile_read_keyed(dir, "cpu.stat", "nr_periods", &periods);
	cgfile_read_keyed(dir, "cpu.stat", "nr_throttled", &throttled);
	cgfile_read_keyed(dir, "cpu.stat", "throttled_usec", &throttled_us);
	json_object_set_new(data, "cpu",
			    json_pack("{s:{s:o, s:o, s:o}, s:{s:o, s:o, s:o}}", "usage", "total",
				      u64(usage * 1000), "kernel", u64(sys * 1000), "user", u64(user * 1000),
				      "throttling", "periods", u64(periods), "throttled_periods",
				      u64(throttled), "throttled_time", u64(throttled_us * 1000)));
}

static void stats_pids(const struct cgfile_dir *dir, json_t *data)
{
	uint64_t cur = 0, max = 0;
	if (cgfile_read_u64(dir, "pids.current", &cur) < 0)
		return;
	cgfile_read_u64(dir, "pids.max", &max);
	json_object_set_new(
	    data, "pids",
	    json_pack("{s:o, s:o}", "current", u64(cur), "limit", u64(max == UINT64_MAX ? 0 : max)));
}

static json_t *blkio_entry(unsigned major, unsigned minor, const char *op, uint64_t v)
{
	return json_pack("{s:i, s:i, s:s, s:o}", "major", major, "minor", minor, "op", op, "value", u64(v));
}

static void stats_io(const struct cgfile_dir *dir, json_t *data)
{
	_cleanup_free_ char *buf = NULL;
	if (cgfile_read(dir, "io.stat", &buf) < 0)
		return;
	json_t *bytes = json_array(), *ios = json_array();
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		unsigned major, minor;
		unsigned long long rb = 0, wb = 0, ri = 0, wi = 0;
		if (sscanf(line, "%u:%u", &major, &minor) != 2)
			continue;
		for (char *t = strchr(line, ' '); t && *t; t = strchr(t + 1, ' ')) {
			sscanf(t, " rbytes=%llu", &rb);
			sscanf(t, " wbytes=%llu", &wb);
			sscanf(t, " rios=%llu", &ri);
			sscanf(t, " wios=%llu", &wi);
		}
		json_array_append_new(bytes, blkio_entry(major, minor, "Read", rb));
		json_array_append_new(bytes, blkio_entry(major, minor, "Write", wb));
		json_array_append_new(ios, blkio_entry(major, minor, "Read", ri));
		json_array_append_new(ios, blkio_entry(major, minor, "Write", wi));
	}
	json_object_set_new(
	    data, "blkio",
	    json_pack("{s:o, s:o}", "ioServiceBytesRecursive", bytes, "ioServicedRecursive", ios));
}

void cgroup_v2_hugetlb_stats(const struct cgfile_dir *dir, json_t *data)
{
	_cleanup_close_ int fd = openat(dir->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dd = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dd)
		return;
	fd = -1;
	json_t *h = json_object();
	struct dirent *de;
	while ((de = readdir(dd))) {
		char size[32];
		size_t len = strlen(de->d_name);
		if (strncmp(de->d_name, "hugetlb.", 8) != 0 || len < 13 ||
		    strcmp(de->d_name + len - 8, ".current") != 0 || strstr(de->d_name, ".rsvd."))
			continue;
		snprintf(size, sizeof(size), "%.*s", (int)(len - 8 - 8), de->d_name + 8);
		char f[96];
		uint64_t usage = 0, max = 0, fails = 0;
		snprintf(f, sizeof(f), "hugetlb.%s.current", size);
		cgfile_read_u64(dir, f, &usage);
		snprintf(f, sizeof(f), "hugetlb.%s.max", size);
		cgfile_read_u64(dir, f, &max);
		snprintf(f, sizeof(f), "hugetlb.%s.events", size);
		cgfile_read_keyed(dir, f, "max", &fails);
		json_object_set_new(h, size,
				    json_pack("{s:o, s:o, s:o}", "usage", u64(usage), "max", u64(max),
					      "failcnt", u64(fails)));
	}
	closedir(dd);
	json_object_set_new(data, "hugetlb", h);
}

static int v2_stats(const struct cgroup *cg, json_t **out, cell_error **err)
{
	const struct cgroup_dir *d = cgroup_find_unified(cg);
	if (!d)
		return cell_error_set(err, ENOENT, "the container has no cgroup in the unified hierarchy");
	_cleanup_cgfile_ struct cgfile_dir dir = {.fd = -1};
	int rc = cgfile_open(d, &dir, err);
	if (rc < 0)
		return rc;
	json_t *data = json_object();
	if (!data)
		return cell_error_set(err, ENOMEM, "out of memory");
	stats_cpu(&dir, data);
	stats_memory(&dir, data);
	stats_pids(&dir, data);
	stats_io(&dir, data);
	cgroup_v2_hugetlb_stats(&dir, data);
	*out = data;
	return 0;
}

static int v2_oom_open(const struct cgroup *cg, struct cgroup_oom *w, cell_error **err)
{
	const struct cgroup_dir *d = cgroup_find_unified(cg);
	if (!d)
		return cell_error_set(err, ENOENT, "the container has no cgroup in the unified hierarchy");
	w->events_dir = cgroup_dir_path(d);
	if (!w->events_dir)
		return cell_error_set(err, ENOMEM, "out of memory");
	_cleanup_cgfile_ struct cgfile_dir dir = {.fd = -1};
	int rc = cgfile_open(d, &dir, err);
	if (rc < 0)
		return rc;
	if (cgfile_read_keyed(&dir, "memory.events", "oom_kill", &w->count) < 0)
		return cell_error_set(
		    err, ENOTSUP, "cgroup %s: no memory.events to watch (is the memory controller enabled?)",
		    dir.path);
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0)
		return cell_error_errno(err, errno, "inotify");
	char file[8300];
	snprintf(file, sizeof(file), "%s/memory.events", w->events_dir);
	if (inotify_add_watch(w->fd, file, IN_MODIFY) < 0)
		return cell_error_errno(err, errno, "watch %s", file);
	return 0;
}

static int v2_oom_read(struct cgroup_oom *w, uint64_t *kills)
{
	char buf[4096];
	while (read(w->fd, buf, sizeof(buf)) > 0)
		;
	*kills = 0;
	struct cgfile_dir dir = {.fd = -1};
	if (cgfile_open_path(w->events_dir, &dir, NULL) < 0)
		return -ENOENT;
	uint64_t now = 0;
	int rc = cgfile_read_keyed(&dir, "memory.events", "oom_kill", &now);
	cgfile_close(&dir);
	if (rc < 0)
		return rc;
	if (now > w->count)
		*kills = now - w->count;
	w->count = now;
	return 0;
}

const struct cgroup_driver cgroup_v2_driver = {
    .name = "v2",
    .prepare = v2_prepare,
    .apply = v2_apply,
    .freeze = v2_freeze,
    .is_frozen = v2_is_frozen,
    .stats = v2_stats,
    .oom_open = v2_oom_open,
    .oom_read = v2_oom_read,
};
