/* Image references as Docker and Podman parse them:
 *
 *   busybox                       → docker.io/library/busybox:latest
 *   quay.io/ns/app:1.2            → quay.io/ns/app:1.2
 *   localhost:5000/app@sha256:…   → a digest, no tag
 *
 * The domain is the first component when it holds a '.' or a ':', or is
 * "localhost"; otherwise docker.io, where a single component lives in
 * "library/". */
#pragma once

#include <stdbool.h>

#include "base/error.h"

struct reference {
	char *domain; /* "docker.io", "localhost:5000" */
	char *path;   /* "library/busybox", "ns/app" */
	char *tag;    /* NULL when a digest is given without a tag */
	char *digest; /* "sha256:…" or NULL */
};

/* Parse s. Without a domain, default_domain is used (NULL: docker.io). */
int reference_parse(const char *s, const char *default_domain, struct reference *out, cell_error **err);

/* True if s names its domain explicitly (for short-name resolution). */
bool reference_has_domain(const char *s);

/* "domain/path:tag" (or "@digest"); a new string. */
char *reference_string(const struct reference *r);

/* "domain/path" */
char *reference_name(const struct reference *r);

void reference_clear(struct reference *r);
