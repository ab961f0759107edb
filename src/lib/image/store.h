/* The image store: an OCI image layout (blobs, index.json with names) over
 * the layer store (storage/). Images are found by name or ID; loading,
 * importing and removing keep blobs, layers and names consistent under the
 * store lock, and the order of every change is chosen so that a killed
 * process leaves at most unreferenced content, never a half image:
 * blobs and layers first, references next, the name in index.json last. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/digest.h"
#include "base/error.h"
#include "blob_store.h"
#include "config.h"
#include "manifest.h"
#include "storage/storage.h"

/* A layer blob being unpacked ahead of its image's commit (load). */
struct pending_layer {
	char digest[DIGEST_BUF];
	int fd;
	struct layer_job *job;
};

struct image_store {
	char *root;
	char *runroot;
	int rootfd;
	struct blob_store *blobs;
	struct storage *storage;
	struct pending_layer *pending;
	size_t n_pending;
};

struct image_store_options {
	const char *root;    /* the store; created when missing */
	const char *runroot; /* the run directory */
	const char *driver;  /* NULL: the store's or the default */
};

/* The default root and run directories: /var/lib/cell and /run/cell as
 * root, $XDG_DATA_HOME/cell and $XDG_RUNTIME_DIR/cell otherwise. */
char *image_store_default_root(void);
char *image_store_default_runroot(void);

int image_store_open(const struct image_store_options *o, struct image_store **out, cell_error **err);
void image_store_free(struct image_store *s);
static inline void image_store_freep(struct image_store **s)
{
	image_store_free(*s);
	*s = NULL;
}

int image_store_lock(struct image_store *s, bool exclusive, cell_error **err);
void image_store_unlock(struct image_store *s);

/* An image of the store, read and checked. */
struct image {
	char digest[DIGEST_BUF]; /* of its manifest */
	char id[DIGEST_BUF];     /* of its config: what users see as IMAGE ID */
	struct manifest manifest;
	struct image_config config;
	char (*chain_ids)[DIGEST_BUF];
	size_t n_layers;
	const char **names; /* from index.json, borrowed from the store's index copy */
	char **own_names;   /* owned copies of names */
	uint64_t size;      /* uncompressed layers */
};

void image_clear(struct image *img);
void image_list_free(struct image *v, size_t n);

/* Read the image whose manifest is digest (media_type: what its descriptor
 * says, or NULL), with its config and chain, but not its names. */
int image_store_read(struct image_store *s, const char *digest, const char *media_type, struct image *img,
		     cell_error **err);

/* Every image (each manifest once), in index order. Needs a lock. */
int image_store_list(struct image_store *s, struct image **out, size_t *n, cell_error **err);

/* Find an image by name ("busybox", "localhost/busybox:latest"), by
 * name@digest, or by ID or a unique prefix of it. *by_name tells which. */
int image_store_resolve(struct image_store *s, const char *ref, struct image *out, bool *by_name,
			cell_error **err);

/* Give an image more names. */
int image_store_tag(struct image_store *s, const char *ref, const char *const *names, cell_error **err);

/* Containers that use the image (ids, NULL-terminated). */
int image_store_users(struct image_store *s, const struct image *img, char ***ids, cell_error **err);

struct removal {
	char **untagged; /* names removed from images that stay */
	char **deleted;  /* IDs of images removed */
};
void removal_clear(struct removal *r);

/* rmi: a name untags (and removes the image with its last name); an ID
 * removes the image. Refuses images used by containers, and IDs of images
 * with several names, unless force (which removes those containers' layers). */
int image_store_remove(struct image_store *s, const char *const *refs, bool force, struct removal *out,
		       cell_error **err);

/* Remove images without names (all unused images with all), that no
 * container uses. */
int image_store_prune(struct image_store *s, bool all, struct removal *out, cell_error **err);

/* Take an image already in the blob store (manifest bytes; its config and
 * layer blobs present): unpack its layers, take references, give it names
 * (or keep it unnamed). digest receives the manifest's digest. Needs the
 * exclusive lock. */
int image_store_commit(struct image_store *s, const char *manifest, size_t len, const char *const *names,
		       char *digest, cell_error **err);

/* Start unpacking a blob that is probably a layer, so that the commit that
 * names it finds it done. Best effort: returns false when it did not start
 * (the driver needs parents, too many already run, or it failed). fresh:
 * this process stored the blob just now, checking its digest as it wrote
 * it, so an uncompressed layer need not be hashed again. */
bool image_store_unpack_ahead(struct image_store *s, const char *digest, bool fresh);

/* Start unpacking a layer whose blob is still arriving (a pull): *fd is
 * the write end of a pipe the caller feeds the blob's bytes into, as they
 * come, and closes at the end. The commit that names the layer adopts the
 * result when its diffID is right. -EOPNOTSUPP (no message) when the driver
 * builds a layer on its parent's tree. Needs the exclusive lock. */
int image_store_unpack_stream(struct image_store *s, const char *digest, int *fd, cell_error **err);

/* The same for a blob being read whose digest is not known yet (a load of
 * an archive): *slot names the unpack until image_store_pending_name()
 * gives it the blob's digest. Best effort: -EBUSY (and no message) while
 * as many unpacks as processors run. */
int image_store_unpack_feed(struct image_store *s, int *fd, size_t *slot, cell_error **err);
void image_store_pending_name(struct image_store *s, size_t slot, const char *digest);

/* Wait for the unpack of a pending layer and take its result (why it
 * stopped reading, when its pipe broke). */
int image_store_pending_error(struct image_store *s, const char *digest, cell_error **err);

/* Stop and forget what image_store_unpack_ahead() and
 * image_store_unpack_stream() started and no commit took. */
void image_store_drop_pending(struct image_store *s);

/* Remove blobs that no image needs. Needs the exclusive lock. */
int image_store_gc(struct image_store *s, cell_error **err);

/* The blobs an image needs (manifest, config, layers). */
int image_blobs(const struct image *img, char ***digests);

/* A layer's uncompressed size from its record (0 when unknown). */
uint64_t image_store_layer_size(struct image_store *s, const char *chain_id);
