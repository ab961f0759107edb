/* The layer store: read-only layers addressed by chainID under
 * ROOT/layers/HEX/ (diff/ holds the tree, layer.json the record, refs/ one
 * empty file per holder — an image or a container — so the reference count
 * is the number of files there and survives any crash), and containers'
 * writable layers under ROOT/containers/ID/. Changes are made under the
 * store lock (ROOT/store.lock, flock): in a temporary directory first,
 * renamed into place when complete, so that a killed process leaves at most
 * debris, which the next exclusive lock clears. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/digest.h"
#include "base/error.h"
#include "tree.h"

struct storage;

/* Open (creating when missing) the layer store at root (its fd and path).
 * driver is "overlay", "vfs" or NULL for what the store already uses, or
 * else the default: overlay as root where it works, vfs otherwise. runroot
 * is the run directory (mount points of images). */
int storage_open(int rootfd, const char *root, const char *runroot, const char *driver, struct storage **out,
		 cell_error **err);
void storage_free(struct storage *s);
static inline void storage_freep(struct storage **s)
{
	storage_free(*s);
	*s = NULL;
}

const char *storage_driver_name(const struct storage *s);
int storage_root_fd(const struct storage *s);
bool storage_rootless(const struct storage *s);

/* Unpack the big files of layers around the page cache (unpack.h's
 * direct_io), for bulk work: a pull or a load. */
void storage_set_direct_io(struct storage *s, bool direct);

/* Take the store lock, shared (readers) or exclusive (writers). Taking it
 * exclusive removes what killed writers left behind. Released by
 * storage_unlock() or storage_free(). */
int storage_lock(struct storage *s, bool exclusive, cell_error **err);
void storage_unlock(struct storage *s);

/* chainID(1) = diffID(1); chainID(n) = sha256(chainID(n-1) + " " + diffID(n)). */
int storage_chain_id(const char *parent_chain, const char *diff_id, char *out);

struct layer_job;

struct layer_source {
	int fd;                /* the layer's blob, compressed or not */
	const char *diff_id;   /* what its uncompressed stream must hash to */
	const char *what;      /* names it in messages */
	struct layer_job *job; /* an unpack of it already under way, or NULL */
};

/* Start unpacking a layer blob before its place in a chain is known (a load
 * unpacks each layer while it still reads the archive's next ones, a pull
 * while the layer still downloads): a worker process fills a temporary
 * directory and computes the diffID. fd may be a pipe. Only for
 * drivers whose layers do not need their parent's tree; -EOPNOTSUPP (and no
 * message) for the others. fd is borrowed until the job is adopted or
 * discarded. trusted (may be NULL) is the digest fd's bytes were checked
 * against as they were stored: an uncompressed layer takes it as its diffID
 * instead of hashing again. Needs the exclusive lock. */
int storage_unpack_start(struct storage *s, int fd, const char *what, const char *trusted,
			 struct layer_job **out, cell_error **err);

/* True while the job's worker still runs. */
bool storage_unpack_running(const struct layer_job *job);

/* Wait for the job's worker to end and take its result: 0, or its error
 * (a broken layer, a stream that was cut). */
int storage_unpack_finish(struct layer_job *job, cell_error **err);

/* Stop the job if it still runs, remove what it unpacked unless a chain
 * adopted it, and free it. */
void storage_unpack_discard(struct storage *s, struct layer_job *job);

/* Make sure the layers of a chain exist, unpacking those that do not (in
 * parallel processes when the driver allows; a source's job, when it has
 * one and its diffID is right, is adopted instead). chain_ids receives every
 * layer's chainID. Holds nothing: the caller adds references. Needs the
 * exclusive lock. */
int storage_create_chain(struct storage *s, size_t n, const struct layer_source *src,
			 char (*chain_ids)[DIGEST_BUF], cell_error **err);

bool storage_layer_exists(struct storage *s, const char *chain_id);

