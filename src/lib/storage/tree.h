/* Whole-tree operations on unpacked layers: a digest of a tree's content and
 * metadata (what `cell system check` compares a layer with), its size, and a
 * faithful copy (the vfs driver's layers start as a copy of their parent).
 * Trees are walked by fd, never following symlinks or crossing mounts. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "base/digest.h"
#include "base/error.h"

struct tree_summary {
	char digest[DIGEST_BUF]; /* over every path, type, mode, owner, size, target, xattr, content */
	uint64_t size;           /* bytes of regular-file content, hardlinks counted once */
	uint64_t entries;        /* objects below the top */
};

/* The content digest of a regular file, by inode: what an unpacker already
 * hashed while writing, so that a summary need not read it back. A tsearch
 * tree ordered by tree_content_cmp. */
struct tree_content {
	dev_t dev;
	ino_t ino;
	char digest[DIGEST_BUF];
};
int tree_content_cmp(const void *a, const void *b);
void tree_content_free(void *root);

/* Summarise the tree below dirfd (the top's own metadata is not included).
 * known (may be NULL) holds content digests already computed. what names
 * the tree in messages. */
int tree_summarize(int dirfd, const char *what, const void *known, struct tree_summary *out,
		   cell_error **err);

/* Copy everything below src_fd into the empty directory dst_fd: types,
 * owners, modes, times, xattrs, hardlinks, device nodes; file data with
 * reflinks where the file system has them. */
int tree_copy(int src_fd, int dst_fd, const char *what, cell_error **err);
