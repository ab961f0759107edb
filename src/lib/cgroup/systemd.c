#include "systemd.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <time.h>

#include "base/cleanup.h"

#define SD_DEST  "org.freedesktop.systemd1"
#define SD_PATH  "/org/freedesktop/systemd1"
#define SD_IFACE "org.freedesktop.systemd1.Manager"

/* How long a job of systemd may take. */
#define JOB_TIMEOUT_USEC (30ULL * 1000000ULL)

/* libsystemd is loaded only when a systemd cgroup is asked for: most runs
 * never need it, and linking it would load it (and the libraries it pulls
 * in) into every cellrt. Each pointer has its function's name and type. */
static struct {
	int (*sd_bus_call)(sd_bus *, sd_bus_message *, uint64_t, sd_bus_error *, sd_bus_message **);
	int (*sd_bus_call_method)(sd_bus *, const char *, const char *, const char *, const char *,
				  sd_bus_error *, sd_bus_message **, const char *, ...);
	void (*sd_bus_error_free)(sd_bus_error *);
	int (*sd_bus_error_has_name)(const sd_bus_error *, const char *);
	int (*sd_bus_error_is_set)(const sd_bus_error *);
	sd_bus *(*sd_bus_flush_close_unref)(sd_bus *);
	int (*sd_bus_match_signal)(sd_bus *, sd_bus_slot **, const char *, const char *, const char *,
				   const char *, sd_bus_message_handler_t, void *);
	int (*sd_bus_message_append)(sd_bus_message *, const char *, ...);
	int (*sd_bus_message_close_container)(sd_bus_message *);
	int (*sd_bus_message_new_method_call)(sd_bus *, sd_bus_message **, const char *, const char *,
					      const char *, const char *);
	int (*sd_bus_message_open_container)(sd_bus_message *, char, const char *);
	int (*sd_bus_message_read)(sd_bus_message *, const char *, ...);
	sd_bus_message *(*sd_bus_message_unref)(sd_bus_message *);
	int (*sd_bus_open_system)(sd_bus **);
	int (*sd_bus_process)(sd_bus *, sd_bus_message **);
	sd_bus_slot *(*sd_bus_slot_unref)(sd_bus_slot *);
	int (*sd_bus_wait)(sd_bus *, uint64_t);
} sdbus;
static bool sdbus_loaded;

#define SDBUS_SYMBOL(name)                                                                                   \
	{                                                                                                    \
#name, (void **)&sdbus.name                                                                  \
	}
static const struct {
	const char *name;
	void **slot;
} sdbus_symbols[] = {
    SDBUS_SYMBOL(sd_bus_call),
    SDBUS_SYMBOL(sd_bus_call_method),
    SDBUS_SYMBOL(sd_bus_error_free),
    SDBUS_SYMBOL(sd_bus_error_has_name),
    SDBUS_SYMBOL(sd_bus_error_is_set),
    SDBUS_SYMBOL(sd_bus_flush_close_unref),
    SDBUS_SYMBOL(sd_bus_match_signal),
    SDBUS_SYMBOL(sd_bus_message_append),
    SDBUS_SYMBOL(sd_bus_message_close_container),
    SDBUS_SYMBOL(sd_bus_message_new_method_call),
    SDBUS_SYMBOL(sd_bus_message_open_container),
    SDBUS_SYMBOL(sd_bus_message_read),
    SDBUS_SYMBOL(sd_bus_message_unref),
    SDBUS_SYMBOL(sd_bus_open_system),
    SDBUS_SYMBOL(sd_bus_process),
    SDBUS_SYMBOL(sd_bus_slot_unref),
    SDBUS_SYMBOL(sd_bus_wait),
};

static int sdbus_load(cell_error **err)
{
	if (sdbus_loaded)
		return 0;
	void *h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return cell_error_set(err, ENOTSUP,
				      "systemd cgroups need libsystemd.so.0: "
				      "%s",
				      dlerror());
	for (size_t i = 0; i < ARRAY_SIZE(sdbus_symbols); i++) {
		void *sym = dlsym(h, sdbus_symbols[i].name);
		if (!sym)
			return cell_error_set(err, ENOTSUP,
					      "libsystemd.so.0 lacks "
					      "%s",
					      sdbus_symbols[i].name);
		*sdbus_symbols[i].slot = sym;
	}
	sdbus_loaded = true;
	return 0;
}

