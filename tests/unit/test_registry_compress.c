/* registry/compress.c: layers compressed for a push read back as the same
 * bytes, carry the digest they have, and come out the same every time. */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/file.h"
#include "registry/compress.h"
#include "storage/stream.h"
#include "tap.h"

static int memfd_with(const void *data, size_t len)
{
	int fd = memfd_create("layer", MFD_CLOEXEC);
	if (fd < 0 || write_all(fd, data, len) < 0)
		abort();
	return fd;
}

static char *payload(size_t *len)
{
	*len = 3 << 20;
	char *p = malloc(*len);
	/* half text (compressible), half noise */
	for (size_t i = 0; i < *len / 2; i++)
		p[i] = (char)("layer contents "[i % 15]);
	unsigned x = 12345;
	for (size_t i = *len / 2; i < *len; i++) {
		x = x * 1103515245 + 12345;
		p[i] = (char)(x >> 16);
	}
	return p;
}

/* Decompress fd with the layer stream reader into a new buffer. */
static char *read_back(int fd, size_t *len)
{
	lseek(fd, 0, SEEK_SET);
	struct layer_stream *s = NULL;
	_cleanup_error_ cell_error *err = NULL;
	if (layer_stream_open(fd, "test", &s, &err) < 0)
		abort();
	char *out = NULL;
	*len = 0;
	const void *buf;
	ssize_t n;
	while ((n = layer_stream_read(s, &buf, &err)) > 0) {
		out = realloc(out, *len + (size_t)n);
		memcpy(out + *len, buf, (size_t)n);
		*len += (size_t)n;
	}
	layer_stream_free(s);
	return n < 0 ? NULL : out;
}

static void round_trip(enum layer_compression format, const unsigned char *magic, size_t mlen)
{
	size_t len;
	char *data = payload(&len);
	int in = memfd_with(data, len);
	int out1 = memfd_create("c1", MFD_CLOEXEC), out2 = memfd_create("c2", MFD_CLOEXEC);
	char d1[DIGEST_BUF], d2[DIGEST_BUF], check[DIGEST_BUF];
	uint64_t s1 = 0, s2 = 0;
	_cleanup_error_ cell_error *err = NULL;
	ASSERT_EQ(0, layer_compress(in, "layer", format, out1, d1, &s1, &err));
	ASSERT_EQ(0, layer_compress(in, "layer", format, out2, d2, &s2, &err));
	/* the same every time */
	ASSERT_STREQ(d1, d2);
	ASSERT_EQ(s1, s2);
	ASSERT_TRUE(s1 < len);
	ASSERT_EQ(format, layer_blob_compression(out1));
	unsigned char head[8];
	ASSERT_EQ((ssize_t)mlen, pread(out1, head, mlen, 0));
	ASSERT_TRUE(memcmp(head, magic, mlen) == 0);
	/* its digest is its content's */
	char *blob = malloc(s1);
	ASSERT_EQ((ssize_t)s1, pread(out1, blob, s1, 0));
	digest_buffer(blob, s1, check);
	ASSERT_STREQ(check, d1);
	free(blob);
	size_t back_len;
	char *back = read_back(out1, &back_len);
	ASSERT_TRUE(back != NULL);
	ASSERT_EQ(len, back_len);
	ASSERT_TRUE(memcmp(back, data, len) == 0);
	/* recompressed from the other format: the same uncompressed bytes */
	enum layer_compression other =
	    format == LAYER_COMPRESSION_GZIP ? LAYER_COMPRESSION_ZSTD : LAYER_COMPRESSION_GZIP;
	int out3 = memfd_create("c3", MFD_CLOEXEC);
	uint64_t s3;
	char d3[DIGEST_BUF];
	ASSERT_EQ(0, layer_compress(out1, "layer", other, out3, d3, &s3, &err));
	ASSERT_EQ(other, layer_blob_compression(out3));
	free(back);
	back = read_back(out3, &back_len);
	ASSERT_EQ(len, back_len);
	ASSERT_TRUE(memcmp(back, data, len) == 0);
	free(back);
	free(data);
	close(in);
	close(out1);
	close(out2);
	close(out3);
}

TEST(gzip_round_trip)
{
	static const unsigned char magic[] = {0x1f, 0x8b};
	round_trip(LAYER_COMPRESSION_GZIP, magic, sizeof(magic));
}

TEST(zstd_round_trip)
{
	static const unsigned char magic[] = {0x28, 0xb5, 0x2f, 0xfd};
	round_trip(LAYER_COMPRESSION_ZSTD, magic, sizeof(magic));
}

TEST(empty_layers_and_bad_formats)
{
	int in = memfd_with("", 0), out = memfd_create("o", MFD_CLOEXEC);
	char d[DIGEST_BUF];
	uint64_t s = 0;
	_cleanup_error_ cell_error *err = NULL;
	ASSERT_EQ(LAYER_COMPRESSION_NONE, layer_blob_compression(in));
	ASSERT_EQ(0, layer_compress(in, "empty", LAYER_COMPRESSION_GZIP, out, d, &s, &err));
	ASSERT_TRUE(s > 0);
	ASSERT_EQ(-EINVAL, layer_compress(in, "empty", LAYER_COMPRESSION_OTHER, out, d, &s, &err));
	/* a corrupt gzip input is an error naming the layer, not a crash */
	int bad = memfd_with("\x1f\x8b\x08\x00garbage", 12);
	ASSERT_TRUE(layer_compress(bad, "layer sha256:bad", LAYER_COMPRESSION_ZSTD, out, d, &s, &err) < 0);
	ASSERT_CONTAINS(err->msg, "layer sha256:bad");
	close(in);
	close(out);
	close(bad);
}
