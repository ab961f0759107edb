/* What a registry answers for a manifest, judged before anything is
 * stored: the media types a pull offers, the digest (the one asked for, the
 * one the server claims, the one the bytes have), and what the document is
 * (the Content-Type, the document's own mediaType, its shape). A hostile or
 * broken registry's answer is refused here with a message that says why. */
#pragma once

#include <stddef.h>

#include "base/digest.h"
#include "base/error.h"
#include "image/manifest.h"

/* The Accept list of a pull: every manifest and index type the store
 * knows, NULL-terminated. */
extern const char *const registry_manifest_accept[];

/* Check and parse a manifest answer. content_type and header_digest
 * (Docker-Content-Digest) are the server's headers or NULL; want_digest is
 * the digest the reference named, or NULL for a tag. digest receives the
 * bytes' digest. what names the document in messages. */
int registry_manifest_check(const char *body, size_t len, const char *content_type, const char *header_digest,
			    const char *want_digest, const char *what, struct manifest *out, char *digest,
			    cell_error **err);
