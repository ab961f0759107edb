/* Image config → what the engine's runtime spec takes from an image, as the
 * image-spec's conversion rules say: process.args from Entrypoint + Cmd (the
 * caller's overrides first), env, cwd, user (resolved inside the image's
 * root), annotations from Labels, StopSignal and ExposedPorts; Volumes and
 * ports for the engine to provide. */
#pragma once

#include <jansson.h>

#include "base/error.h"
#include "config.h"

struct image_run {
	json_t *process;     /* {"args", "env", "cwd", "user": {"uid", "gid", "additionalGids"?}} */
	json_t *annotations; /* labels, org.opencontainers.image.stopSignal, …exposedPorts */
	char **volumes;      /* container paths (NULL-terminated, maybe empty) */
	char **ports;        /* "80/tcp" */
	int stop_signal;     /* SIGTERM unless the image says otherwise */
};

struct image_run_overrides {
	const char *const *entrypoint; /* replaces the image's (NULL: keep) */
	const char *const *cmd;        /* replaces the image's Cmd (NULL: keep) */
	const char *user;              /* replaces User */
	const char *working_dir;
};

/* rootfd is the image's mounted root, for the user's passwd and group. */
int image_run_from_config(const struct image_config *c, int rootfd, const struct image_run_overrides *o,
			  struct image_run *out, cell_error **err);
void image_run_clear(struct image_run *r);
