/* Unpacking one layer tar into a directory, safely: the tar is hostile until
 * proven otherwise. Every entry's path is taken apart lexically (an absolute
 * name or a ".." component is refused), its parent is opened below the
 * target without following any symlink (path_open_beneath()), and whatever
 * is already at the name is removed before the entry is created with
 * O_EXCL | O_NOFOLLOW, so nothing is ever written through a symlink or a
 * hardlink planted by this or an earlier layer. Whiteouts (.wh.NAME,
 * .wh..wh..opq) become overlayfs whiteouts or deletions. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "base/digest.h"
#include "base/error.h"
#include "tree.h"

enum whiteout_mode {
	WHITEOUT_OVERLAY, /* char 0:0 and trusted.overlay.opaque, for overlay lower dirs */
	WHITEOUT_DELETE,  /* remove what they hide, for a flattened tree (vfs) */
};

struct unpack_options {
	enum whiteout_mode whiteouts;
	/* Not root: owners stay the caller's and device nodes are refused. */
	bool rootless;
	/* Names the layer in messages ("layer sha256:ab…"). */
	const char *what;
	/* Checksum regular files (by content_sum, tree.h) as they are written,
	 * into unpack_result.contents, so that a tree summary need not read
	 * them back. */
	bool hash_contents;
	enum tree_sum content_sum;
	/* Write big files around the page cache (O_DIRECT, where the file
	 * system takes it): the layer is flushed to disk before it is used
	 * anyway, and copying it into memory first costs more than the disk. */
	bool direct_io;
	/* What src_fd's bytes are known to hash to (layer_stream_trust()), or
	 * NULL to compute the diffID. */
	const char *trusted_digest;
};

struct unpack_result {
	char diff_id[DIGEST_BUF]; /* sha256 of the uncompressed tar */
	uint64_t tar_size;        /* bytes of the uncompressed tar */
	uint64_t content_size;    /* bytes of regular-file content written */
	uint64_t entries;         /* tar entries applied */
	void *contents;           /* with hash_contents: struct tree_content by inode (tree.h) */
};

/* Free what a result holds. */
void unpack_result_clear(struct unpack_result *res);

/* Unpack the tar (plain or compressed) read from src_fd into the directory
 * dest_fd. On failure the directory holds a partial tree: the caller unpacks
 * into a temporary directory and removes it. */
int layer_unpack(int src_fd, int dest_fd, const struct unpack_options *o, struct unpack_result *res,
		 cell_error **err);

/* Lexically clean a tar entry name into out (a relative path without "." or
 * empty components). Returns 0, -EXDEV for an absolute name or a ".."
 * component, -ENAMETOOLONG, or 1 for the tree's top itself ("./"). */
int unpack_clean_name(const char *name, char *out, size_t len);
