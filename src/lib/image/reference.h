/* Image references as users write them ("busybox", "localhost/app:1.0",
 * "quay.io/x/y@sha256:…"), parsed by the distribution grammar and put in
 * their full form ("docker.io/library/busybox:latest"). */
#pragma once

#include <stdbool.h>

#include "base/error.h"

enum reference_default {
	/* An unqualified name is local: "app" is "localhost/app" (Podman's tag,
	 * import, and what cell names). */
	REFERENCE_LOCALHOST,
	/* An unqualified name is Docker Hub's: "busybox" is
	 * "docker.io/library/busybox" (names in a `docker save` archive). */
	REFERENCE_DOCKER,
};

struct reference {
	char *domain; /* "localhost", "quay.io:443" */
	char *path;   /* "library/busybox" */
	char *tag;    /* NULL when only a digest was given */
	char *digest; /* NULL unless "@sha256:…" was given */
};

/* Parse s; a missing tag (and no digest) becomes "latest". */
int reference_parse(const char *s, enum reference_default def, struct reference *out, cell_error **err);

/* "domain/path:tag", or "domain/path@digest" when there is no tag. */
char *reference_format(const struct reference *r);

/* "domain/path" */
char *reference_repository(const struct reference *r);

/* True when s names no domain (its first component has no '.' or ':' and is
 * not "localhost"). */
bool reference_is_short(const char *s);

void reference_clear(struct reference *r);
