/* `cell cp`: files between a container and the host, both ways, with
 * Docker's rules for what lands where (into an existing directory, as a
 * new name, a directory's contents with "SRC/."). Symlink-safe: the
 * container's side is resolved with path_open_in_root() (RESOLVE_IN_ROOT),
 * so its symlinks — absolute ones too — stay inside the container, and
 * every file is then created or opened by fd without following a symlink
 * (O_NOFOLLOW, O_EXCL); a symlink is copied as a symlink. A running
 * container is reached in its own mount namespace (its volumes and tmpfs
 * mounts included), by a child process that joins it; a stopped one
 * through its mounted root file system. */
#pragma once

#include <stdbool.h>

#include "base/error.h"
#include "engine.h"

struct cp_request {
	const char *src, *dst; /* one of them "CONTAINER:PATH" */
	bool follow_link;      /* -L: copy what a source symlink points to */
	bool archive;          /* -a: keep owners */
};

int engine_cp(struct engine *e, const struct cp_request *req, cell_error **err);

/* Split "CONTAINER:PATH": false for a host path (no ':' before the first
 * '/', or starting with '/' or '.'). */
bool cp_split(const char *arg, char **container, char **path);
