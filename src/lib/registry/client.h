/* A session with one repository of one OCI distribution registry, over
 * libcurl: TLS (CAs from /etc/containers/certs.d/HOST/), plain HTTP where
 * registries.conf or --tls-verify=false allow it, and authentication
 * (anonymous, Basic, or Bearer tokens fetched from the WWW-Authenticate
 * challenge's realm for the scope the session needs, refreshed when they
 * expire). HTTP failures become errno codes (401/403 → EACCES, 404 → ENOENT,
 * malformed answers → EBADMSG) with the server's own words in the message. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "config.h"
#include "image/reference.h"

enum tls_verify { TLS_VERIFY_DEFAULT, TLS_VERIFY_YES, TLS_VERIFY_NO };

struct registry_opts {
	enum tls_verify tls_verify; /* DEFAULT: as registries.conf says */
	const char *certs_dir;      /* NULL: /etc/containers/certs.d */
	const char *username;       /* NULL: from the auth files */
	const char *password;
	bool push;                            /* ask for pull,push scope */
	const struct registry_config *config; /* NULL: load the default one */
};

struct registry_session;

/* Open a session for the repository of ref (nothing is sent yet). */
int registry_session_open(const struct image_ref *ref, const struct registry_opts *opts,
			  struct registry_session **out, cell_error **err);
void registry_session_free(struct registry_session *s);

/* GET /v2/: the registry is there and we may talk to it (login checks this). */
int registry_ping(struct registry_session *s, cell_error **err);

/* A manifest by tag or digest, offering every media type in accept
 * (NULL-terminated). At most 4 MiB. *media_type and *digest come from the
 * server's headers (digest may be NULL when the server does not say). */
int registry_get_manifest(struct registry_session *s, const char *tag_or_digest, const char *const *accept,
			  char **body, size_t *len, char **media_type, char **digest, cell_error **err);

/* Does the repository hold this blob? */
int registry_blob_exists(struct registry_session *s, const char *digest, bool *exists, uint64_t *size,
			 cell_error **err);

/* Stream a blob from offset (Range) into sink; sink returns 0 or a negative
 * errno to stop. On a dropped connection *received tells how far it got. */
typedef int (*registry_sink)(void *ctx, const void *data, size_t len);
int registry_get_blob(struct registry_session *s, const char *digest, uint64_t offset, registry_sink sink,
		      void *ctx, uint64_t *received, cell_error **err);

/* Upload a blob whose bytes source yields (returns bytes, 0 at the end, or a
 * negative errno), in chunks of chunk_size (0: one monolithic PUT). */
typedef long (*registry_source)(void *ctx, void *buf, size_t len);
int registry_put_blob(struct registry_session *s, const char *digest, uint64_t size, registry_source source,
		      void *ctx, size_t chunk_size, cell_error **err);

/* Cross-repository mount: *mounted tells whether the registry did it. */
int registry_mount_blob(struct registry_session *s, const char *digest, const char *from_path, bool *mounted,
			cell_error **err);

int registry_put_manifest(struct registry_session *s, const char *tag_or_digest, const char *media_type,
			  const char *body, size_t len, cell_error **err);

/* The URL the session talks to ("https://host:port"), for messages. */
const char *registry_session_base(const struct registry_session *s);