struct layer_record {
	char chain_id[DIGEST_BUF];
	char diff_id[DIGEST_BUF];
	char parent[DIGEST_BUF]; /* "" for a base layer */
	char driver[16];
	uint64_t tar_size;
	struct tree_summary tree;
};

int storage_layer_read(struct storage *s, const char *chain_id, struct layer_record *out, cell_error **err);

/* Recompute the layer's tree summary and compare it with its record. */
int storage_layer_verify(struct storage *s, const char *chain_id, cell_error **err);

/* Holders of a layer: "manifest-HEX" for images, "container-ID". */
int storage_layer_add_ref(struct storage *s, const char *chain_id, const char *holder, cell_error **err);
int storage_layer_drop_ref(struct storage *s, const char *chain_id, const char *holder, cell_error **err);
int storage_layer_refs(struct storage *s, const char *chain_id, char ***holders, cell_error **err);

/* Remove a layer that nothing holds (-EBUSY otherwise). */
int storage_layer_remove(struct storage *s, const char *chain_id, cell_error **err);

/* The chainIDs of every layer in the store. */
int storage_layer_list(struct storage *s, char ***chain_ids, cell_error **err);

/* Remove (with repair) or list layer directories that are not complete
 * layers and temporary debris. */
int storage_list_debris(struct storage *s, char ***names, cell_error **err);
int storage_remove_debris(struct storage *s, cell_error **err);

/* The absolute path of a layer's tree. */
char *storage_layer_diff_path(struct storage *s, const char *chain_id);

/* Containers' writable layers: create holds a reference on every layer of
 * the chain (bottom first) for "container-ID"; image names the image. */
int storage_container_create(struct storage *s, const char *id, const char *image, size_t n,
			     char (*chain_ids)[DIGEST_BUF], cell_error **err);
/* The same; fill (may be NULL) writes the caller's records into the
 * container's directory (cdir_fd) before it gets its name, so that a
 * container appears with its records or not at all. */
typedef int (*storage_container_fill_fn)(int cdir_fd, void *data, cell_error **err);
int storage_container_create_with(struct storage *s, const char *id, const char *image, size_t n,
				  char (*chain_ids)[DIGEST_BUF], storage_container_fill_fn fill, void *data,
				  cell_error **err);
/* Mount the container's root file system; *rootfs gets its path. */
int storage_container_mount(struct storage *s, const char *id, char **rootfs, cell_error **err);
/* With STORAGE_MOUNT_VOLATILE, a container that will not outlive its run
 * (--rm) skips the flushes that make its writes durable: overlay's
 * "volatile", whose unmount does not flush the whole file system. */
#define STORAGE_MOUNT_VOLATILE 1u
int storage_container_mount_flags(struct storage *s, const char *id, unsigned flags, char **rootfs,
				  cell_error **err);

/* Whether records and references are flushed to disk as they are written
 * (the default). A caller making a container that does not outlive its run
 * turns it off for that. */
void storage_set_durable(struct storage *s, bool durable);
int storage_container_unmount(struct storage *s, const char *id, cell_error **err);
/* Unmount, drop references, remove the container's directory. */
int storage_container_remove(struct storage *s, const char *id, cell_error **err);
/* Container ids, and the image of one. */
int storage_container_list(struct storage *s, char ***ids, cell_error **err);
int storage_container_image(struct storage *s, const char *id, char **image, cell_error **err);

/* Read-only view of an image's layers (topmost last in chain_ids) at
 * RUNROOT/image-mounts/KEY; *path gets it. vfs needs no mount and gives the
 * top layer's tree. */
int storage_image_mount(struct storage *s, const char *key, size_t n, char (*chain_ids)[DIGEST_BUF],
			char **path, cell_error **err);
int storage_image_unmount(struct storage *s, const char *key, cell_error **err);

/* Bytes of the layers' trees: total, and of those held by nobody. */
int storage_usage(struct storage *s, uint64_t *layers, uint64_t *unused, uint64_t *count, cell_error **err);

/* For the drivers. */
int storage_layers_fd(const struct storage *s);
const char *storage_root_path(const struct storage *s);
