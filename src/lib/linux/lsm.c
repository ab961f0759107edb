#include "lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/file.h"
#include "base/log.h"
#include "procfs.h"

#define SELINUX_MAGIC 0xf97cff8c

bool lsm_apparmor_active(void)
{
	struct stat st;
	if (stat("/sys/kernel/security/apparmor", &st) < 0)
		return false;
	_cleanup_free_ char *buf = NULL;
	if (read_file_at(AT_FDCWD, "/sys/module/apparmor/parameters/enabled", 16, &buf, NULL) < 0)
		return false;
	return buf[0] == 'Y';
}

bool lsm_selinux_active(void)
{
	struct statfs sfs;
	return statfs("/sys/fs/selinux", &sfs) == 0 && (unsigned long)sfs.f_type == SELINUX_MAGIC;
}

int lsm_plan_build(const struct oci_config *c, const struct oci_process *p, const char *where,
		   struct lsm_plan *out, cell_error **err)
{
	*out = (struct lsm_plan){0};
	if (p->apparmor_profile && *p->apparmor_profile) {
		if (!lsm_apparmor_active())
			return cell_error_set(
			    err, ENOTSUP,
			    "%s.apparmorProfile: \"%s\": AppArmor is not enabled on this host "
			    "(leave the profile out to run without one)",
			    where, p->apparmor_profile);
		out->apparmor_profile = p->apparmor_profile;
	}
	bool selinux = lsm_selinux_active();
	if (p->selinux_label && *p->selinux_label) {
		if (!selinux)
			return cell_error_set(
			    err, ENOTSUP,
			    "%s.selinuxLabel: \"%s\": SELinux is disabled or not supported on "
			    "this host",
			    where, p->selinux_label);
		out->selinux_label = p->selinux_label;
	}
	const char *ml = c ? c->linux_.mount_label : NULL;
	if (ml && *ml) {
		if (selinux)
			out->mount_label = ml;
		else
			log_debug("linux.mountLabel: SELinux is not enabled; ignored");
	}
	return 0;
}

/* Our own attribute file: /proc/PID/attr/... of the thread group leader,
 * which the init is (and only a task's own attributes may be written). */
static int write_attr(int procfd, const char *module, const char *attr, const char *value)
{
	char path[64];
	int r = -ENOENT;
	if (module) {
		snprintf(path, sizeof(path), "%d/attr/%s/%s", (int)getpid(), module, attr);
		r = procfs_write(procfd, path, value);
	}
	/* Kernels before 5.8 have only the shared files. */
	if (r == -ENOENT) {
		snprintf(path, sizeof(path), "%d/attr/%s", (int)getpid(), attr);
		r = procfs_write(procfd, path, value);
	}
	return r;
}

int lsm_apply_exec(const struct lsm_plan *plan, int procfd, struct init_error *e)
{
	int r;
	if (plan->apparmor_profile) {
		char buf[4096];
		if ((size_t)snprintf(buf, sizeof(buf), "exec %s", plan->apparmor_profile) >= sizeof(buf))
			return init_fail(e, ENAMETOOLONG, "process.apparmorProfile: \"%s\"",
					 plan->apparmor_profile);
		if (procfd < 0)
			return init_fail(e, procfd,
					 "process.apparmorProfile: no verified procfs to apply it");
		if ((r = write_attr(procfd, "apparmor", "exec", buf)) < 0)
			return init_fail(e, r, "process.apparmorProfile: apply \"%s\"%s",
					 plan->apparmor_profile,
					 r == -ENOENT ? " (is the profile loaded?)" : "");
	}
	if (plan->selinux_label) {
		if (procfd < 0)
			return init_fail(e, procfd, "process.selinuxLabel: no verified procfs to apply it");
		/* SELinux keeps the legacy files as its own. */
		if ((r = write_attr(procfd, NULL, "exec", plan->selinux_label)) < 0)
			return init_fail(e, r, "process.selinuxLabel: set \"%s\"", plan->selinux_label);
	}
	return 0;
}

const char *lsm_mount_data(const char *data, const char *label, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%scontext=\"%s\"", data && *data ? data : "", data && *data ? "," : "",
			 label);
	if (n < 0 || (size_t)n >= len)
		return NULL;
	return buf;
}

bool lsm_type_takes_mount_label(const char *type)
{
	static const char *const kernel_views[] = {
	    "proc", "sysfs", "cgroup", "cgroup2", "securityfs", "debugfs", "tracefs", "bpf", "selinuxfs",
	};
	if (!type)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(kernel_views); i++)
		if (strcmp(type, kernel_views[i]) == 0)
			return false;
	return true;
}
