/* seccomp: linux.seccomp translated by our compiler (seccomp_bpf.h) into a
 * BPF program by the parent, before the clone, and loaded by the container's init as the
 * last step before execve. A filter with SCMP_ACT_NOTIFY rules hands its
 * notification fd to the agent at linux.seccomp.listenerPath, with the
 * container process state, as the runtime spec describes. */
#pragma once

#include <jansson.h>
#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"
#include "spec/config.h"
#include "sync.h"

/* A compiled filter: the program and what seccomp(2) needs besides it. */
struct seccomp_filter {
	struct sock_filter *prog; /* owned */
	size_t len;               /* instructions */
	unsigned int flags;       /* SECCOMP_FILTER_FLAG_* from linux.seccomp.flags */
	bool notify;              /* some rule (or the default) is SCMP_ACT_NOTIFY */
	const char *listener_path;
	const char *listener_metadata;
};

/* Translate a linux.seccomp object (where names it in messages) into a BPF
 * program. Pure: no file, socket or kernel state is touched. System call
 * names no x86 architecture knows are skipped with a debug message, and so
 * are architectures of the spec other than x86_64, x86 and x32 (no process
 * here can make their calls); unknown actions, operators, architectures and
 * flags are errors. On success out owns a program to release with seccomp_filter_free(). */
int seccomp_compile(const json_t *seccomp, const char *where, struct seccomp_filter *out, cell_error **err);
void seccomp_filter_free(struct seccomp_filter *f);

/* What this build knows, for the features document: the i-th action,
 * operator, filter flag and architecture (those a filter has a section
 * for), NULL past the end. */
const char *seccomp_action_name(size_t i);
const char *seccomp_operator_name(size_t i);
const char *seccomp_flag_name(size_t i);
const char *seccomp_arch_name(size_t i);

/* True if the running kernel takes this filter flag. */
bool seccomp_flag_supported(const char *name);

/* What the init needs to load the filter and hand the notify fd over. */
struct seccomp_plan {
	bool set;                     /* linux.seccomp given */
	struct seccomp_filter filter; /* its listener strings are not kept */
	char *listener_path;          /* for messages; NULL without notify */
	int listener_fd;              /* connected to listenerPath; -1 without notify */
	/* The container process state, split around the two pids the init fills
	 * in (its host pid is known only after the clone). */
	char *state_head; /* "ociVersion":…,"fds":[…],"metadata":… */
	char *state_body; /* the container state's fields, without "pid" */
	char *msg;        /* preallocated buffer for the whole message */
	size_t msg_size;
};

/* Parent: compile c's linux.seccomp, check the kernel has the flags and
 * actions it needs, and when it notifies, connect to the listener.
 * container_state is the OCI state of the container as a JSON object without
 * "pid". Release with seccomp_plan_release() (on failure there is nothing
 * to release; releasing again is harmless). */
int seccomp_plan_build(const struct oci_config *c, const char *container_state, struct seccomp_plan *out,
		       cell_error **err);
void seccomp_plan_release(struct seccomp_plan *p);

/* True when the filter must be loaded before the capabilities are dropped:
 * without no_new_privs, seccomp(2) wants CAP_SYS_ADMIN, and eff (bit n =
 * capability n), the effective set the process ends with, lacks it. */
bool seccomp_load_before_caps(const struct seccomp_plan *p, bool no_new_privs, uint64_t eff);

/* Child: load the filter. With notify, a helper thread that shares our fds
 * and carries no filter sends the listener fd and the process state (host_pid
 * as "pid") to the agent, so that after the load this thread makes no system
 * call before execve. */
int seccomp_plan_load(struct seccomp_plan *p, pid_t host_pid, struct init_error *e);
