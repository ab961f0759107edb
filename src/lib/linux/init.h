/* The container-init sequence: what the cloned child does between clone3()
 * and execve(). Everything it needs is prepared by the parent in an
 * init_plan before the clone (parsed, opened, computed), so the child only
 * makes system calls and reports failures over the sync socket. */
#pragma once

#include <stdbool.h>

#include "caps.h"
#include "lsm.h"
#include "mounts.h"
#include "seccomp.h"
#include "spec/config.h"

struct init_plan {
	const struct oci_config *config;
	const char *id;
	int sync_fd;        /* the child's end of the socketpair */
	int start_fd;       /* create: the exec fifo, opened O_RDWR; run: -1 (start over sync_fd) */
	const char *rootfs; /* absolute host path of the root file system */
	struct mount_plan *mounts;
	size_t n_mounts;
	bool dev_from_host; /* /dev is bound from the host: leave it alone */
	bool in_userns;     /* in a user namespace (ours, or the caller's): no mknod, no sysfs */
	int *device_fds;    /* nodes made by devices_prepare_detached(), one per linux.devices */
	struct cgroup_mount_info cgroup;
	/* The `tasks` files of our v1 cgroups, opened by the runtime: we
	 * write "0" to each, which moves us without the system-wide lock a
	 * move by pid takes (cgroup/cgroup.h, struct cgroup_join). */
	const int *cgroup_tasks_fds;
	char *const *cgroup_tasks_names;
	size_t n_cgroup_tasks;
	int ns_fds[OCI_NS_TYPES]; /* namespaces to join, -1 for none */
	bool two_stage;
	bool no_pivot;
	bool no_new_keyring;
	int preserve_fds; /* fds 3 .. 3+n-1 go to the process */
	bool keep_groups; /* annotation run.oci.keep_original_groups */
	/* An unprivileged runtime writes the id maps of our new user namespace
	 * itself, through /proc/PID, which needs us dumpable until it is done. */
	bool dumpable_until_go;
	struct caps_plan caps;
	struct lsm_plan lsm;
	struct seccomp_plan seccomp;
	/* The state given to createContainer and startContainer hooks, as a
	 * JSON object without "pid", which the init adds. */
	const char *hook_state_creating;
	const char *hook_state_created;
	char *const *env; /* the process's environment */
};

/* Runs in the cloned child; never returns. */
_Noreturn void container_init(struct init_plan *plan);
