/* The image configuration (OCI image-spec config, the same as Docker's image
 * JSON): what the image runs and how, its root file system's diffIDs and its
 * history. Parsed with messages naming the JSON path. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/digest.h"
#include "base/error.h"

struct image_history {
	const char *created;
	const char *created_by;
	const char *comment;
	const char *author;
	bool empty_layer;
};

struct image_config {
	json_t *json; /* the document, owned; every string below is borrowed from it */
	const char *architecture, *os, *variant, *created, *author;
	/* From .config (all may be NULL). */
	const char **entrypoint, **cmd, **env, **volumes, **exposed_ports;
	const char *working_dir, *user, *stop_signal;
	json_t *labels;
	/* .rootfs.diff_ids */
	char (*diff_ids)[DIGEST_BUF];
	size_t n_diff_ids;
	struct image_history *history;
	size_t n_history;
};

int image_config_parse(const char *buf, size_t len, const char *what, struct image_config *out,
		       cell_error **err);
void image_config_clear(struct image_config *c);
