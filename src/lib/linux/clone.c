#include "clone.h"

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* clone3's arguments up to cgroup (CLONE_ARGS_SIZE_VER2). */
struct clone_args_v2 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};

pid_t clone_process(struct clone_request *req)
{
	struct clone_args_v2 args = {
	    .flags = req->flags | (req->pidfd ? CLONE_PIDFD : 0),
	    .pidfd = (uint64_t)(uintptr_t)req->pidfd,
	    .exit_signal = (uint64_t)req->exit_signal,
	};
	req->into_cgroup_refused = 0;
	if (req->cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)req->cgroup_fd;
	}
	long pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0 && (args.flags & CLONE_INTO_CGROUP)) {
		args.flags &= ~CLONE_INTO_CGROUP;
		args.cgroup = 0;
		req->into_cgroup_refused = errno;
		pid = syscall(SYS_clone3, &args, sizeof(args));
	}
	return pid < 0 ? -errno : (pid_t)pid;
}