static void bus_unrefp(sd_bus **b)
{
	if (*b)
		sdbus.sd_bus_flush_close_unref(*b);
}

static void message_unrefp(sd_bus_message **m)
{
	if (*m)
		sdbus.sd_bus_message_unref(*m);
}

static void slot_unrefp(sd_bus_slot **s)
{
	if (*s)
		sdbus.sd_bus_slot_unref(*s);
}

bool cgroup_systemd_available(void)
{
	return sdbus_load(NULL) == 0;
}

bool cgroup_systemd_running(void)
{
	struct stat st;
	return lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

/* "a-b-c.slice" as its cgroup path "/a.slice/a-b.slice/a-b-c.slice"; the
 * root slice "-.slice" is "". */
static int slice_path(const char *slice, char *buf, size_t len, cell_error **err)
{
	size_t n = strlen(slice);
	if (n < 7 || strcmp(slice + n - 6, ".slice") != 0 || strchr(slice, '/'))
		return cell_error_set(err, EINVAL, "linux.cgroupsPath: \"%s\" is not a slice unit name",
				      slice);
	buf[0] = '\0';
	if (strcmp(slice, "-.slice") == 0)
		return 0;
	size_t base = n - 6, used = 0;
	if (slice[0] == '-' || slice[base - 1] == '-' || strstr(slice, "--"))
		return cell_error_set(err, EINVAL, "linux.cgroupsPath: \"%s\" is not a valid slice name",
				      slice);
	for (size_t i = 0; i <= base; i++) {
		if (i < base && slice[i] != '-')
			continue;
		int w = snprintf(buf + used, len - used, "/%.*s.slice", (int)i, slice);
		if (w < 0 || (size_t)w >= len - used)
			return cell_error_set(err, ENAMETOOLONG,
					      "linux.cgroupsPath: slice \"%s\" is too long", slice);
		used += (size_t)w;
	}
	return 0;
}

int cgroup_systemd_resolve(const char *cgroups_path, const char *id, struct cgroup **out, cell_error **err)
{
	char def[1200];
	const char *spec = cgroups_path;
	if (!spec || !*spec) {
		snprintf(def, sizeof(def), "system.slice:cellrt:%s", id);
		spec = def;
	}
	if (!cgroup_systemd_running()) {
		char comm[64] = "?";
		FILE *f = fopen("/proc/1/comm", "re");
		if (f) {
			if (fgets(comm, sizeof(comm), f))
				comm[strcspn(comm, "\n")] = '\0';
			fclose(f);
		}
		return cell_error_set(
		    err, ENOTSUP,
		    "--systemd-cgroup: systemd is not running on this host (PID 1 is \"%s\", "
		    "there is no /run/systemd/system); use the cgroupfs manager",
		    comm);
	}
	const char *c1 = strchr(spec, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c2 || strchr(c2 + 1, ':') || !c2[1])
		return cell_error_set(err, EINVAL,
				      "linux.cgroupsPath: \"%s\" is not slice:prefix:name, the form systemd "
				      "cgroups take",
				      spec);
	char slice[512], unit[768], path[2048];
	snprintf(slice, sizeof(slice), "%.*s", (int)(c1 - spec), spec);
	if (!*slice)
		snprintf(slice, sizeof(slice), "system.slice");
	int prefix_len = (int)(c2 - c1 - 1);
	if (prefix_len > 0)
		snprintf(unit, sizeof(unit), "%.*s-%s.scope", prefix_len, c1 + 1, c2 + 1);
	else
		snprintf(unit, sizeof(unit), "%s.scope", c2 + 1);
	if (strchr(unit, '/'))
		return cell_error_set(err, EINVAL, "linux.cgroupsPath: \"%s\": a unit name has no '/'", spec);
	int r = slice_path(slice, path, sizeof(path), err);
	if (r < 0)
		return r;
	size_t used = strlen(path);
	snprintf(path + used, sizeof(path) - used, "/%s", unit);
	struct cgroup *cg = NULL;
	if ((r = cgroup_resolve(path, id, &cg, err)) < 0)
		return r;
	cg->systemd_unit = strdup(unit);
	cg->systemd_slice = strdup(slice);
	if (!cg->systemd_unit || !cg->systemd_slice) {
		cgroup_free(cg);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	*out = cg;
	return 0;
}

/* The limits systemd keeps as properties of the unit. */
static int append_resources(sd_bus_message *m, const struct cgroup *cg, const struct cgroup_resources *r)
{
	int rc = 0;
	if (r->has_memory_limit)
		rc =
		    sdbus.sd_bus_message_append(m, "(sv)", "MemoryMax", "t",
						r->memory_limit < 0 ? UINT64_MAX : (uint64_t)r->memory_limit);
	if (rc >= 0 && r->has_pids_limit)
		rc = sdbus.sd_bus_message_append(m, "(sv)", "TasksMax", "t",
						 r->pids_limit < 0 ? UINT64_MAX : (uint64_t)r->pids_limit);
	if (rc >= 0 && r->has_cpu_shares) {
		if (cg->layout == CGROUP_LAYOUT_V2)
			rc = sdbus.sd_bus_message_append(m, "(sv)", "CPUWeight", "t",
							 cgroup_shares_to_weight(r->cpu_shares));
		else
			rc = sdbus.sd_bus_message_append(m, "(sv)", "CPUShares", "t", r->cpu_shares);
	}
	if (rc >= 0 && r->has_cpu_quota && r->cpu_quota > 0) {
		uint64_t period = r->has_cpu_period ? r->cpu_period : 100000;
		rc = sdbus.sd_bus_message_append(m, "(sv)", "CPUQuotaPerSecUSec", "t",
						 (uint64_t)r->cpu_quota * 1000000ULL / period);
	}
	return rc;
}

static int bus_fail(cell_error **err, int r, const sd_bus_error *e, const char *what, const char *unit)
{
	if (e && sdbus.sd_bus_error_is_set(e))
		return cell_error_set(err, -r > 0 ? -r : EIO, "systemd: %s %s: %s", what, unit,
				      e->message ? e->message : e->name);
	return cell_error_errno(err, -r, "systemd: %s %s", what, unit);
}

static int bus_open(sd_bus **bus, cell_error **err)
{
	int r = sdbus_load(err);
	if (r < 0)
		return r;
	r = sdbus.sd_bus_open_system(bus);
	if (r < 0)
		return cell_error_errno(err, -r, "systemd: connect to the system bus");
	return 0;
}

struct job_wait {
	const char *job;
	bool done;
	char result[64];
};

static int on_job_removed(sd_bus_message *m, void *data, sd_bus_error *e)
{
	struct job_wait *w = data;
	uint32_t id;
	const char *path = NULL, *unit = NULL, *result = NULL;
	if (sdbus.sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
		return 0;
	if (w->job && path && strcmp(path, w->job) == 0) {
		w->done = true;
		snprintf(w->result, sizeof(w->result), "%s", result ? result : "");
	}
	return 0;
}

int cgroup_systemd_start(const struct cgroup *cg, pid_t pid, const struct cgroup_resources *r, const char *id,
			 cell_error **err)
{
	_cleanup_(bus_unrefp) sd_bus *bus = NULL;
	_cleanup_(message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(slot_unrefp) sd_bus_slot *slot = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct job_wait w = {0};
	const char *unit = cg->systemd_unit;
	int rc = bus_open(&bus, err);
	if (rc < 0)
		return rc;
	char desc[1200];
	snprintf(desc, sizeof(desc), "cellrt container %s", id);
	/* Subscribe before asking, or the job may end unseen. */
	rc = sdbus.sd_bus_match_signal(bus, &slot, SD_DEST, SD_PATH, SD_IFACE, "JobRemoved", on_job_removed,
				       &w);
	if (rc >= 0)
		rc = sdbus.sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_IFACE,
							  "StartTransientUnit");
	if (rc >= 0)
		rc = sdbus.sd_bus_message_append(m, "ss", unit, "fail");
	if (rc >= 0)
		rc = sdbus.sd_bus_message_open_container(m, 'a', "(sv)");
	if (rc >= 0)
		rc = sdbus.sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)", "Description", "s", desc, "Slice",
						 "s", cg->systemd_slice, "Delegate", "b", 1,
						 "DefaultDependencies", "b", 0, "CollectMode", "s",
						 "inactive-or-failed");
	if (rc >= 0)
		rc = sdbus.sd_bus_message_append(m, "(sv)", "PIDs", "au", 1, (uint32_t)pid);
	if (rc >= 0)
		rc = append_resources(m, cg, r);
	if (rc >= 0)
		rc = sdbus.sd_bus_message_close_container(m);
	if (rc >= 0)
		rc = sdbus.sd_bus_message_append(m, "a(sa(sv))", 0);
	if (rc < 0)
		return cell_error_errno(err, -rc, "systemd: build the request for %s", unit);
	rc = sdbus.sd_bus_call(bus, m, JOB_TIMEOUT_USEC, &e, &reply);
	if (rc < 0) {
		rc = bus_fail(err, rc, &e, "start", unit);
		sdbus.sd_bus_error_free(&e);
		return rc;
	}
	if ((rc = sdbus.sd_bus_message_read(reply, "o", &w.job)) < 0)
		return cell_error_errno(err, -rc, "systemd: start %s: read the job", unit);
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!w.done) {
		rc = sdbus.sd_bus_process(bus, NULL);
		if (rc < 0)
			return cell_error_errno(err, -rc, "systemd: start %s: wait for the job", unit);
		if (rc > 0)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &now);
		uint64_t spent = (uint64_t)(now.tv_sec - t0.tv_sec) * 1000000ULL +
				 (uint64_t)(now.tv_nsec - t0.tv_nsec) / 1000;
		if (spent >= JOB_TIMEOUT_USEC)
			return cell_error_set(err, ETIMEDOUT, "systemd: start %s: the job did not finish",
					      unit);
		sdbus.sd_bus_wait(bus, JOB_TIMEOUT_USEC - spent);
	}
	if (strcmp(w.result, "done") != 0)
		return cell_error_set(err, EIO, "systemd: start %s: the job ended with \"%s\"", unit,
				      w.result);
	return 0;
}

