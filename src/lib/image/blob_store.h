/* Content-addressed blobs in an OCI image layout: ROOT/blobs/sha256/HEX.
 * A blob is written to an anonymous file (O_TMPFILE) while its digest is
 * computed, checked against the digest it should have, flushed, and only
 * then linked under its name: a killed writer leaves nothing, and a blob
 * that has a name has the content its name says. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/digest.h"
#include "base/error.h"

struct blob_store;
struct blob_writer;

/* Open the blob directory of the layout at rootfd (borrowed), creating it. */
int blob_store_open(int rootfd, const char *root, struct blob_store **out, cell_error **err);
void blob_store_free(struct blob_store *bs);
static inline void blob_store_freep(struct blob_store **bs)
{
	blob_store_free(*bs);
	*bs = NULL;
}

/* With deferred, committed blobs are not flushed one by one: the caller
 * flushes the file system (syncfs) before anything names them. Loads of many
 * large blobs save a wait per blob that way. */
void blob_store_defer_sync(struct blob_store *bs, bool deferred);

/* With direct I/O, writers send whole chunks of a blob around the page
 * cache (O_DIRECT, where the file system takes it): a pull that stores
 * hundreds of megabytes nobody reads soon saves copying them into memory,
 * and the flush at the end finds them on disk already. */
void blob_store_direct_io(struct blob_store *bs, bool direct);

/* Start a new blob. */
int blob_writer_new(struct blob_store *bs, struct blob_writer **out, cell_error **err);
int blob_writer_write(struct blob_writer *w, const void *buf, size_t len, cell_error **err);
/* Finish: expected (may be NULL) is the digest the content must have, and
 * expected_size (-1: any) its size. Writes the digest into digest (may be
 * NULL). A blob already present is not an error. */
int blob_writer_commit(struct blob_writer *w, const char *expected, int64_t expected_size, char *digest,
		       cell_error **err);
uint64_t blob_writer_size(const struct blob_writer *w);
/* After a commit: whether this writer stored the blob (false when the store
 * had it already). */
bool blob_writer_stored(const struct blob_writer *w);
void blob_writer_free(struct blob_writer *w);
static inline void blob_writer_freep(struct blob_writer **w)
{
	blob_writer_free(*w);
	*w = NULL;
}

/* Store a buffer; digest receives its digest (DIGEST_BUF). */
int blob_store_put(struct blob_store *bs, const void *buf, size_t len, const char *expected, char *digest,
		   cell_error **err);

/* Read a whole blob of at most max bytes, checking it against its digest. */
int blob_store_read(struct blob_store *bs, const char *digest, size_t max, char **buf, size_t *len,
		    cell_error **err);

/* A read-only fd of the blob. */
int blob_store_open_blob(struct blob_store *bs, const char *digest, cell_error **err);

bool blob_store_has(struct blob_store *bs, const char *digest);
int blob_store_size(struct blob_store *bs, const char *digest, int64_t *size);
int blob_store_remove(struct blob_store *bs, const char *digest, cell_error **err);

/* Re-hash a blob and compare with its name. */
int blob_store_verify(struct blob_store *bs, const char *digest, cell_error **err);

/* Every name in blobs/sha256 as a digest string (the ones that are not valid
 * digest names too, so that a check can report them). */
int blob_store_list(struct blob_store *bs, char ***digests, cell_error **err);
