/* Whole-tree operations on unpacked layers: a digest of a tree's content and
 * metadata (what `cell system check` compares a layer with), its size, and a
 * faithful copy (the vfs driver's layers start as a copy of their parent).
 * Trees are walked by fd, never following symlinks or crossing mounts. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "base/digest.h"
#include "base/error.h"

/* How regular files' content enters a summary. A summary checks what was
 * unpacked against corruption since (its bytes were checked against the
 * layer's diffID as they came), as a file system checksums its blocks: new
 * layers use CRC-64 (ISA-L's, tens of GB/s, where SHA-256 was a tenth of a
 * pull's time); records written before name no kind and mean SHA-256, and
 * still verify with it. An attacker who could rewrite the files could
 * rewrite the record beside them as well. */
enum tree_sum {
	TREE_SUM_SHA256 = 0,
	TREE_SUM_CRC64,
};

/* "sha256", "crc64"; and back (-EINVAL for an unknown name). */
const char *tree_sum_name(enum tree_sum sum);
int tree_sum_from_name(const char *name, enum tree_sum *out);

struct tree_summary {
	char digest[DIGEST_BUF]; /* over every path, type, mode, owner, size, target, xattr, content */
	uint64_t size;           /* bytes of regular-file content, hardlinks counted once */
	uint64_t entries;        /* objects below the top */
	enum tree_sum content;   /* how file content went in */
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

/* Summarise the tree below dirfd (the top's own metadata is not included),
 * file content by sum. known (may be NULL) holds content checksums already
 * computed, of the same kind. what names the tree in
 * messages. */
int tree_summarize(int dirfd, const char *what, enum tree_sum sum, const void *known,
		   struct tree_summary *out, cell_error **err);

/* A file's content checksum of one kind, fed as the content comes: what an
 * unpacker computes while it writes and a summary while it reads back. */
struct tree_file_sum {
	enum tree_sum kind;
	uint64_t crc;
	struct sha256 *sha;
};
int tree_file_sum_init(struct tree_file_sum *f, enum tree_sum kind); /* 0 or -ENOMEM */
void tree_file_sum_update(struct tree_file_sum *f, const void *buf, size_t len);
/* The checksum as a summary takes it ("sha256:…", "crc64:" and 16 hex
 * digits) into out (DIGEST_BUF); f starts over for the next file. */
void tree_file_sum_final(struct tree_file_sum *f, char *out);
void tree_file_sum_clear(struct tree_file_sum *f);

/* Copy everything below src_fd into the empty directory dst_fd: types,
 * owners, modes, times, xattrs, hardlinks, device nodes; file data with
 * reflinks where the file system has them. */
int tree_copy(int src_fd, int dst_fd, const char *what, cell_error **err);
