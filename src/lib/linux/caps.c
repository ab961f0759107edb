#include "caps.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/file.h"
#include "base/log.h"

static const char *const cap_names[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

int caps_known_last(void)
{
	return (int)ARRAY_SIZE(cap_names) - 1;
}

int caps_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (strcasecmp(cap_names[i], name) == 0)
			return (int)i;
	/* Accept the short form too ("SYS_ADMIN"), as engines sometimes write it. */
	for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (strcasecmp(cap_names[i] + 4, name) == 0)
			return (int)i;
	return -1;
}

const char *caps_name(int n)
{
	if (n < 0 || n > caps_known_last())
		return NULL;
	return cap_names[n];
}

int caps_kernel_last(void)
{
	static int cached = -1;
	if (cached >= 0)
		return cached;
	_cleanup_free_ char *buf = NULL;
	if (read_file_at(AT_FDCWD, "/proc/sys/kernel/cap_last_cap", 64, &buf, NULL) < 0)
		return cached = caps_known_last();
	cached = atoi(buf);
	return cached;
}

/* Capabilities the runtime itself cannot pass on: outside its own bounding
 * set (this host's runtime may lack CAP_SYS_RESOURCE, for one). No process it
 * starts can hold them, user namespace or not. */
static uint64_t caps_unavailable(int last)
{
	uint64_t all = last >= 63 ? ~0ULL : (1ULL << (last + 1)) - 1;
	/* The bounding set in one read of our status, not one prctl() per
	 * capability (forty on a run's way to its clone). */
	_cleanup_free_ char *status = NULL;
	const char *bnd = NULL;
	if (read_file_at(AT_FDCWD, "/proc/self/status", 1 << 16, &status, NULL) == 0 &&
	    (bnd = strstr(status, "\nCapBnd:")) != NULL) {
		char *end = NULL;
		errno = 0;
		unsigned long long set = strtoull(bnd + 8, &end, 16);
		if (errno == 0 && end != bnd + 8)
			return all & ~(uint64_t)set;
	}
	uint64_t out = 0;
	for (int n = 0; n <= last; n++)
		if (prctl(PR_CAPBSET_READ, n, 0, 0, 0) == 0)
			out |= 1ULL << n;
	return out;
}

/* Rules the kernel enforces at capset(), checked here so the message can
 * name the capability and the set. */
static int caps_check_consistent(const struct caps_plan *c, const char *where, cell_error **err)
{
	for (int n = 0; n <= c->last_cap; n++) {
		uint64_t bit = 1ULL << n;
		if ((c->sets[OCI_CAP_INHERITABLE] & bit) && !(c->sets[OCI_CAP_BOUNDING] & bit))
			return cell_error_set(
			    err, EINVAL,
			    "%s.capabilities.inheritable: %s is not in the bounding set, and "
			    "the kernel keeps inheritable capabilities within it",
			    where, caps_name(n));
		if ((c->sets[OCI_CAP_AMBIENT] & bit) &&
		    !((c->sets[OCI_CAP_PERMITTED] & bit) && (c->sets[OCI_CAP_INHERITABLE] & bit)))
			return cell_error_set(err, EINVAL,
					      "%s.capabilities.ambient: %s must also be permitted and "
					      "inheritable",
					      where, caps_name(n));
		if ((c->sets[OCI_CAP_EFFECTIVE] & bit) && !(c->sets[OCI_CAP_PERMITTED] & bit))
			return cell_error_set(err, EINVAL,
					      "%s.capabilities.effective: %s must also be permitted", where,
					      caps_name(n));
	}
	return 0;
}

int caps_plan_build(const struct oci_process *p, const char *where, struct caps_plan *out, cell_error **err)
{
	*out = (struct caps_plan){.set = p->has_capabilities, .last_cap = caps_kernel_last()};
	if (!p->has_capabilities)
		return 0;
	uint64_t missing = caps_unavailable(out->last_cap), warned = 0;
	for (int s = 0; s < OCI_CAP_SETS; s++) {
		const char **names = p->capabilities[s];
		for (size_t i = 0; names && names[i]; i++) {
			int n = caps_from_name(names[i]);
			if (n < 0)
				return cell_error_set(err, EINVAL,
						      "%s.capabilities.%s[%zu]: unknown capability \"%s\"",
						      where, oci_cap_set_names[s], i, names[i]);
			if (n > out->last_cap) {
				log_warning(
				    "%s.capabilities.%s: %s is not known to the running kernel; skipped",
				    where, oci_cap_set_names[s], names[i]);
				continue;
			}
			if (missing & (1ULL << n)) {
				if (!(warned & (1ULL << n)))
					log_warning(
					    "%s.capabilities: %s is not available to the runtime "
					    "(outside its bounding set); the container runs without it",
					    where, caps_name(n));
				warned |= 1ULL << n;
				continue;
			}
			out->sets[s] |= 1ULL << n;
		}
	}
	return caps_check_consistent(out, where, err);
}

int caps_prepare(const struct caps_plan *c, struct init_error *e)
{
	if (!c->set)
		return 0;
	for (int n = 0; n <= c->last_cap; n++) {
		if (c->sets[OCI_CAP_BOUNDING] & (1ULL << n))
			continue;
		if (prctl(PR_CAPBSET_DROP, n, 0, 0, 0) < 0 && errno != EINVAL)
			return init_fail(e, errno, "drop %s from the bounding set", caps_name(n));
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return init_fail(e, errno, "keep capabilities across the change of user");
	return 0;
}

/* Without process.capabilities the process keeps what the runtime has, but
 * never inheritable or ambient capabilities it did not ask for: whatever
 * the runtime's caller left in those sets would otherwise reach programs
 * the container runs (CVE-2022-29162). */
static int caps_clear_inheritable(struct init_error *e)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return init_fail(e, errno, "read capabilities");
	data[0].inheritable = data[1].inheritable = 0;
	if (syscall(SYS_capset, &hdr, data) < 0)
		return init_fail(e, errno, "clear inheritable capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return init_fail(e, errno, "clear ambient capabilities");
	return 0;
}

int caps_apply(const struct caps_plan *c, struct init_error *e)
{
	if (!c->set)
		return caps_clear_inheritable(e);
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof(data));
	for (int w = 0; w < 2; w++) {
		data[w].effective = (uint32_t)(c->sets[OCI_CAP_EFFECTIVE] >> (32 * w));
		data[w].permitted = (uint32_t)(c->sets[OCI_CAP_PERMITTED] >> (32 * w));
		data[w].inheritable = (uint32_t)(c->sets[OCI_CAP_INHERITABLE] >> (32 * w));
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return init_fail(e, errno, "set capabilities (effective, permitted, inheritable)");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return init_fail(e, errno, "clear ambient capabilities");
	for (int n = 0; n <= c->last_cap; n++) {
		if (!(c->sets[OCI_CAP_AMBIENT] & (1ULL << n)))
			continue;
		/* The kernel only raises an ambient capability that is both
		 * permitted and inheritable; runc skips the others silently,
		 * which hides config mistakes. */
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, n, 0, 0) < 0)
			return init_fail(
			    e, errno,
			    "raise ambient capability %s (it must also be permitted and inheritable)",
			    caps_name(n));
	}
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return init_fail(e, errno, "reset keep-capabilities");
	return 0;
}
