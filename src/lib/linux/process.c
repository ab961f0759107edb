#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/file.h"
#include "base/strv.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static void format_limit(char *buf, size_t len, rlim_t v)
{
	if (v == RLIM_INFINITY)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

int process_set_rlimits(const struct oci_process *p, struct init_error *e)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		const struct oci_rlimit *l = &p->rlimits[i];
		struct rlimit rl = {.rlim_cur = (rlim_t)l->soft, .rlim_max = (rlim_t)l->hard};
		if (setrlimit(l->resource, &rl) == 0)
			continue;
		int err = errno;
		struct rlimit cur;
		char want[32], have[32];
		format_limit(want, sizeof(want), rl.rlim_max);
		if (err == EPERM && getrlimit(l->resource, &cur) == 0 && rl.rlim_max > cur.rlim_max) {
			format_limit(have, sizeof(have), cur.rlim_max);
			return init_fail(e, err,
					 "process.rlimits: %s hard limit %s is above the %s this runtime may "
					 "set (raising it needs CAP_SYS_RESOURCE)",
					 l->type, want, have);
		}
		return init_fail(e, err, "process.rlimits: set %s to soft %llu, hard %s", l->type,
				 (unsigned long long)l->soft, want);
	}
	return 0;
}

int process_set_oom_score_adj(const struct oci_process *p, struct init_error *e)
{
	if (!p->has_oom_score_adj)
		return 0;
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
	_cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return init_fail(e, errno, "process.oomScoreAdj: open /proc/self/oom_score_adj");
	int r = write_all(fd, buf, (size_t)len);
	if (r < 0)
		return init_fail(e, r, "process.oomScoreAdj: set %d", p->oom_score_adj);
	return 0;
}

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_CLASS_SHIFT 13

int process_set_io_priority(const struct oci_process *p, struct init_error *e)
{
	if (!p->has_io_priority)
		return 0;
	int prio = (p->io_priority_class << IOPRIO_CLASS_SHIFT) | p->io_priority_level;
	if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, prio) < 0)
		return init_fail(e, errno, "process.ioPriority: set class %d priority %d",
				 p->io_priority_class, p->io_priority_level);
	return 0;
}

struct sched_attr_v1 {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
};

int process_set_scheduler(const struct oci_process *p, struct init_error *e)
{
	if (!p->has_scheduler)
		return 0;
	struct sched_attr_v1 a = {
	    .size = sizeof(a),
	    .sched_policy = (uint32_t)p->sched_policy,
	    .sched_flags = p->sched_flags,
	    .sched_nice = p->sched_nice,
	    .sched_priority = (uint32_t)p->sched_priority,
	    .sched_runtime = p->sched_runtime,
	    .sched_deadline = p->sched_deadline,
	    .sched_period = p->sched_period,
	};
	if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
		return init_fail(e, errno, "process.scheduler: set policy %d", p->sched_policy);
	return 0;
}

int process_set_personality(const struct oci_linux *l, struct init_error *e)
{
	if (!l->has_personality)
		return 0;
	if (personality(l->personality) < 0)
		return init_fail(e, errno, "linux.personality: set domain");
	return 0;
}

int process_set_user(const struct oci_process *p, bool keep_groups, struct init_error *e)
{
	if (!keep_groups && setgroups(p->n_additional_gids, p->additional_gids) < 0) {
		/* A user namespace with setgroups denied cannot change groups;
		 * that is only a problem when groups were asked for. */
		if (!(errno == EPERM && p->n_additional_gids == 0))
			return init_fail(e, errno, "process.user.additionalGids: set groups");
	}
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		return init_fail(e, errno, "process.user.gid: set gid %u", p->gid);
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		return init_fail(e, errno, "process.user.uid: set uid %u", p->uid);
	return 0;
}

static bool is_executable(const char *path, int *err)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		*err = errno;
		return false;
	}
	if (S_ISDIR(st.st_mode)) {
		*err = EACCES;
		return false;
	}
	if (!(st.st_mode & 0111)) {
		*err = EACCES;
		return false;
	}
	return true;
}

