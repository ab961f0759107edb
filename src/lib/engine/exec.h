/* `cell exec`: another process in a running container, through libcell's
 * runtime, in the foreground (its status returned) or detached. A user
 * given by name is looked up in the container's own /etc/passwd. */
#pragma once

#include <stdbool.h>

#include "base/error.h"
#include "engine.h"

struct engine_exec_request {
	char *const *args;
	bool tty, interactive, detach, privileged;
	char *const *env; /* KEY=VALUE */
	const char *user; /* NAME|UID[:GROUP|GID]; NULL: the container's */
	const char *workdir;
};

/* *exit_code: the process's status; on failure what Docker would exit
 * with (126, 127, or 125). */
int engine_exec(struct engine *e, const char *ref, const struct engine_exec_request *req, int *exit_code,
		cell_error **err);
