#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/file.h"
#include "userns.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static bool time_offsets(const struct oci_config *c)
{
	return c->linux_.time_boottime.present || c->linux_.time_monotonic.present;
}

bool ns_needs_two_stages(const struct oci_config *c)
{
	bool joined_user = oci_has_namespace(c, OCI_NS_USER) && !oci_new_namespace(c, OCI_NS_USER);
	bool joined_pid = oci_has_namespace(c, OCI_NS_PID) && !oci_new_namespace(c, OCI_NS_PID);
	bool new_time = oci_new_namespace(c, OCI_NS_TIME);
	return joined_user || joined_pid || new_time;
}

unsigned long ns_clone_flags(const struct oci_config *c)
{
	unsigned long flags = 0;
	if (ns_needs_two_stages(c))
		/* Stage one creates the others itself, owned by the right user
		 * namespace; a new one of those it gets at clone time. */
		return oci_new_namespace(c, OCI_NS_USER) ? CLONE_NEWUSER : 0;
	for (int t = 0; t < OCI_NS_TYPES; t++) {
		if (t == OCI_NS_CGROUP || t == OCI_NS_TIME)
			continue;
		if (oci_new_namespace(c, (enum oci_ns_type)t))
			flags |= (unsigned long)oci_ns_clone_flags[t];
	}
	return flags;
}

void ns_close_fds(int fds[OCI_NS_TYPES])
{
	for (int t = 0; t < OCI_NS_TYPES; t++) {
		if (fds[t] >= 0)
			close(fds[t]);
		fds[t] = -1;
	}
}

int ns_open_paths(const struct oci_config *c, int fds[OCI_NS_TYPES], cell_error **err)
{
	for (int t = 0; t < OCI_NS_TYPES; t++)
		fds[t] = -1;
	for (int t = 0; t < OCI_NS_TYPES; t++) {
		const char *path = c->linux_.namespaces[t].path;
		if (!path)
			continue;
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			int r = cell_error_errno(err, errno, "linux.namespaces: open %s namespace %s",
						 oci_ns_names[t], path);
			ns_close_fds(fds);
			return r;
		}
		fds[t] = fd;
		int type = ioctl(fd, NS_GET_NSTYPE);
		if (type < 0 || type != oci_ns_clone_flags[t]) {
			int r = cell_error_set(err, EINVAL, "linux.namespaces: %s is not a %s namespace",
					       path, oci_ns_names[t]);
			ns_close_fds(fds);
			return r;
		}
	}
	return 0;
}

int ns_join(const int fds[OCI_NS_TYPES], struct init_error *e)
{
	/* user and pid were handled by stage one; mount is refused by validation. */
	static const enum oci_ns_type order[] = {OCI_NS_IPC, OCI_NS_UTS, OCI_NS_NETWORK, OCI_NS_CGROUP};
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		enum oci_ns_type t = order[i];
		if (fds[t] >= 0 && setns(fds[t], oci_ns_clone_flags[t]) < 0)
			return init_fail(e, errno, "join %s namespace", oci_ns_names[t]);
	}
	return 0;
}

static int write_time_offsets(const struct oci_config *c, struct init_error *e)
{
	char buf[128];
	int len = 0;
	const struct oci_time_offset *b = &c->linux_.time_boottime, *m = &c->linux_.time_monotonic;
	if (m->present)
		len += snprintf(buf + len, sizeof(buf) - (size_t)len, "monotonic %lld %u\n",
				(long long)m->secs, m->nanosecs);
	if (b->present)
		len += snprintf(buf + len, sizeof(buf) - (size_t)len, "boottime %lld %u\n",
				(long long)b->secs, b->nanosecs);
	_cleanup_close_ int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return init_fail(e, errno, "open /proc/self/timens_offsets");
	int r = write_all(fd, buf, (size_t)len);
	if (r < 0)
		return init_fail(e, r, "linux.timeOffsets: write /proc/self/timens_offsets");
	return 0;
}

int ns_stage_one(const struct oci_config *c, const int fds[OCI_NS_TYPES], struct init_error *e)
{
	if (fds[OCI_NS_USER] >= 0) {
		if (setns(fds[OCI_NS_USER], CLONE_NEWUSER) < 0)
			return init_fail(e, errno, "join user namespace %s",
					 c->linux_.namespaces[OCI_NS_USER].path);
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			return init_fail(e, errno, "become root in user namespace %s",
					 c->linux_.namespaces[OCI_NS_USER].path);
	}
	int flags = 0;
	for (int t = 0; t < OCI_NS_TYPES; t++) {
		if (t == OCI_NS_CGROUP || t == OCI_NS_USER)
			continue;
		if (oci_new_namespace(c, (enum oci_ns_type)t))
			flags |= oci_ns_clone_flags[t];
	}
	if (flags && unshare(flags) < 0)
		return init_fail(e, errno, "create namespaces");
	if (fds[OCI_NS_PID] >= 0 && setns(fds[OCI_NS_PID], CLONE_NEWPID) < 0)
		return init_fail(e, errno, "join pid namespace %s", c->linux_.namespaces[OCI_NS_PID].path);
	if (fds[OCI_NS_TIME] >= 0 && setns(fds[OCI_NS_TIME], CLONE_NEWTIME) < 0)
		return init_fail(e, errno, "join time namespace %s", c->linux_.namespaces[OCI_NS_TIME].path);
	if (oci_new_namespace(c, OCI_NS_TIME) && time_offsets(c))
		return write_time_offsets(c, e);
	return 0;
}

int userns_write_maps(pid_t pid, const struct oci_config *c, cell_error **err)
{
	const struct oci_linux *l = &c->linux_;
	int r =
	    userns_set_maps(pid, l->uid_mappings, l->n_uid_mappings, l->gid_mappings, l->n_gid_mappings, err);
	if (r < 0)
		return cell_error_prefix(err, "linux");
	return 0;
}
