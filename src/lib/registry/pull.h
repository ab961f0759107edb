/* Pulling an image from a registry into the store. The manifest is
 * negotiated (every media type the store knows; an index gives the
 * platform's manifest), the config fetched, and the layers the store lacks
 * downloaded in parallel, each streamed as it arrives into the blob store
 * (hashed on the way) and, through a pipe, into a worker that unpacks it:
 * no compressed copy is written and read back before the unpack. Blobs and
 * layers already in the store are not fetched again. A transfer that breaks
 * resumes with a Range request; a blob whose bytes do not have its digest,
 * or that ends short, stops the pull with nothing stored (the blob store
 * only names verified content, and unpacked layers are adopted only by the
 * final commit). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "base/digest.h"
#include "base/error.h"
#include "client.h"
#include "image/manifest.h"
#include "image/store.h"

enum pull_event_kind {
	PULL_EVENT_TRYING,      /* name: the reference asked of a registry */
	PULL_EVENT_MANIFEST,    /* name, digest: the image's manifest was found */
	PULL_EVENT_BLOB_EXISTS, /* digest, size: the store has it */
	PULL_EVENT_BLOB_START,  /* digest, size: its download begins */
	PULL_EVENT_BLOB_DATA,   /* digest, received, size */
	PULL_EVENT_BLOB_DONE,   /* digest, size: downloaded and verified */
	PULL_EVENT_COMMIT,      /* the layers are being finished and the image named */
	PULL_EVENT_DONE,        /* name, digest: the image is in the store */
};

struct pull_event {
	enum pull_event_kind kind;
	const char *name;
	const char *digest;
	bool config; /* the blob is the image's config */
	uint64_t received, size;
	size_t index; /* the blob's place among the image's blobs (config 0, layers 1…) */
	size_t count; /* how many blobs the image has */
};

struct pull_opts {
	enum tls_verify tls_verify; /* DEFAULT: as registries.conf says */
	const char *certs_dir;      /* NULL: /etc/containers/certs.d/HOST */
	const char *username;       /* NULL: from the auth files */
	const char *password;
	const char *authfile;                 /* NULL: the default auth files */
	const struct platform *platform;      /* NULL: this host's */
	unsigned parallel;                    /* blobs at once; 0: 4 */
	const struct registry_config *config; /* NULL: registries.conf */
	/* Called from the pulling process as things happen; may be NULL. */
	void (*progress)(void *ctx, const struct pull_event *ev);
	void *progress_ctx;
};

/* Pull ref ("busybox", "quay.io/x/y:1", "host:5000/app@sha256:…") into store
 * and name it with its full reference. A short name is tried at each of
 * registries.conf's unqualified-search-registries in turn (docker.io when
 * there are none). opts may be NULL. digest_out (DIGEST_BUF bytes, may be
 * NULL) receives the digest of the image's manifest in the store, which
 * image_store_resolve() finds. Takes the store's exclusive lock itself: call
 * it without holding the lock. */
int registry_pull(struct image_store *store, const char *ref, const struct pull_opts *opts, char *digest_out,
		  cell_error **err);
