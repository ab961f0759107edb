/* clone3() the way the runtime calls it: namespace and other flags, a pidfd
 * for the parent, and a cgroup to start the child in. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

struct clone_request {
	uint64_t flags;  /* CLONE_* (CLONE_PIDFD is added when pidfd is set) */
	int exit_signal; /* SIGCHLD, or 0 (with CLONE_PARENT) */
	int *pidfd;      /* receives a pidfd of the child, or NULL */
	/* A cgroup2 directory to start the child in (CLONE_INTO_CGROUP), or
	 * -1. A kernel that will not (older than 5.7, or a cgroup with
	 * controllers and children) makes the clone go on without it and sets
	 * into_cgroup_refused to its errno: the caller must move the child
	 * itself. */
	int cgroup_fd;
	int into_cgroup_refused;
};

/* Like fork(): the child's pid in the parent, 0 in the child, -errno. */
pid_t clone_process(struct clone_request *req);
