/* Creating and running containers: `create` leaves the container "created",
 * its init blocked on the exec fifo; `run` creates, starts, and (unless
 * detached) waits, forwarding signals, and deletes. */
#pragma once

#include <stdbool.h>

#include "base/error.h"

enum cgroup_manager {
	CGROUP_MANAGER_CGROUPFS,
	CGROUP_MANAGER_SYSTEMD,
	CGROUP_MANAGER_DISABLED,
};

/* Options every command shares (runc's global flags). */
struct runtime_opts {
	const char *root;
	enum cgroup_manager cgroup_manager;
	bool rootless;
	const char *criu_path; /* --criu: the criu binary; NULL: "criu" from PATH */
};

struct restore_opts;

struct create_opts {
	const char *id;
	const char *bundle; /* NULL: the current directory */
	const char *config; /* NULL: config.json in the bundle; relative to the bundle */
	const char *pid_file;
	const char *console_socket;
	bool no_pivot;
	bool no_new_keyring;
	int preserve_fds;
	/* An engine that holds the terminal itself (no console socket): with
	 * process.terminal, the pty master lands here (the caller closes it),
	 * detached or not. */
	int *console_master;
	/* restore (checkpoint.h): criu brings the processes back instead of a
	 * new init. */
	const struct restore_opts *restore;
};

int runtime_create(const struct runtime_opts *g, const struct create_opts *o, cell_error **err);

/* With detach, returns once the process runs; otherwise *exit_status is the
 * container's (128+N when killed by signal N). keep leaves it stopped, not
 * deleted. */
int runtime_run(const struct runtime_opts *g, const struct create_opts *o, bool detach, bool keep,
		int *exit_status, cell_error **err);
