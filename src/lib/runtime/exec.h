/* exec: start another process in a running (or created) container, in all of
 * its namespaces and its cgroup, with the process's capabilities, limits and
 * user; in the foreground (signals forwarded, terminal proxied, its exit
 * status returned) or detached. */
#pragma once

#include <stdbool.h>

#include "base/error.h"
#include "create.h"

struct exec_opts {
	const char *id;
	const char *process_file; /* --process: an OCI process (JSON); NULL: the container's own */
	char *const *args;        /* the command; NULL or empty with --process */
	bool tty;                 /* --tty: process.terminal */
	const char *console_socket;
	bool detach;
	const char *pid_file;
	const char *cwd;
	char *const *env;             /* KEY=VALUE each, replacing the process's KEY */
	const char *user;             /* "UID[:GID]" */
	char *const *additional_gids; /* each "GID" or "GID,GID,…" */
	char *const *caps;            /* added to bounding, effective and permitted */
	bool no_new_privs;
	const char *apparmor;
	const char *process_label;
	int preserve_fds;
	char *const *cgroups; /* "[CONTROLLER:]PATH": an existing sub-cgroup to run in */
};

/* With detach, returns once the process runs; otherwise waits, and
 * *exit_status is the process's (128+N when killed by signal N). */
int runtime_exec(const struct runtime_opts *g, const struct exec_opts *o, int *exit_status, cell_error **err);
