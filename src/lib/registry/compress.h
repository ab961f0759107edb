/* Compressing a layer for a push: the layer's uncompressed tar (read from
 * its blob, whatever compression that has) written as gzip (ISA-L's igzip,
 * the fastest deflate Debian ships) or zstd, hashed on the way. The output
 * is the same for the same input, so that pushing an image twice gives the
 * same digests. */
#pragma once

#include <stdint.h>

#include "base/digest.h"
#include "base/error.h"
#include "storage/stream.h"

/* How a blob starts: gzip, zstd, another compression, or none. */
enum layer_compression layer_blob_compression(int fd);

/* Read the layer at in_fd from its start, write it compressed with format
 * (LAYER_COMPRESSION_GZIP or _ZSTD) to out_fd; digest (DIGEST_BUF) and size
 * receive what was written. what names the layer in messages. */
int layer_compress(int in_fd, const char *what, enum layer_compression format, int out_fd, char *digest,
		   uint64_t *size, cell_error **err);
