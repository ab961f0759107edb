/* The attributes of the container's process that the child sets on itself
 * before it execs: resource limits, OOM score, I/O priority, scheduler,
 * personality, the user and groups, and the lookup of the executable. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "caps.h"
#include "seccomp.h"
#include "spec/config.h"
#include "sync.h"

int process_set_rlimits(const struct oci_process *p, struct init_error *e);
int process_set_oom_score_adj(const struct oci_process *p, struct init_error *e);
int process_set_io_priority(const struct oci_process *p, struct init_error *e);
int process_set_scheduler(const struct oci_process *p, struct init_error *e);
int process_set_personality(const struct oci_linux *l, struct init_error *e);

/* setgroups (unless keep_groups), setresgid, setresuid. */
int process_set_user(const struct oci_process *p, bool keep_groups, struct init_error *e);

/* Find the executable for args[0] the way execvp would, with PATH from env
 * (or the default one), relative names resolved against the current
 * directory. Writes the path into out. */
int process_find_executable(const char *arg0, char *const *env, char *out, size_t len, struct init_error *e);

/* Every signal disposition back to its default (32 and 33 included, which
 * glibc's signal() refuses); an ignored one would survive execve. */
void process_reset_signals(void);

/* Mark fds 3 .. 3+preserve-1 inheritable and everything above close-on-exec. */
int process_prepare_fds(int preserve, struct init_error *e);

/* What the container's init and an exec'd process both do last, in this
 * order: capabilities readied, the user set, capabilities applied, the
 * working directory, umask, the fds, no_new_privs, seccomp, execve of exe.
 * seccomp comes as late as it can: the fewer system calls after it, the
 * fewer a profile must allow. Without no_new_privs loading it needs
 * CAP_SYS_ADMIN; when the process is not to keep that, the filter goes on
 * before the capabilities are dropped (as runc does), and the profile must
 * then allow the few calls that change the user and capabilities. Returns
 * only on failure. */
int process_exec(const struct oci_process *proc, const struct caps_plan *caps, struct seccomp_plan *seccomp,
		 bool keep_groups, int preserve_fds, pid_t host_pid, const char *exe, char *const *env,
		 struct init_error *e);
