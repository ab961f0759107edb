/* The uncompressed byte stream of a layer (or any tar): reads an fd holding
 * a tar as is, gzip (inflated by ISA-L's igzip, the fastest inflate Debian
 * ships) or zstd/xz/bzip2 (through libarchive's filters), recognised by their
 * magic numbers, and hashes what comes out: at the end, the sha256 of the
 * uncompressed stream is the layer's diffID. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "base/digest.h"
#include "base/error.h"

enum layer_compression {
	LAYER_COMPRESSION_NONE = 0,
	LAYER_COMPRESSION_GZIP,
	LAYER_COMPRESSION_ZSTD,
	LAYER_COMPRESSION_OTHER, /* xz, bzip2: read through libarchive */
};

struct layer_stream;

/* Start reading fd (borrowed; it must stay open until layer_stream_free()).
 * what names the stream in messages ("layer sha256:ab…"). */
int layer_stream_open(int fd, const char *what, struct layer_stream **out, cell_error **err);

/* The caller knows what fd's bytes hash to: they were checked as they were
 * stored, moments ago. An uncompressed stream then reports that digest
 * without hashing the same bytes again; a compressed one still hashes what
 * it inflates. */
void layer_stream_trust(struct layer_stream *s, const char *digest);

/* Read an uncompressed stream from a regular file around the page cache
 * (O_DIRECT, where the file system takes it), for a file written that way
 * moments ago: its bytes come from the disk straight into our buffer, not
 * through newly allocated cache pages. Before the first read; the fd gets
 * its flags back at layer_stream_free(). */
void layer_stream_read_direct(struct layer_stream *s);

/* Read, inflate and hash on a thread of its own from now on, a few chunks
 * ahead of the caller: unpacking a layer then overlaps with inflating and
 * hashing it. Before the first read; best effort (without a thread, reads
 * are done by the caller as before). */
void layer_stream_read_ahead(struct layer_stream *s);

/* Point *buf at the next chunk of uncompressed bytes (valid until the next
 * call). Returns its length, 0 at the end of the stream, or a negative errno
 * with err set (a corrupt or truncated compressed stream). */
ssize_t layer_stream_read(struct layer_stream *s, const void **buf, cell_error **err);

/* Read and hash whatever is left (the tar's padding after its end marker
 * belongs to the diffID too). */
int layer_stream_drain(struct layer_stream *s, cell_error **err);

/* After the end (and only then, with a read-ahead): the sha256 of the
 * uncompressed bytes, and their count. */
const char *layer_stream_digest(struct layer_stream *s);
uint64_t layer_stream_size(const struct layer_stream *s);
enum layer_compression layer_stream_compression(const struct layer_stream *s);

void layer_stream_free(struct layer_stream *s);

static inline void layer_stream_freep(struct layer_stream **s)
{
	layer_stream_free(*s);
	*s = NULL;
}
