#include "init.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/path.h"
#include "clone.h"
#include "devices.h"
#include "hooks.h"
#include "namespaces.h"
#include "process.h"
#include "procfs.h"
#include "rootfs.h"
#include "sysctl.h"
#include "terminal.h"

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#define KEYCTL_JOIN_SESSION_KEYRING 1

/* Our pid as the host sees it, read before pivot_root from the host's procfs
 * (inside a new pid namespace getpid() says 1). */
static pid_t host_pid;

/* The procfs our own writes go through (sysctls, LSM labels): see procfs.h.
 * A negative errno while there is none. */
static int proc_fd = -ENOENT;

static void read_host_pid(void)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
		host_pid = (pid_t)atoi(buf);
	}
}

/* state (a JSON object) with "pid" added, for a hook's stdin. */
static int run_hooks_with_pid(const struct oci_hooks *hooks, enum oci_hook_kind kind, const char *state,
			      struct init_error *e)
{
	if (!hooks->n[kind])
		return 0;
	size_t len = strlen(state) + 32;
	char *buf = malloc(len);
	if (!buf)
		return init_fail(e, ENOMEM, "hooks.%s", oci_hook_names[kind]);
	snprintf(buf, len, "{\"pid\":%d,%s", (int)host_pid, state[0] == '{' ? state + 1 : "}");
	int r = hooks_run(hooks, kind, buf, e);
	free(buf);
	return r;
}

static int wait_for_go(struct init_plan *p, struct init_error *e)
{
	struct sync_msg msg;
	int r = sync_expect(p->sync_fd, SYNC_GO, &msg);
	if (r < 0)
		return init_fail(e, r, "wait for the runtime");
	return 0;
}

/* Stage one of a two-stage start: set up what only takes effect for
 * children, clone the init as our parent's child, report its pid, leave. */
static int stage_one(struct init_plan *p, struct init_error *e)
{
	int r = ns_stage_one(p->config, p->ns_fds, e);
	if (r < 0)
		return r;
	pid_t pid = clone_process(&(struct clone_request){.flags = CLONE_PARENT, .cgroup_fd = -1});
	if (pid < 0)
		return init_fail(e, -pid, "clone the container init");
	if (pid == 0)
		return 1; /* the init goes on */
	r = sync_send(p->sync_fd, SYNC_PID, pid, -1);
	_exit(r < 0 ? 1 : 0);
}

static int setup_namespaces(struct init_plan *p, struct init_error *e)
{
	const struct oci_config *c = p->config;
	if (oci_new_namespace(c, OCI_NS_USER) && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		return init_fail(e, errno, "become root in the new user namespace");
	int r = ns_join(p->ns_fds, e);
	if (r < 0)
		return r;
	if (c->hostname && *c->hostname && sethostname(c->hostname, strlen(c->hostname)) < 0)
		return init_fail(e, errno, "hostname: set \"%s\"", c->hostname);
	if (c->domainname && *c->domainname && setdomainname(c->domainname, strlen(c->domainname)) < 0)
		return init_fail(e, errno, "domainname: set \"%s\"", c->domainname);
	if (!p->no_new_keyring) {
		/* A session keyring of its own, so the container cannot read the
		 * caller's keys. Kernels without keyrings are fine. */
		if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, p->id) < 0 && errno != ENOSYS)
			return init_fail(e, errno, "create a session keyring");
	}
	return 0;
}

/* Where the runtime moves us into our cgroup (stage one of two, a systemd
 * scope, a kernel without CLONE_INTO_CGROUP), it does so while we build the
 * root file system: a move by pid may wait for an RCU grace period. We need
 * to be there before a cgroup namespace is made (its root is where we sit),
 * before the cgroup mount, before any fork. */
static int join_cgroup(struct init_plan *p, struct init_error *e)
{
	struct sync_msg msg;
	int r;
	/* A cgroup the runtime made after the clone comes as its tasks files,
	 * one by one: we join each ourselves, the fast way (cgroup.h). */
	for (;;) {
		int fd = -1;
		if ((r = sync_recv(p->sync_fd, &msg, &fd)) < 0)
			return init_fail(e, r, "wait for our cgroup");
		if (msg.type != SYNC_CGROUP_TASKS) {
			if (fd >= 0)
				close(fd);
			break;
		}
		const char *name = msg.arg >= 0 && (size_t)msg.arg < p->cgroup.n_sources
				       ? p->cgroup.sources[msg.arg].host_dir
				       : "(unknown)";
		if (fd < 0)
			return init_fail(e, EPROTO, "join cgroup %s: no tasks file came", name);
		ssize_t n = write(fd, "0", 1);
		int werr = errno;
		close(fd);
		if (n < 0)
			return init_fail(e, werr, "join cgroup %s", name);
	}
	if (msg.type != SYNC_CGROUP)
		return init_fail(e, EPROTO, "wait for our cgroup: message %u instead", msg.type);
	if (oci_new_namespace(p->config, OCI_NS_CGROUP) && unshare(CLONE_NEWCGROUP) < 0)
		return init_fail(e, errno, "create cgroup namespace");
	return 0;
}

