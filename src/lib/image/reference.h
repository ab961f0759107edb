/* Image references as users write them ("busybox", "localhost/app:1.0",
 * "quay.io/x/y@sha256:…"), parsed by the distribution grammar and put in
 * their full form ("docker.io/library/busybox:latest"). */
#pragma once

#include <stdbool.h>

#include "base/error.h"

enum image_ref_default {
	/* An unqualified name is local: "app" is "localhost/app" (Podman's tag,
	 * import, and what cell names). */
	IMAGE_REF_LOCALHOST,
	/* An unqualified name is Docker Hub's: "busybox" is
	 * "docker.io/library/busybox" (names in a `docker save` archive). */
	IMAGE_REF_DOCKER,
};

struct image_ref {
	char *domain; /* "localhost", "quay.io:443" */
	char *path;   /* "library/busybox" */
	char *tag;    /* NULL when only a digest was given */
	char *digest; /* NULL unless "@sha256:…" was given */
};

/* Parse s; a missing tag (and no digest) becomes "latest". */
int image_ref_parse(const char *s, enum image_ref_default def, struct image_ref *out, cell_error **err);

/* "domain/path:tag", or "domain/path@digest" when there is no tag. */
char *image_ref_format(const struct image_ref *r);

/* "domain/path" */
char *image_ref_repository(const struct image_ref *r);

/* True when s names no domain (its first component has no '.' or ':' and is
 * not "localhost"). */
bool image_ref_is_short(const char *s);

void image_ref_clear(struct image_ref *r);
