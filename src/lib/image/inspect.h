/* What the CLI shows of images: `image inspect`'s document (Podman's field
 * names), `image history`'s rows and `system df`'s totals, as JSON. */
#pragma once

#include <jansson.h>

#include "base/error.h"
#include "store.h"

/* A new reference to the inspect document of img. */
json_t *image_inspect_json(struct image_store *s, const struct image *img);

/* Newest first: [{"id", "created", "createdBy", "size", "comment"}]; id is
 * the image's for the top entry, "<missing>" below, as Docker shows it. */
json_t *image_history_json(struct image_store *s, const struct image *img);

/* {"images": {"total", "active", "size", "reclaimable"}, "containers": {…},
 *  "blobs": {"count", "size"}, "layers": {"count", "size", "unused"}} */
int image_store_df(struct image_store *s, json_t **out, cell_error **err);
