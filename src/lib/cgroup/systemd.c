#include "systemd.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/cleanup.h"
#include "dbus/dbus.h"

#define SD_DEST  "org.freedesktop.systemd1"
#define SD_PATH  "/org/freedesktop/systemd1"
#define SD_IFACE "org.freedesktop.systemd1.Manager"

/* How long a job of systemd may take. */
#define JOB_TIMEOUT_USEC (30ULL * 1000000ULL)

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
static int append_resources(struct dbus_msg *m, const struct cgroup *cg, const struct cgroup_resources *r,
			    cell_error **err)
{
	int rc = 0;
	if (r->has_memory_limit)
		rc = dbus_msg_append(m, err, "(sv)", "MemoryMax", "t",
				     r->memory_limit < 0 ? UINT64_MAX : (uint64_t)r->memory_limit);
	if (rc >= 0 && r->has_pids_limit)
		rc = dbus_msg_append(m, err, "(sv)", "TasksMax", "t",
				     r->pids_limit < 0 ? UINT64_MAX : (uint64_t)r->pids_limit);
	if (rc >= 0 && r->has_cpu_shares) {
		if (cg->layout == CGROUP_LAYOUT_V2)
			rc = dbus_msg_append(m, err, "(sv)", "CPUWeight", "t",
					     (uint64_t)cgroup_shares_to_weight(r->cpu_shares));
		else
			rc = dbus_msg_append(m, err, "(sv)", "CPUShares", "t", (uint64_t)r->cpu_shares);
	}
	if (rc >= 0 && r->has_cpu_quota && r->cpu_quota > 0) {
		uint64_t period = r->has_cpu_period && r->cpu_period ? r->cpu_period : 100000;
		rc = dbus_msg_append(m, err, "(sv)", "CPUQuotaPerSecUSec", "t",
				     (uint64_t)r->cpu_quota * 1000000ULL / period);
	}
	return rc;
}

/* A connection to the system bus and a call of systemd's manager. */
static int manager_call(struct dbus_conn **bus, const char *member, struct dbus_msg **m, cell_error **err)
{
	int rc = dbus_connect_system(bus, err);
	if (rc < 0)
		return cell_error_prefix(err, "systemd: connect to the system bus");
	return dbus_msg_new_call(SD_DEST, SD_PATH, SD_IFACE, member, m, err);
}

/* Wait for JobRemoved of job, from the peer that created it (sender, when
 * the bus names one: anyone on the bus may send us a signal), and take its
 * result. */
static int wait_job(struct dbus_conn *bus, const char *job, const char *sender, const char *unit,
		    cell_error **err)
{
	uint64_t deadline = dbus_deadline_after(JOB_TIMEOUT_USEC);
	for (;;) {
		_cleanup_dbus_msg_ struct dbus_msg *s = NULL;
		int rc = dbus_wait_signal(bus, deadline, &s, err);
		if (rc == -ETIMEDOUT)
			return cell_error_set(err, ETIMEDOUT, "systemd: start %s: the job did not finish",
					      unit);
		if (rc < 0)
			return cell_error_prefix(err, "systemd: start %s: wait for the job", unit);
		const char *iface = dbus_msg_interface(s), *member = dbus_msg_member(s),
			   *from = dbus_msg_sender(s);
		if (strcmp(iface, SD_IFACE) != 0 || strcmp(member, "JobRemoved") != 0 ||
		    strcmp(dbus_msg_path(s), SD_PATH) != 0 ||
		    (sender && (!from || strcmp(from, sender) != 0)))
			continue;
		uint32_t id;
		const char *path, *name, *result;
		if (dbus_msg_read(s, NULL, "uoss", &id, &path, &name, &result) < 0 || strcmp(path, job) != 0)
			continue;
		if (strcmp(result, "done") != 0)
			return cell_error_set(err, EIO, "systemd: start %s: the job ended with \"%s\"", unit,
					      result);
		return 0;
	}
}

