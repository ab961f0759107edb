/* Pushing an image of the store to a registry: each blob is asked about
 * first (HEAD) and sent only when the repository lacks it, offered as a
 * cross-repository mount from another repository of the same registry that
 * the image also has a name in, and otherwise uploaded (one monolithic PUT,
 * or PATCH chunks). Layers go as the store keeps them when they are
 * compressed as asked; uncompressed ones (imports, docker-archive loads)
 * are compressed from the store on the way, and the manifest is rewritten
 * to say so. The manifest is PUT last. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/digest.h"
#include "base/error.h"
#include "client.h"
#include "image/store.h"
#include "storage/stream.h"

enum push_event_kind {
	PUSH_EVENT_BLOB_EXISTS,   /* digest, size: the repository has it */
	PUSH_EVENT_BLOB_COMPRESS, /* digest (of the store's blob): being compressed */
	PUSH_EVENT_BLOB_START,    /* digest, size: the upload begins */
	PUSH_EVENT_BLOB_DATA,     /* digest, sent, size */
	PUSH_EVENT_BLOB_MOUNTED,  /* digest: mounted from another repository */
	PUSH_EVENT_BLOB_DONE,     /* digest, size: uploaded */
	PUSH_EVENT_MANIFEST,      /* digest: the manifest is being written */
	PUSH_EVENT_DONE,          /* name, digest */
};

struct push_event {
	enum push_event_kind kind;
	const char *name;
	const char *digest;
	bool config;
	uint64_t sent, size;
	size_t index, count;
};

struct push_opts {
	enum tls_verify tls_verify;
	const char *certs_dir;
	const char *username;
	const char *password;
	const char *authfile;
	/* LAYER_COMPRESSION_NONE: gzip for what is not compressed. */
	enum layer_compression compression;
	/* Recompress layers compressed otherwise than compression says. */
	bool force_compression;
	size_t chunk_size; /* 0: monolithic uploads */
	const struct registry_config *config;
	void (*progress)(void *ctx, const struct push_event *ev);
	void *progress_ctx;
};

/* Push the store's image (a name or ID) to dest (a full reference; NULL:
 * the image's own name). digest_out (may be NULL) receives the digest of
 * the manifest the registry now has. Takes the store's shared lock. */
int registry_push(struct image_store *store, const char *image, const char *dest,
		  const struct push_opts *opts, char *digest_out, cell_error **err);