static int setup_rootfs(struct init_plan *p, struct init_error *e)
{
	const struct oci_config *c = p->config;
	bool in_userns = p->in_userns;
	_cleanup_(rootfs_release_null) struct null_mounts nulls = {.fd = -1};
	int r = rootfs_prepare_null(c, &nulls, e);
	if (r < 0)
		return r;
	_cleanup_close_ int rootfd = rootfs_prepare(c, p->rootfs, e);
	if (rootfd < 0)
		return rootfd;

	unsigned long bind_prop = MS_SLAVE | MS_REC;
	if (c->linux_.rootfs_propagation && strstr(c->linux_.rootfs_propagation, "private"))
		bind_prop = MS_PRIVATE | MS_REC;
	struct mount_ctx ctx = {
	    .rootfd = rootfd,
	    .cg = &p->cgroup,
	    .in_userns = in_userns,
	    .cgroupns = oci_has_namespace(c, OCI_NS_CGROUP),
	    .bind_propagation = bind_prop,
	    .mount_label = p->lsm.mount_label,
	};
	bool joined = false;
	for (size_t i = 0; i < p->n_mounts; i++) {
		if (!joined && p->mounts[i].kind == MOUNT_KIND_CGROUP) {
			if ((r = join_cgroup(p, e)) < 0)
				return r;
			joined = true;
		}
		if ((r = mount_plan_apply(&p->mounts[i], &ctx, e)) < 0)
			return r;
	}
	if (!joined && (r = join_cgroup(p, e)) < 0)
		return r;
	if ((r = devices_setup(rootfd, c, !p->dev_from_host, in_userns, p->device_fds, e)) < 0)
		return r;

	/* The working directory exists before the process needs it. */
	_cleanup_close_ int cwd =
	    path_open_in_root(rootfd, c->process->cwd, O_PATH | O_DIRECTORY, PATH_CREATE_DIRS, 0755);
	if (cwd < 0)
		return init_fail(e, cwd, "process.cwd: create %s", c->process->cwd);

	if (c->hooks.n[OCI_HOOK_PRESTART] || c->hooks.n[OCI_HOOK_CREATE_RUNTIME]) {
		struct sync_msg msg;
		if ((r = sync_send(p->sync_fd, SYNC_HOOKS, 0, -1)) < 0)
			return init_fail(e, r, "ask the runtime to run hooks");
		if ((r = sync_expect(p->sync_fd, SYNC_HOOKS_DONE, &msg)) < 0)
			return init_fail(e, r, "wait for the runtime's hooks");
	}
	if ((r = run_hooks_with_pid(&c->hooks, OCI_HOOK_CREATE_CONTAINER, p->hook_state_creating, e)) < 0)
		return r;
	if ((r = rootfs_pivot(rootfd, p->no_pivot, e)) < 0)
		return r;
	if (c->process->terminal && (r = terminal_setup(c->process, true, p->sync_fd, e)) < 0)
		return r;
	if (proc_fd < 0)
		proc_fd = procfs_open_mounted();
	if ((r = sysctl_apply(&c->linux_, proc_fd, e)) < 0)
		return r;
	if ((r = rootfs_finish(c, &nulls, e)) < 0)
		return r;
	return rootfs_make_readonly(c, e);
}

static int setup_process(struct init_plan *p, struct init_error *e)
{
	const struct oci_process *proc = p->config->process;
	int r;
	if ((r = process_set_rlimits(proc, e)) < 0 || (r = process_set_io_priority(proc, e)) < 0 ||
	    (r = process_set_scheduler(proc, e)) < 0 ||
	    (r = process_set_personality(&p->config->linux_, e)) < 0)
		return r;
	return 0;
}

