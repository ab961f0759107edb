/* A session with one repository of one OCI distribution registry, over
 * libcurl: TLS (CAs from /etc/containers/certs.d/HOST/), plain HTTP where
 * registries.conf or --tls-verify=false allow it, and authentication
 * (anonymous, Basic, or Bearer tokens fetched from the WWW-Authenticate
 * challenge's realm for the scope the session needs, refreshed when they
 * expire). HTTP failures become errno codes (401/403 → EACCES, 404 → ENOENT,
 * malformed answers → EBADMSG) with the server's own words in the message. */
#pragma once

#include "dynlib/curl.h"
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
	const char *authfile;                 /* NULL: the default auth files */
	bool push;                            /* ask for pull,push scope */
	const struct registry_config *config; /* NULL: load the default one */
};

struct registry_session;

/* Open a session for the repository of ref (nothing is sent yet). A ref
 * whose path is empty is a session with the registry only (login): its
 * tokens carry no repository scope. */
int registry_session_open(const struct image_ref *ref, const struct registry_opts *opts,
			  struct registry_session **out, cell_error **err);
void registry_session_free(struct registry_session *s);

/* GET /v2/: the registry is there and we may talk to it (login checks this). */
int registry_ping(struct registry_session *s, cell_error **err);

/* A manifest by tag or digest, offering every media type in accept
 * (NULL-terminated). At most REGISTRY_MANIFEST_MAX bytes. *media_type and
 * *digest come from the server's headers (either may be NULL when the
 * server does not say). */
#define REGISTRY_MANIFEST_MAX (4u << 20)
int registry_get_manifest(struct registry_session *s, const char *tag_or_digest, const char *const *accept,
			  char **body, size_t *len, char **media_type, char **digest, cell_error **err);

/* Does the repository hold this blob? */
int registry_blob_exists(struct registry_session *s, const char *digest, bool *exists, uint64_t *size,
			 cell_error **err);

/* Stream a blob from offset (Range) into sink; sink returns 0 or a negative
 * errno to stop. On a dropped connection *received tells how far it got.
 * One transfer at a time; fetch.h runs many in parallel. */
typedef int (*registry_sink)(void *ctx, const void *data, size_t len);
int registry_get_blob(struct registry_session *s, const char *digest, uint64_t offset, registry_sink sink,
		      void *ctx, uint64_t *received, cell_error **err);

/* One blob to upload, read with pread() from fd (so that a failed attempt
 * can start again). */
struct blob_upload {
	const char *digest;
	uint64_t size;
	int fd;
	size_t chunk_size;      /* 0: one monolithic PUT; else PATCHes of this size */
	const char *mount_from; /* a repository of the same registry that may hold it, or NULL */
	void (*progress)(void *ctx, uint64_t sent);
	void *ctx;
	bool mounted; /* out: the registry mounted it from mount_from */
};

/* Upload a blob (POST, PATCH…, PUT ?digest=), offering a cross-repository
 * mount first when mount_from is set. Transient failures start the upload
 * again, a few times, with backoff. */
int registry_put_blob(struct registry_session *s, struct blob_upload *u, cell_error **err);

/* Cross-repository mount only: *mounted tells whether the registry did it
 * (an upload it opened instead is cancelled). */
int registry_mount_blob(struct registry_session *s, const char *digest, const char *from_path, bool *mounted,
			cell_error **err);

int registry_put_manifest(struct registry_session *s, const char *tag_or_digest, const char *media_type,
			  const char *body, size_t len, cell_error **err);

/* The URL the session talks to ("https://host:port"), for messages. */
const char *registry_session_base(const struct registry_session *s);
/* The registry ("host:port") and repository ("ns/name") the session talks
 * to, after registries.conf's rewrites. */
const char *registry_session_domain(const struct registry_session *s);
const char *registry_session_path(const struct registry_session *s);

/* For transfers run on other curl handles (fetch.c): set c up as the
 * session's own requests are (TLS, CAs, limits, protocols, credentials)
 * and add the authorization header to *headers (the caller frees them). */
int registry_session_setup_handle(struct registry_session *s, CURL *c, struct curl_slist **headers,
				  cell_error **err);
/* Renew a Bearer token about to expire. */
int registry_session_refresh(struct registry_session *s, cell_error **err);
/* A request was answered 401 with this WWW-Authenticate header: learn the
 * challenge and get new credentials for it. */
int registry_session_reauth(struct registry_session *s, const char *www_authenticate, cell_error **err);

/* The message for an HTTP error answer: what, the server, the status and
 * the server's own words from body (an {"errors":[…]} document or text). */
int registry_status_error(struct registry_session *s, const char *what, long status, const char *body,
			  size_t len, cell_error **err);

/* A token endpoint's answer: {"token": …} or {"access_token": …}, with
 * "expires_in" seconds (*ttl 0 when absent). */
int registry_token_parse(const char *body, size_t len, char **token, long *ttl, cell_error **err);
