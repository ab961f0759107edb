/* A container's changes to its image, as `cell diff` lists them and
 * `cell commit` packs them: A (added), C (changed), D (deleted), by path.
 * With overlay they are read from the writable layer (whiteouts are
 * deletions, opaque directories replace what was below); with vfs, the
 * container's tree is compared with its image's top layer. Trees are walked
 * by fd without following symlinks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "engine.h"

struct change {
	char kind;   /* 'A', 'C', 'D' */
	char *path;  /* absolute, in the container */
	bool opaque; /* a directory that hides everything below it in the image */
};

/* Sorted by path. */
int engine_changes(struct engine *e, const char *id, struct change **out, size_t *n, cell_error **err);
void engine_changes_free(struct change *v, size_t n);
