#include "compress.h"

#include <errno.h>
#include <isa-l/igzip_lib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "base/file.h"

#define OUT_SIZE (1 << 20)

enum layer_compression layer_blob_compression(int fd)
{
	unsigned char m[6] = {0};
	ssize_t n = pread(fd, m, sizeof(m), 0);
	if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
		return LAYER_COMPRESSION_GZIP;
	if (n >= 4 && memcmp(m, "\x28\xb5\x2f\xfd", 4) == 0)
		return LAYER_COMPRESSION_ZSTD;
	if ((n >= 6 && memcmp(m,
			      "\xfd"
			      "7zXZ\0",
			      6) == 0) ||
	    (n >= 3 && memcmp(m, "BZh", 3) == 0))
		return LAYER_COMPRESSION_OTHER;
	return LAYER_COMPRESSION_NONE;
}

struct out {
	int fd;
	struct sha256 *hash;
	uint64_t size;
	const char *what;
};

static int out_write(struct out *o, const void *buf, size_t len, cell_error **err)
{
	if (len == 0)
		return 0;
	int r = write_all(o->fd, buf, len);
	if (r < 0)
		return cell_error_errno(err, r, "%s: write the compressed layer", o->what);
	sha256_update(o->hash, buf, len);
	o->size += len;
	return 0;
}

static int gzip_stream(struct layer_stream *in, struct out *o, unsigned char *obuf, cell_error **err)
{
	struct isal_zstream z;
	isal_deflate_init(&z);
	_cleanup_free_ unsigned char *level_buf = malloc(ISAL_DEF_LVL1_DEFAULT);
	if (!level_buf)
		return cell_error_set(err, ENOMEM, "out of memory");
	z.level = 1;
	z.level_buf = level_buf;
	z.level_buf_size = ISAL_DEF_LVL1_DEFAULT;
	z.gzip_flag = IGZIP_GZIP;
	for (;;) {
		const void *buf = NULL;
		ssize_t n = layer_stream_read(in, &buf, err);
		if (n < 0)
			return (int)n;
		z.next_in = (uint8_t *)buf;
		z.avail_in = (uint32_t)n;
		z.end_of_stream = n == 0;
		do {
			z.next_out = obuf;
			z.avail_out = OUT_SIZE;
			if (isal_deflate(&z) != COMP_OK)
				return cell_error_set(err, EIO, "%s: gzip compression failed", o->what);
			int r = out_write(o, obuf, OUT_SIZE - z.avail_out, err);
			if (r < 0)
				return r;
		} while (z.avail_in > 0 || (n == 0 && z.internal_state.state != ZSTATE_END));
		if (n == 0)
			return 0;
	}
}

static int zstd_stream(struct layer_stream *in, struct out *o, unsigned char *obuf, cell_error **err)
{
	ZSTD_CCtx *z = ZSTD_createCCtx();
	if (!z)
		return cell_error_set(err, ENOMEM, "out of memory");
	ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, 3);
	ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1);
	int r = 0;
	for (;;) {
		const void *buf = NULL;
		ssize_t n = layer_stream_read(in, &buf, err);
		if (n < 0) {
			r = (int)n;
			break;
		}
		ZSTD_inBuffer zin = {buf, (size_t)n, 0};
		ZSTD_EndDirective mode = n == 0 ? ZSTD_e_end : ZSTD_e_continue;
		size_t left;
		do {
			ZSTD_outBuffer zout = {obuf, OUT_SIZE, 0};
			left = ZSTD_compressStream2(z, &zout, &zin, mode);
			if (ZSTD_isError(left)) {
				r = cell_error_set(err, EIO, "%s: zstd: %s", o->what,
						   ZSTD_getErrorName(left));
				break;
			}
			r = out_write(o, obuf, zout.pos, err);
		} while (r == 0 && (mode == ZSTD_e_end ? left != 0 : zin.pos < zin.size));
		if (r < 0 || n == 0)
			break;
	}
	ZSTD_freeCCtx(z);
	return r;
}

int layer_compress(int in_fd, const char *what, enum layer_compression format, int out_fd, char *digest,
		   uint64_t *size, cell_error **err)
{
	if (format != LAYER_COMPRESSION_GZIP && format != LAYER_COMPRESSION_ZSTD)
		return cell_error_set(err, EINVAL, "%s: compress to gzip or zstd only", what);
	if (lseek(in_fd, 0, SEEK_SET) < 0)
		return cell_error_errno(err, errno, "%s: rewind", what);
	_cleanup_(layer_stream_freep) struct layer_stream *in = NULL;
	int r = layer_stream_open(in_fd, what, &in, err);
	if (r < 0)
		return r;
	_cleanup_(sha256_freep) struct sha256 *h = sha256_new();
	_cleanup_free_ unsigned char *obuf = malloc(OUT_SIZE);
	if (!h || !obuf)
		return cell_error_set(err, ENOMEM, "out of memory");
	struct out o = {.fd = out_fd, .hash = h, .what = what};
	r = format == LAYER_COMPRESSION_GZIP ? gzip_stream(in, &o, obuf, err)
					     : zstd_stream(in, &o, obuf, err);
	if (r < 0)
		return r;
	sha256_final(h, digest);
	*size = o.size;
	return 0;
}