int process_find_executable(const char *arg0, char *const *env, char *out, size_t len, struct init_error *e)
{
	int err = ENOENT;
	if (strchr(arg0, '/')) {
		if (!is_executable(arg0, &err))
			return init_fail(e, err, "exec: \"%s\"", arg0);
		if ((size_t)snprintf(out, len, "%s", arg0) >= len)
			return init_fail(e, ENAMETOOLONG, "exec: \"%s\"", arg0);
		return 0;
	}
	const char *path = strv_env_get(env, "PATH");
	if (!path)
		path = DEFAULT_PATH;
	int first_err = 0;
	for (const char *s = path; *s;) {
		const char *end = strchrnul(s, ':');
		size_t n = (size_t)(end - s);
		if ((size_t)snprintf(out, len, "%.*s%s%s", (int)n, s, n ? "/" : "", arg0) < len &&
		    is_executable(out, &err))
			return 0;
		if (err != ENOENT && err != ENOTDIR && !first_err)
			first_err = err;
		s = *end ? end + 1 : end;
	}
	if (first_err)
		return init_fail(e, first_err, "exec: \"%s\"", arg0);
	e->err = ENOENT;
	snprintf(e->text, sizeof(e->text), "exec: \"%s\": executable file not found in $PATH", arg0);
	return -ENOENT;
}

int process_prepare_fds(int preserve, struct init_error *e)
{
	for (int fd = 3; fd < 3 + preserve; fd++) {
		int fl = fcntl(fd, F_GETFD);
		if (fl >= 0 && (fl & FD_CLOEXEC) && fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) < 0)
			return init_fail(e, errno, "preserve fd %d", fd);
	}
	if (syscall(SYS_close_range, 3 + preserve, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		/* Kernels before 5.11: mark them one by one. */
		_cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
		if (!d)
			return init_fail(e, errno, "list open fds");
		struct dirent *de;
		while ((de = readdir(d))) {
			int fd = atoi(de->d_name);
			if (fd >= 3 + preserve && fd != dirfd(d))
				fcntl(fd, F_SETFD, FD_CLOEXEC);
		}
	}
	return 0;
}

/* Every signal back to its default, the ones glibc keeps for itself (32, 33)
 * included: whoever started the runtime may have ignored them, and an
 * ignored disposition would survive execve. */
void process_reset_signals(void)
{
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		uint64_t mask;
	} dfl = {SIG_DFL, 0, NULL, 0};
	for (int sig = 1; sig < _NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
}

int process_exec(const struct oci_process *proc, const struct caps_plan *caps, struct seccomp_plan *seccomp,
		 bool keep_groups, int preserve_fds, pid_t host_pid, const char *exe, char *const *env,
		 struct init_error *e)
{
	uint64_t eff = caps->set ? caps->sets[OCI_CAP_EFFECTIVE] : proc->uid == 0 ? ~0ULL : 0;
	bool seccomp_early = seccomp_load_before_caps(seccomp, proc->no_new_privileges, eff);
	int r;
	if ((r = caps_prepare(caps, e)) < 0)
		return r;
	if (seccomp_early && (r = seccomp_plan_load(seccomp, host_pid, e)) < 0)
		return r;
	if ((r = process_set_user(proc, keep_groups, e)) < 0 || (r = caps_apply(caps, e)) < 0)
		return r;
	if (chdir(proc->cwd) < 0)
		return init_fail(e, errno, "process.cwd: chdir %s as uid %u", proc->cwd, proc->uid);
	umask(proc->has_umask ? proc->umask : 022);
	if ((r = process_prepare_fds(preserve_fds, e)) < 0)
		return r;
	if (proc->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return init_fail(e, errno, "process.noNewPrivileges: set");
	if (!seccomp_early && (r = seccomp_plan_load(seccomp, host_pid, e)) < 0)
		return r;
	/* The death signal would outlive execve: the process must not die
	 * with the runtime that started it. */
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	execve(exe, (char *const *)proc->args, env);
	return init_fail(e, errno, "exec %s", exe);
}
