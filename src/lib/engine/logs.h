/* `cell logs`: a container's output from its k8s-file log, rotated files
 * first, with --tail, --since/--until, -t and -f (which follows the file
 * across rotations until the container stops). stdout records go to our
 * stdout, stderr ones to our stderr. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "engine.h"

struct logs_options {
	bool follow;
	int64_t tail;     /* the last N lines; -1: all */
	int64_t since_ns; /* 0: from the start */
	int64_t until_ns; /* 0: to the end */
	bool timestamps;
};

int engine_logs(struct engine *e, const char *ref, const struct logs_options *o, cell_error **err);
