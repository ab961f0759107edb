/* Starting a container under its monitor, and what happens after it
 * exits.
 *
 * `cell` forks a process that will be the container's monitor; that process
 * starts a new session, becomes a subreaper, mounts the root file system,
 * wires the container's stdio (pipes, or a pty whose master it keeps),
 * listens on the attach socket, creates and starts the container through
 * libcell's runtime (so the init is its child), records the run in
 * state.json, reports to `cell` over a pipe, and execs cell-monitor, which
 * keeps all of that. After the exit, the clean-up (runtime delete, the exit
 * code into state.json, then --rm, a restart, or unmounting) runs either in
 * the foreground `cell` that owns the container's terminal or in
 * `cell container cleanup`, which the monitor execs. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "container.h"
#include "engine.h"

struct launch_request {
	bool owner;                /* the caller attaches as the owner (foreground) */
	unsigned short rows, cols; /* the caller's terminal size, for a tty (0: none) */
};

struct launch_result {
	int owner_sock; /* with req->owner: attached to the monitor from before the start */
	int64_t gen;    /* the run that started */
	int exit_code;  /* on failure: what Docker would exit with (125, 126, 127) */
};

/* Start container id (created or exited) under a new monitor. With
 * req->owner, the owner socket sees all of the output. -errno with err on
 * failure. */
int engine_launch(struct engine *e, const char *id, const struct launch_request *req,
		  struct launch_result *res, cell_error **err);

/* In the process that is to be the monitor: start id and exec cell-monitor.
 * Returns only on failure, after recording it; report_fd (or -1) gets "0"
 * or "ERRNO message". owner_fd (or -1) is handed to the monitor. */
int engine_become_monitor(struct engine *e, const char *id, int owner_fd, int report_fd, unsigned short rows,
			  unsigned short cols, cell_error **err);

/* After the run of generation gen exited: delete the runtime's container,
 * record the exit, then remove the container (--rm), restart it (its
 * policy allows, may_restart, and nobody stopped it: then this process
 * becomes its monitor and does not return), or unmount its root. The
 * client fds (attached clients the monitor handed over) are closed when
 * the clean-up is done, so that they see the end only then. */
int engine_cleanup(struct engine *e, const char *id, int64_t gen, bool may_restart, const int *client_fds,
		   size_t n_fds, cell_error **err);

/* Docker's exit status for a failure to start: 127 when the command was
 * not found, 126 when it could not be run, 125 otherwise. */
int engine_start_exit_code(const cell_error *err);
