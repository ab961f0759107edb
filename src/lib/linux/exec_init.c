#include "exec_init.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/file.h"
#include "clone.h"
#include "process.h"
#include "procfs.h"
#include "sync.h"
#include "terminal.h"

#define KEYCTL_JOIN_SESSION_KEYRING 1

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static void close_between(unsigned int lo, unsigned int hi)
{
	if (syscall(SYS_close_range, lo, hi, 0) == 0)
		return;
	/* Kernels before 5.9: one by one, as far as the limit goes. */
	long max = sysconf(_SC_OPEN_MAX);
	for (long fd = lo; fd <= (long)hi && fd < max; fd++)
		close((int)fd);
}

/* Close every fd from 3 up but the preserved ones and those in keep:
 * whatever the runtime had open (state directory, log file, config) stays on
 * the host's side. */
static void close_fds_except(int preserve, int *keep, size_t n)
{
	qsort(keep, n, sizeof(int), cmp_int);
	unsigned int lo = 3 + (unsigned int)preserve;
	for (size_t i = 0; i < n; i++) {
		unsigned int k = (unsigned int)keep[i];
		if (k < lo)
			continue;
		if (k > lo)
			close_between(lo, k - 1);
		lo = k + 1;
	}
	close_between(lo, ~0U);
}

static int join_namespaces(const struct exec_plan *p, struct init_error *e)
{
	if (!p->ns_flags)
		return 0;
	/* setns() on a pidfd enters them all at once, in the order the kernel
	 * knows is right (5.8 and later). */
	if (p->pidfd >= 0) {
		if (setns(p->pidfd, p->ns_flags) == 0)
			return 0;
		if (errno != EINVAL)
			return init_fail(e, errno, "join the namespaces of container %s", p->id);
	}
	/* One by one: user first, so that we hold the capabilities the others
	 * ask for in the namespace that owns them; mount last, as it changes
	 * our root. */
	static const enum oci_ns_type order[] = {OCI_NS_USER, OCI_NS_PID,  OCI_NS_CGROUP,  OCI_NS_IPC,
						 OCI_NS_UTS,  OCI_NS_TIME, OCI_NS_NETWORK, OCI_NS_MOUNT};
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		enum oci_ns_type t = order[i];
		if (p->ns_fds[t] >= 0 && setns(p->ns_fds[t], oci_ns_clone_flags[t]) < 0)
			return init_fail(e, errno, "join the %s namespace of container %s", oci_ns_names[t],
					 p->id);
	}
	return 0;
}

/* The process, after stage one: from here on we are inside every namespace
 * of the container and in its cgroup. */
static int become_process(struct exec_plan *p, pid_t host_pid, struct init_error *e)
{
	const struct oci_process *proc = p->process;
	int r;
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (setsid() < 0)
		return init_fail(e, errno, "start a new session");
	/* The container's session keyring (the init made it under the
	 * container's id), not the caller's. */
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, p->id) < 0 && errno != ENOSYS)
		return init_fail(e, errno, "join the session keyring of container %s", p->id);
	if (proc->terminal && (r = terminal_setup(proc, false, p->sync_fd, e)) < 0)
		return r;
	if ((r = process_set_rlimits(proc, e)) < 0 || (r = process_set_oom_score_adj(proc, e)) < 0 ||
	    (r = process_set_io_priority(proc, e)) < 0 || (r = process_set_scheduler(proc, e)) < 0)
		return r;
	if (chdir(proc->cwd) < 0)
		return init_fail(e, errno, "process.cwd: chdir %s", proc->cwd);
	char exe[4096];
	if ((r = process_find_executable(proc->args[0], p->env, exe, sizeof(exe), e)) < 0)
		return r;

	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	process_reset_signals();
	_cleanup_close_ int procfd = procfs_open_mounted();
	if ((r = lsm_apply_exec(&p->lsm, procfd, e)) < 0)
		return r;
	closep(&procfd);
	return process_exec(proc, &p->caps, &p->seccomp, p->keep_groups, p->preserve_fds, host_pid, exe,
			    p->env, e);
}

/* Stage one; returns only on failure (in stage one or in the process). */
static int exec_run(struct exec_plan *p, struct init_error *e)
{
	/* Before anything else: a dumpable process of ours inside the
	 * container's namespaces would let it open /proc/PID/exe (the
	 * runtime's binary) and our fds. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	for (size_t i = 0; i < p->n_cgroup_tasks; i++)
		if (write(p->cgroup_tasks_fds[i], "0", 1) < 0)
			return init_fail(e, errno, "join cgroup %s", p->cgroup_tasks_names[i]);
	int keep[OCI_NS_TYPES + 2];
	size_t n = 0;
	keep[n++] = p->sync_fd;
	if (p->pidfd >= 0)
		keep[n++] = p->pidfd;
	for (int t = 0; t < OCI_NS_TYPES; t++)
		if (p->ns_fds[t] >= 0)
			keep[n++] = p->ns_fds[t];
	close_fds_except(p->preserve_fds, keep, n);

	struct sync_msg msg;
	int r = sync_expect(p->sync_fd, SYNC_GO, &msg);
	if (r < 0)
		return init_fail(e, r, "wait for the runtime");
	if ((r = join_namespaces(p, e)) < 0)
		return r;
	for (int t = 0; t < OCI_NS_TYPES; t++)
		if (p->ns_fds[t] >= 0) {
			close(p->ns_fds[t]);
			p->ns_fds[t] = -1;
		}
	if (p->pidfd >= 0) {
		close(p->pidfd);
		p->pidfd = -1;
	}
	/* Entering a user namespace changes our credentials, and the kernel
	 * then resets dumpability to its default: set it again. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

	/* The process learns its pid as the host sees it from us (inside its
	 * pid namespace it cannot); seccomp's notify agent gets that one. */
	int pp[2];
	if (pipe2(pp, O_CLOEXEC) < 0)
		return init_fail(e, errno, "start the process in container %s", p->id);
	pid_t pid = clone_process(&(struct clone_request){.flags = CLONE_PARENT, .cgroup_fd = -1});
	if (pid < 0)
		return init_fail(e, -pid, "start the process in container %s", p->id);
	if (pid == 0) {
		pid_t host_pid = 0;
		close(pp[1]);
		if (read(pp[0], &host_pid, sizeof(host_pid)) != sizeof(host_pid))
			return init_fail(e, EPIPE, "learn the process's pid");
		close(pp[0]);
		return become_process(p, host_pid, e);
	}
	close(pp[0]);
	pid_t host_pid = (pid_t)pid;
	if (write(pp[1], &host_pid, sizeof(host_pid)) != sizeof(host_pid))
		_exit(1);
	close(pp[1]);
	r = sync_send(p->sync_fd, SYNC_PID, pid, -1);
	_exit(r < 0 ? 1 : 0);
}

_Noreturn void exec_init(struct exec_plan *p)
{
	struct init_error e = {0};
	exec_run(p, &e);
	sync_send_error(p->sync_fd, &e);
	_exit(e.err == ENOENT ? 127 : 126);
}