int cgroup_systemd_start(const struct cgroup *cg, pid_t pid, const struct cgroup_resources *r, const char *id,
			 cell_error **err)
{
	_cleanup_dbus_conn_ struct dbus_conn *bus = NULL;
	_cleanup_dbus_msg_ struct dbus_msg *m = NULL, *reply = NULL;
	const char *unit = cg->systemd_unit;
	int rc = manager_call(&bus, "StartTransientUnit", &m, err);
	if (rc < 0)
		return rc;
	char desc[1200];
	snprintf(desc, sizeof(desc), "cellrt container %s", id);
	/* Subscribe before asking, or the job may end unseen. */
	rc = dbus_add_match(bus,
			    "type='signal',sender='" SD_DEST "',path='" SD_PATH "',interface='" SD_IFACE
			    "',member='JobRemoved'",
			    err);
	if (rc < 0)
		return cell_error_prefix(err, "systemd: start %s", unit);
	rc = dbus_msg_append(m, err, "ss", unit, "fail");
	if (rc >= 0)
		rc = dbus_msg_open(m, 'a', "(sv)", err);
	if (rc >= 0)
		rc = dbus_msg_append(m, err, "(sv)(sv)(sv)(sv)(sv)", "Description", "s", desc, "Slice", "s",
				     cg->systemd_slice, "Delegate", "b", 1, "DefaultDependencies", "b", 0,
				     "CollectMode", "s", "inactive-or-failed");
	if (rc >= 0)
		rc = dbus_msg_append(m, err, "(sv)", "PIDs", "au", 1u, (uint32_t)pid);
	if (rc >= 0)
		rc = append_resources(m, cg, r, err);
	if (rc >= 0)
		rc = dbus_msg_close(m, err);
	if (rc >= 0)
		rc = dbus_msg_append(m, err, "a(sa(sv))", 0u);
	if (rc < 0)
		return cell_error_prefix(err, "systemd: build the request for %s", unit);
	const char *job;
	if ((rc = dbus_call(bus, m, JOB_TIMEOUT_USEC, &reply, err)) < 0)
		return cell_error_prefix(err, "systemd: start %s", unit);
	if ((rc = dbus_msg_read(reply, err, "o", &job)) < 0)
		return cell_error_prefix(err, "systemd: start %s: read the job", unit);
	return wait_job(bus, job, dbus_msg_sender(reply), unit, err);
}

int cgroup_systemd_set(const struct cgroup *cg, const struct cgroup_resources *r, cell_error **err)
{
	_cleanup_dbus_conn_ struct dbus_conn *bus = NULL;
	_cleanup_dbus_msg_ struct dbus_msg *m = NULL;
	int rc = manager_call(&bus, "SetUnitProperties", &m, err);
	if (rc < 0)
		return rc;
	rc = dbus_msg_append(m, err, "sb", cg->systemd_unit, 1);
	if (rc >= 0)
		rc = dbus_msg_open(m, 'a', "(sv)", err);
	if (rc >= 0)
		rc = append_resources(m, cg, r, err);
	if (rc >= 0)
		rc = dbus_msg_close(m, err);
	if (rc < 0)
		return cell_error_prefix(err, "systemd: build the request for %s", cg->systemd_unit);
	if ((rc = dbus_call(bus, m, JOB_TIMEOUT_USEC, NULL, err)) < 0)
		return cell_error_prefix(err, "systemd: set the properties of %s", cg->systemd_unit);
	return 0;
}

int cgroup_systemd_stop(const struct cgroup *cg, cell_error **err)
{
	_cleanup_dbus_conn_ struct dbus_conn *bus = NULL;
	_cleanup_dbus_msg_ struct dbus_msg *m = NULL, *reply = NULL;
	int rc = manager_call(&bus, "StopUnit", &m, err);
	if (rc >= 0)
		rc = dbus_msg_append(m, err, "ss", cg->systemd_unit, "replace");
	if (rc < 0)
		return rc;
	rc = dbus_call(bus, m, JOB_TIMEOUT_USEC, &reply, err);
	if (rc < 0 && reply && dbus_msg_type(reply) == DBUS_ERROR &&
	    strcmp(dbus_msg_error_name(reply), "org.freedesktop.systemd1.NoSuchUnit") == 0) {
		if (err)
			cell_error_freep(err);
		return 0;
	}
	return rc < 0 ? cell_error_prefix(err, "systemd: stop %s", cg->systemd_unit) : 0;
}