static int wait_for_start(struct init_plan *p, struct init_error *e)
{
	if (p->start_fd < 0) {
		struct sync_msg msg;
		int r = sync_expect(p->sync_fd, SYNC_START, &msg);
		if (r < 0)
			return init_fail(e, r, "wait for start");
		return 0;
	}
	/* Created: sit on the exec fifo until `start` writes its byte. We hold
	 * it read-write so that reading blocks instead of seeing an end. */
	char b;
	for (;;) {
		ssize_t n = read(p->start_fd, &b, 1);
		if (n == 1)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		return init_fail(e, n < 0 ? errno : EPIPE, "wait for start on the exec fifo");
	}
	close(p->start_fd);
	p->start_fd = -1;
	return 0;
}

static int become_process(struct init_plan *p, const char *exe, struct init_error *e)
{
	const struct oci_process *proc = p->config->process;
	int r;
	if ((r = run_hooks_with_pid(&p->config->hooks, OCI_HOOK_START_CONTAINER, p->hook_state_created, e)) <
	    0)
		return r;
	/* The runtime blocked signals to forward them; the process starts
	 * with none blocked and every handler at its default. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	process_reset_signals();
	if ((r = lsm_apply_exec(&p->lsm, proc_fd, e)) < 0)
		return r;
	if (proc_fd >= 0)
		close(proc_fd);
	proc_fd = -EBADF;

	return process_exec(proc, &p->caps, &p->seccomp, p->keep_groups, p->preserve_fds, host_pid, exe,
			    p->env, e);
}

/* Drop what the runtime's caller let us inherit beyond the preserved fds
 * (anything without close-on-exec: every fd of ours has it), so that a
 * created container does not hold the caller's pipes while it waits. */
static void close_inherited_fds(int min)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);
		if (fd < min || fd == dirfd(d))
			continue;
		int fl = fcntl(fd, F_GETFD);
		if (fl >= 0 && !(fl & FD_CLOEXEC))
			close(fd);
	}
	closedir(d);
}

static int init_run(struct init_plan *p, struct init_error *e)
{
	const struct oci_config *c = p->config;
	int r;

	/* Not dumpable: nothing in the container may open our /proc/PID/exe,
	 * which is the runtime's binary until we exec. */
	if (!p->dumpable_until_go)
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	umask(0);
	close_inherited_fds(3 + p->preserve_fds);
	/* Into our cgroup first: before anything is charged to the caller's,
	 * and while we are the one thread the kernel's fast path asks for. */
	for (size_t i = 0; i < p->n_cgroup_tasks; i++) {
		if (write(p->cgroup_tasks_fds[i], "0", 1) < 0)
			return init_fail(e, errno, "join cgroup %s", p->cgroup_tasks_names[i]);
		close(p->cgroup_tasks_fds[i]);
	}
	if ((r = wait_for_go(p, e)) < 0)
		return r;
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (p->two_stage && (r = stage_one(p, e)) <= 0)
		return r;
	if (p->two_stage)
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* A session of its own, as runc's init: nothing of the container
	 * belongs to the caller's session (criu refuses a tree whose session
	 * leader is outside it), and a terminal can become ours. */
	setsid();
	read_host_pid();
	if ((r = setup_namespaces(p, e)) < 0)
		return r;
	/* In our pid namespace now, so the instance shows our pids. */
	proc_fd = procfs_open_private();
	if ((r = process_set_oom_score_adj(c->process, e)) < 0)
		return r;
	if ((r = setup_rootfs(p, e)) < 0)
		return r;
	if ((r = setup_process(p, e)) < 0)
		return r;

	/* Find the executable now, so a typo fails `create`, not the start. */
	char exe[PATH_MAX];
	if (chdir(c->process->cwd) < 0)
		return init_fail(e, errno, "process.cwd: chdir %s", c->process->cwd);
	if ((r = process_find_executable(c->process->args[0], p->env, exe, sizeof(exe), e)) < 0)
		return r;

	/* From here on the runtime's create may return and exit. */
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if ((r = sync_send(p->sync_fd, SYNC_READY, 0, -1)) < 0)
		return init_fail(e, r, "report ready");
	if ((r = wait_for_start(p, e)) < 0)
		return r;
	return become_process(p, exe, e);
}

_Noreturn void container_init(struct init_plan *plan)
{
	struct init_error e = {0};
	init_run(plan, &e);
	/* After `create` has returned nobody listens on the socket any more;
	 * then the container's stderr is the only place left to tell. */
	if (sync_send_error(plan->sync_fd, &e) < 0)
		dprintf(STDERR_FILENO, "cellrt: container %s: %s\n", plan->id, e.text);
	_exit(e.err == ENOENT ? 127 : 126);
}
