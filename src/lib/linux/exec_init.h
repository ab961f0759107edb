/* The process that `exec` starts inside a running container: what the child
 * does between fork and execve. Everything is prepared by the parent in an
 * exec_plan (the process, its capabilities, its environment, the namespaces
 * that differ from ours, opened). The child enters the container's cgroup
 * first: through the `tasks` files the parent opened for it (v1) and by
 * being cloned into it (v2); where that was refused, the parent moves it
 * before it says go.
 *
 * The child (stage one) is made non-dumpable first and closes every fd it
 * was not given, so that nothing in the container can reach the runtime's
 * binary or a host file through it. It joins the container's namespaces, all
 * at once with setns() on the init's pidfd, or one by one, user first, on
 * kernels without that; then it clones the process (CLONE_PARENT, so the
 * runtime can wait for it) into the pid and time namespaces that only
 * children enter, reports its pid and leaves. The process sets up its
 * terminal, limits, user and capabilities and execs.
 *
 * Messages on sync_fd: SYNC_GO (parent to stage one), SYNC_PID (the
 * process's pid), SYNC_CONSOLE (the pty master, with process.terminal),
 * SYNC_ERROR; the socket closes when the process has exec'd. */
#pragma once

#include <stdbool.h>

#include "caps.h"
#include "lsm.h"
#include "seccomp.h"
#include "spec/config.h"

struct exec_plan {
	const char *id;
	const struct oci_process *process;
	struct caps_plan caps;
	char *const *env;
	int sync_fd;
	int pidfd;                /* the container's init, for setns(); -1: use ns_fds */
	int ns_flags;             /* CLONE_NEW* of the namespaces to join */
	int ns_fds[OCI_NS_TYPES]; /* the same namespaces by /proc/PID/ns, -1 for the others */
	int preserve_fds;         /* fds 3 .. 3+n-1 go to the process */
	bool keep_groups;         /* annotation run.oci.keep_original_groups */
	struct lsm_plan lsm;
	struct seccomp_plan seccomp;
	/* v1 cgroups to enter by writing "0" (cgroup/cgroup.h, struct cgroup_join) */
	const int *cgroup_tasks_fds;
	char *const *cgroup_tasks_names;
	size_t n_cgroup_tasks;
};

/* Runs in the forked child; never returns. */
_Noreturn void exec_init(struct exec_plan *p);
