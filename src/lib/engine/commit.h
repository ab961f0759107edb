/* `cell commit`: a new image whose layers are the container's image's and
 * one more, the container's changes (whiteouts for what it deleted), and
 * whose config is the container's (command, environment, working
 * directory, user, labels, stop signal) with --change applied. `cell
 * export`: the container's whole file system as one tar. */
#pragma once

#include <stdbool.h>

#include "base/digest.h"
#include "base/error.h"
#include "engine.h"

struct commit_options {
	const char *name; /* REPO[:TAG], or NULL for an image without a name */
	const char *author;
	const char *message;
	const char *const *changes; /* Dockerfile-like: CMD, ENV, … */
	bool pause;                 /* freeze a running container meanwhile */
};

/* id receives the new image's ID (its config's digest). */
int engine_commit(struct engine *e, const char *ref, const struct commit_options *o, char *id,
		  cell_error **err);

/* The container's root file system as a tar into fd. */
int engine_export(struct engine *e, const char *ref, int fd, cell_error **err);
