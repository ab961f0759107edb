/* Image archives: docker-archive (what `docker save` and `podman save`
 * write: manifest.json, configs, layer tars) and oci-archive (a tar of an OCI
 * image layout), in (load) and out (save); and import of a root file system
 * tarball as a one-layer image. */
#pragma once

#include <stdbool.h>

#include "base/error.h"
#include "manifest.h"
#include "store.h"

enum archive_format {
	ARCHIVE_DOCKER,
	ARCHIVE_OCI,
};

/* Load every image of the archive at path ("-": standard input), choosing
 * platform's manifest from multi-platform indexes (NULL: this host's).
 * loaded receives what was loaded: names, or IDs of images without one. */
int image_archive_load(struct image_store *s, const char *path, const struct platform *platform,
		       char ***loaded, cell_error **err);

/* Write the images refs name to path ("-": standard output). */
int image_archive_save(struct image_store *s, const char *const *refs, enum archive_format format,
		       const char *path, cell_error **err);

struct import_options {
	const char *name;           /* may be NULL: an image without a name */
	const char *const *changes; /* Dockerfile-like instructions: CMD, ENV, … */
	const char *message;        /* history comment */
	const struct platform *platform;
};

/* Import the tarball at path ("-": standard input; compressed or not) as a
 * new image; id receives its ID. */
int image_import(struct image_store *s, const char *path, const struct import_options *o, char *id,
		 cell_error **err);

/* Apply one --change instruction to an image config's "config" object. */
int image_apply_change(json_t *config, const char *change, cell_error **err);