int cgroup_systemd_set(const struct cgroup *cg, const struct cgroup_resources *r, cell_error **err)
{
	_cleanup_(bus_unrefp) sd_bus *bus = NULL;
	_cleanup_(message_unrefp) sd_bus_message *m = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int rc = bus_open(&bus, err);
	if (rc < 0)
		return rc;
	rc = sdbus.sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_IFACE, "SetUnitProperties");
	if (rc >= 0)
		rc = sdbus.sd_bus_message_append(m, "sb", cg->systemd_unit, 1);
	if (rc >= 0)
		rc = sdbus.sd_bus_message_open_container(m, 'a', "(sv)");
	if (rc >= 0)
		rc = append_resources(m, cg, r);
	if (rc >= 0)
		rc = sdbus.sd_bus_message_close_container(m);
	if (rc < 0)
		return cell_error_errno(err, -rc, "systemd: build the request for %s", cg->systemd_unit);
	rc = sdbus.sd_bus_call(bus, m, JOB_TIMEOUT_USEC, &e, NULL);
	if (rc < 0) {
		rc = bus_fail(err, rc, &e, "set the properties of", cg->systemd_unit);
		sdbus.sd_bus_error_free(&e);
	}
	return rc < 0 ? rc : 0;
}

int cgroup_systemd_stop(const struct cgroup *cg, cell_error **err)
{
	_cleanup_(bus_unrefp) sd_bus *bus = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int rc = bus_open(&bus, err);
	if (rc < 0)
		return rc;
	rc = sdbus.sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_IFACE, "StopUnit", &e, NULL, "ss",
				      cg->systemd_unit, "replace");
	if (rc < 0 && !sdbus.sd_bus_error_has_name(&e, "org.freedesktop.systemd1.NoSuchUnit")) {
		rc = bus_fail(err, rc, &e, "stop", cg->systemd_unit);
		sdbus.sd_bus_error_free(&e);
		return rc;
	}
	sdbus.sd_bus_error_free(&e);
	return 0;
}
