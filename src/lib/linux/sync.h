/* The parent/child protocol between the runtime and the container init it
 * cloned. One SOCK_SEQPACKET socketpair, fixed-size messages, no allocation
 * on the child's side. The child reports a failure as (step, errno, text) and
 * the parent turns it into a cell_error and cleans up. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

enum sync_type {
	SYNC_GO = 1,       /* parent → child: id maps written: go on */
	SYNC_PID,          /* stage-1 child → parent: the init's pid (in arg) */
	SYNC_HOOKS,        /* child → parent: mounts done, run createRuntime/prestart hooks */
	SYNC_HOOKS_DONE,   /* parent → child: hooks ran */
	SYNC_READY,        /* child → parent: created, waiting for start */
	SYNC_START,        /* parent → child (run): exec the process now */
	SYNC_ERROR,        /* child → parent: failed at step with err and text */
	SYNC_CONSOLE,      /* child → parent: the pty master rides along (SCM_RIGHTS) */
	SYNC_CGROUP,       /* parent → child: you sit in your cgroup now */
	SYNC_CGROUP_TASKS, /* parent → child: a v1 hierarchy's `tasks` file rides along (SCM_RIGHTS)
			    * for the child to write "0" into; arg: its index in the plan's cgroup sources */
};

#define SYNC_TEXT_MAX 1024

struct sync_msg {
	uint32_t type;
	int32_t err; /* positive errno for SYNC_ERROR */
	int64_t arg; /* pid for SYNC_PID */
	char text[SYNC_TEXT_MAX];
};

/* Send or receive one message; fd_out/fd_in carry an optional descriptor
 * (-1 for none). Return 0 or a negative errno; -EPIPE when the peer is gone. */
int sync_send(int sock, enum sync_type type, int64_t arg, int fd);
int sync_recv(int sock, struct sync_msg *msg, int *fd_in);

/* Wait for one message of the given type. A SYNC_ERROR (or any other type) is
 * returned as -EPROTO with msg filled, so the caller can report it. */
int sync_expect(int sock, enum sync_type type, struct sync_msg *msg);

/* The child's error report, built without allocation. */
struct init_error {
	int err;
	char text[SYNC_TEXT_MAX];
};

/* Fill e with a formatted message; returns -err. */
int init_fail(struct init_error *e, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Send e to the parent. */
int sync_send_error(int sock, const struct init_error *e);
