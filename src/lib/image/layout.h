/* The OCI image layout's bookkeeping: the oci-layout marker and index.json,
 * whose descriptors name the store's images through the
 * org.opencontainers.image.ref.name annotation ("localhost/busybox:latest");
 * an image without a name keeps a descriptor without that annotation. The
 * index is replaced atomically (write-temp, fsync, rename). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

/* Create oci-layout and an empty index.json where missing. */
int layout_init(int rootfd, const char *root, cell_error **err);

/* Read and check index.json: an index whose manifests are descriptors. */
int layout_index_read(int rootfd, const char *root, json_t **index, cell_error **err);
int layout_index_write(int rootfd, const char *root, json_t *index, cell_error **err);

/* Accessors of one descriptor of index.manifests. */
const char *layout_entry_name(const json_t *desc);
const char *layout_entry_digest(const json_t *desc);

/* The descriptor naming name, or NULL. */
json_t *layout_find_name(json_t *index, const char *name);

/* Point name at the manifest (taking it from another image if it had it).
 * An unnamed descriptor of the same manifest is dropped. */
int layout_set_name(json_t *index, const char *name, const char *digest, const char *media_type,
		    int64_t size);

/* Drop name; when it was the manifest's last one and keep_dangling, leave
 * an unnamed descriptor so that the image stays. */
int layout_remove_name(json_t *index, const char *name, bool keep_dangling);

/* Add an unnamed descriptor unless the manifest already has one. */
int layout_add_unnamed(json_t *index, const char *digest, const char *media_type, int64_t size);

/* Drop every descriptor of the manifest. */
void layout_remove_digest(json_t *index, const char *digest);

/* Names of a manifest, in index order (NULL-terminated, strings borrowed). */
const char **layout_names_of(json_t *index, const char *digest);
