/* `cell system check`: prove the store consistent. Every blob is re-hashed
 * and compared with its name, every layer's tree with its record, every
 * image's manifest, config, blobs and layers must be there and hold each
 * other; what nothing needs is orphaned, what is wrong is broken. With
 * repair, broken images (and what only they used) and orphans are removed
 * and missing references restored. */
#pragma once

#include <stdbool.h>

#include "base/error.h"
#include "store.h"

struct check_report {
	char **broken;   /* "blob sha256:…: content has digest …" */
	char **orphaned; /* "layer sha256:…: nothing uses it" */
	char **repaired; /* what --repair did */
	size_t blobs, layers, images, containers;
};

int image_store_check(struct image_store *s, bool repair, struct check_report *out, cell_error **err);
void check_report_clear(struct check_report *r);
