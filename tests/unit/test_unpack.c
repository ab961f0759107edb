/* Layer streams and layer unpacking: compression, diffIDs, whiteouts in
 * both modes, and the refusals of hostile entries. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/file.h"
#include "storage/stream.h"
#include "storage/tree.h"
#include "storage/unpack.h"
#include "tap.h"

struct ent {
	const char *name;
	char type;        /* f file, d dir, l symlink, h hardlink */
	const char *data; /* content or link target */
	int mode;
};

static char dir[64];

static int tmpdir(void)
{
	strcpy(dir, "/tmp/cell-test-unpack-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* A tar of the entries at dir/name, through filter (NULL, "gzip", "zstd"). */
static void make_tar(const char *name, const struct ent *e, size_t n, const char *filter)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	if (filter && strcmp(filter, "gzip") == 0)
		archive_write_add_filter_gzip(a);
	if (filter && strcmp(filter, "zstd") == 0)
		archive_write_add_filter_zstd(a);
	archive_write_open_filename(a, path);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *x = archive_entry_new();
		archive_entry_set_pathname(x, e[i].name);
		archive_entry_set_perm(x, e[i].mode ? e[i].mode : 0644);
		archive_entry_set_mtime(x, 1000000000, 0);
		size_t len = 0;
		switch (e[i].type) {
		case 'd':
			archive_entry_set_filetype(x, AE_IFDIR);
			break;
		case 'l':
			archive_entry_set_filetype(x, AE_IFLNK);
			archive_entry_set_symlink(x, e[i].data);
			break;
		case 'h':
			archive_entry_set_filetype(x, AE_IFREG);
			archive_entry_set_hardlink(x, e[i].data);
			break;
		default:
			archive_entry_set_filetype(x, AE_IFREG);
			len = strlen(e[i].data);
			archive_entry_set_size(x, (la_int64_t)len);
		}
		archive_write_header(a, x);
		if (len)
			archive_write_data(a, e[i].data, len);
		archive_entry_free(x);
	}
	archive_write_close(a);
	archive_write_free(a);
}

static int unpack(const char *tar, int dest, enum whiteout_mode mode, struct unpack_result *res,
		  cell_error **e)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, tar);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct unpack_options o = {.whiteouts = mode, .what = "layer test"};
	struct unpack_result tmp;
	int r = layer_unpack(fd, dest, &o, res ? res : &tmp, e);
	close(fd);
	return r;
}

static int subdir(int top, const char *name)
{
	mkdirat(top, name, 0755);
	return openat(top, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static const struct ent base[] = {
    {"etc/", 'd', NULL, 0755},
    {"etc/passwd", 'f', "root:x:0:0::/:/bin/sh\n", 0644},
    {"etc/group", 'f', "root:x:0:\n", 0644},
    {"data/", 'd', NULL, 0755},
    {"data/old", 'f', "old\n", 0600},
    {"data/link", 'l', "old", 0777},
    {"data/hard", 'h', "data/old", 0},
    {"./bin/tool", 'f', "#!/bin/sh\n", 04755},
};

TEST(diff_id_is_the_uncompressed_sha256_for_every_compression)
{
	int top = tmpdir();
	char want[DIGEST_BUF];
	make_tar("plain.tar", base, ARRAY_SIZE(base), NULL);
	make_tar("gz.tar", base, ARRAY_SIZE(base), "gzip");
	make_tar("zst.tar", base, ARRAY_SIZE(base), "zstd");
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	ASSERT_EQ(0, read_file_at(top, "plain.tar", 1 << 24, &buf, &len));
	digest_buffer(buf, len, want);
	static const char *const names[] = {"plain.tar", "gz.tar", "zst.tar"};
	for (size_t i = 0; i < 3; i++) {
		char d[16];
		snprintf(d, sizeof(d), "out%zu", i);
		int dest = subdir(top, d);
		struct unpack_result res;
		ASSERT_EQ(0, unpack(names[i], dest, WHITEOUT_OVERLAY, &res, NULL));
		ASSERT_STREQ(want, res.diff_id);
		ASSERT_EQ(len, res.tar_size);
		ASSERT_EQ(ARRAY_SIZE(base), res.entries);
		struct stat st;
		ASSERT_EQ(0, fstatat(dest, "bin/tool", &st, 0));
		ASSERT_EQ(04755, st.st_mode & 07777);
		ASSERT_EQ(1000000000, st.st_mtim.tv_sec);
		struct stat a, b;
		ASSERT_EQ(0, fstatat(dest, "data/old", &a, 0));
		ASSERT_EQ(0, fstatat(dest, "data/hard", &b, 0));
		ASSERT_EQ(a.st_ino, b.st_ino);
		ASSERT_EQ(0600, a.st_mode & 07777);
		close(dest);
	}
	/* The three trees are the same tree. */
	struct tree_summary s0, s1, s2;
	int d0 = openat(top, "out0", O_RDONLY | O_DIRECTORY),
	    d1 = openat(top, "out1", O_RDONLY | O_DIRECTORY),
	    d2 = openat(top, "out2", O_RDONLY | O_DIRECTORY);
	ASSERT_EQ(0, tree_summarize(d0, "t", TREE_SUM_SHA256, NULL, &s0, NULL));
	ASSERT_EQ(0, tree_summarize(d1, "t", TREE_SUM_SHA256, NULL, &s1, NULL));
	ASSERT_EQ(0, tree_summarize(d2, "t", TREE_SUM_SHA256, NULL, &s2, NULL));
	ASSERT_STREQ(s0.digest, s1.digest);
	ASSERT_STREQ(s0.digest, s2.digest);
	/* Hashing while unpacking gives the summary a reader computes. */
	int d3 = subdir(top, "out3");
	char path[128];
	snprintf(path, sizeof(path), "%s/gz.tar", dir);
	int in = open(path, O_RDONLY | O_CLOEXEC);
	struct unpack_options ho = {.whiteouts = WHITEOUT_OVERLAY, .what = "hashed", .hash_contents = true};
	struct unpack_result hr;
	ASSERT_EQ(0, layer_unpack(in, d3, &ho, &hr, NULL));
	ASSERT_TRUE(hr.contents != NULL);
	struct tree_summary s3;
	ASSERT_EQ(0, tree_summarize(d3, "t", TREE_SUM_SHA256, hr.contents, &s3, NULL));
	ASSERT_STREQ(s0.digest, s3.digest);
	unpack_result_clear(&hr);
	/* The same with CRC-64 checksums: as written equals as read, and the
	 * kind is part of the summary. */
	int d4 = subdir(top, "out4");
	lseek(in, 0, SEEK_SET);
	struct unpack_options co = {.whiteouts = WHITEOUT_OVERLAY,
				    .what = "crc",
				    .hash_contents = true,
				    .content_sum = TREE_SUM_CRC64};
	struct unpack_result cres;
	ASSERT_EQ(0, layer_unpack(in, d4, &co, &cres, NULL));
	struct tree_summary c_known, c_read;
	ASSERT_EQ(0, tree_summarize(d4, "t", TREE_SUM_CRC64, cres.contents, &c_known, NULL));
	ASSERT_EQ(0, tree_summarize(d4, "t", TREE_SUM_CRC64, NULL, &c_read, NULL));
	ASSERT_STREQ(c_known.digest, c_read.digest);
	ASSERT_EQ(TREE_SUM_CRC64, c_read.content);
	ASSERT_TRUE(strcmp(c_read.digest, s0.digest) != 0);
	ASSERT_EQ(s0.size, c_read.size);
	ASSERT_EQ(s0.entries, c_read.entries);
	/* and a changed byte changes it */
	int f = openat(d4, "etc/passwd", O_WRONLY);
	ASSERT_EQ(1, pwrite(f, "R", 1, 0));
	close(f);
	struct tree_summary c_changed;
	ASSERT_EQ(0, tree_summarize(d4, "t", TREE_SUM_CRC64, NULL, &c_changed, NULL));
	ASSERT_TRUE(strcmp(c_changed.digest, c_read.digest) != 0);
	unpack_result_clear(&cres);
	close(d4);
	close(in);
	close(d3);
	ASSERT_EQ(22 + 10 + 4 + 10, s0.size); /* the hardlink counted once */
	close(d0);
	close(d1);
	close(d2);
	close(top);
	remove_tree_at(AT_FDCWD, dir);
}

/* A digest the caller vouches for replaces hashing a plain stream, and
 * only a plain one: a compressed stream's diffID is of what it inflates. */
TEST(trusted_digest_is_taken_for_plain_streams_only)
{
	int top = tmpdir();
	make_tar("plain.tar", base, ARRAY_SIZE(base), NULL);
	make_tar("gz.tar", base, ARRAY_SIZE(base), "gzip");
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	ASSERT_EQ(0, read_file_at(top, "plain.tar", 1 << 24, &buf, &len));
	char real[DIGEST_BUF], vouched[DIGEST_BUF];
	digest_buffer(buf, len, real);
	digest_buffer("something else", 14, vouched);
	static const char *const names[] = {"plain.tar", "gz.tar"};
	for (size_t i = 0; i < 2; i++) {
		char d[16];
		snprintf(d, sizeof(d), "t%zu", i);
		int dest = subdir(top, d);
		char path[128];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		int in = open(path, O_RDONLY | O_CLOEXEC);
		struct unpack_options o = {
		    .whiteouts = WHITEOUT_OVERLAY, .what = "trusted", .trusted_digest = vouched};
		struct unpack_result res;
		ASSERT_EQ(0, layer_unpack(in, dest, &o, &res, NULL));
		/* The plain stream was not hashed: it reports what it was told. */
		ASSERT_STREQ(i == 0 ? vouched : real, res.diff_id);
		ASSERT_EQ(len, res.tar_size);
		struct stat st;
		ASSERT_EQ(0, fstatat(dest, "etc/passwd", &st, 0));
		close(in);
		close(dest);
	}
	close(top);
	remove_tree_at(AT_FDCWD, dir);
}

TEST(concatenated_gzip_members_and_corruption)
{
	int top = tmpdir();
	make_tar("a.tar", base, ARRAY_SIZE(base), NULL);
	_cleanup_free_ char *plain = NULL;
	size_t plen = 0;
	read_file_at(top, "a.tar", 1 << 24, &plain, &plen);
	/* two gzip members: the first half and the second half of the tar */
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "cd %s && head -c 4096 a.tar | gzip > two.gz && tail -c +4097 a.tar | gzip >> two.gz && "
		 "cp two.gz bad.gz && printf 'XX' | dd of=bad.gz bs=1 seek=40 conv=notrunc 2>/dev/null && "
		 "head -c 200 two.gz > short.gz",
		 dir);
	ASSERT_EQ(0, system(cmd));
	int fd = openat(top, "two.gz", O_RDONLY);
	struct layer_stream *s = NULL;
	ASSERT_EQ(0, layer_stream_open(fd, "two", &s, NULL));
	ASSERT_EQ(LAYER_COMPRESSION_GZIP, layer_stream_compression(s));
	ASSERT_EQ(0, layer_stream_drain(s, NULL));
	char want[DIGEST_BUF];
	digest_buffer(plain, plen, want);
	ASSERT_STREQ(want, layer_stream_digest(s));
	ASSERT_EQ(plen, layer_stream_size(s));
	layer_stream_free(s);
	close(fd);
	static const char *const broken[] = {"bad.gz", "short.gz"};
	for (size_t i = 0; i < 2; i++) {
		fd = openat(top, broken[i], O_RDONLY);
		cell_error *e = NULL;
		ASSERT_EQ(0, layer_stream_open(fd, broken[i], &s, NULL));
		ASSERT_TRUE(layer_stream_drain(s, &e) < 0);
		ASSERT_CONTAINS(e->msg, broken[i]);
		cell_error_free(e);
		layer_stream_free(s);
		close(fd);
	}
	close(top);
	remove_tree_at(AT_FDCWD, dir);
}

/* The stream s gives exactly the len bytes at data, then its end, and the
 * digest of those bytes. */
static void expect_stream(struct layer_stream *s, const void *data, size_t len)
{
	char want[DIGEST_BUF];
	digest_buffer(data, len, want);
	size_t at = 0;
	const void *b;
	ssize_t n;
	while ((n = layer_stream_read(s, &b, NULL)) > 0) {
		ASSERT_TRUE(at + (size_t)n <= len);
		ASSERT_EQ(0, memcmp((const char *)data + at, b, (size_t)n));
		at += (size_t)n;
	}
	ASSERT_EQ(0, n);
	ASSERT_EQ(len, at);
	ASSERT_STREQ(want, layer_stream_digest(s));
}

/* Through a read-ahead thread the stream is the same: bytes, size, digest,
 * and a corrupt one fails the same way; freeing it early does not wait for
 * input that never comes. */
TEST(read_ahead_gives_the_same_stream)
{
	int top = tmpdir();
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "cd %s && head -c 5000000 /dev/urandom > big && gzip -1 -c big > big.gz && "
		 "cp big.gz bad.gz && printf 'XXXX' | dd of=bad.gz bs=1 seek=100000 conv=notrunc 2>/dev/null",
		 dir);
	ASSERT_EQ(0, system(cmd));
	_cleanup_free_ char *plain = NULL;
	size_t plen = 0;
	ASSERT_EQ(0, read_file_at(top, "big", 1 << 24, &plain, &plen));
	static const char *const names[] = {"big", "big.gz"};
	for (size_t i = 0; i < 2; i++) {
		int fd = openat(top, names[i], O_RDONLY);
		struct layer_stream *s = NULL;
		ASSERT_EQ(0, layer_stream_open(fd, names[i], &s, NULL));
		layer_stream_read_ahead(s);
		expect_stream(s, plain, plen);
		ASSERT_EQ(plen, layer_stream_size(s));
		layer_stream_free(s);
		close(fd);
	}
	int fd = openat(top, "bad.gz", O_RDONLY);
	struct layer_stream *s = NULL;
	ASSERT_EQ(0, layer_stream_open(fd, "bad", &s, NULL));
	layer_stream_read_ahead(s);
	cell_error *e = NULL;
	ASSERT_TRUE(layer_stream_drain(s, &e) < 0);
	ASSERT_CONTAINS(e->msg, "bad");
	cell_error_free(e);
	layer_stream_free(s);
	close(fd);
	/* a pipe whose writer stays: the thread waits in read() until freed */
	int p[2];
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(8, write(p[1], "abcdefgh", 8));
	ASSERT_EQ(0, layer_stream_open(p[0], "pipe", &s, NULL));
	layer_stream_read_ahead(s);
	const void *b;
	ASSERT_EQ(8, layer_stream_read(s, &b, NULL));
	layer_stream_free(s);
	close(p[0]);
	close(p[1]);
	close(top);
	remove_tree_at(AT_FDCWD, dir);
}

/* Read around the page cache, the stream is the same, to its odd tail;
 * the caller's fd gets its flags back. (/var/tmp: a disk's file system,
 * where O_DIRECT works; elsewhere the reads fall back to the cache.) */
TEST(direct_reads_give_the_same_stream)
{
	char path[] = "/var/tmp/cell-test-direct-XXXXXX";
	int fd = mkstemp(path);
	ASSERT_TRUE(fd >= 0);
	size_t len = (3 << 20) + 1234;
	unsigned char *data = malloc(len);
	ASSERT_TRUE(data != NULL);
	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 2654435761u >> 13);
	ASSERT_EQ(0, write_all(fd, data, len));
	ASSERT_EQ(0, fsync(fd));
	for (int ahead = 0; ahead < 2; ahead++) {
		ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
		int before = fcntl(fd, F_GETFL);
		struct layer_stream *s = NULL;
		ASSERT_EQ(0, layer_stream_open(fd, "direct", &s, NULL));
		layer_stream_read_direct(s);
		if (ahead)
			layer_stream_read_ahead(s);
		expect_stream(s, data, len);
		layer_stream_free(s);
		ASSERT_EQ(before, fcntl(fd, F_GETFL));
	}
	free(data);
	close(fd);
	unlink(path);
}

static const struct ent upper[] = {
    {"etc/.wh.group", 'f', "", 0},           {"data/.wh..wh..opq", 'f', "", 0},
    {"data/new", 'f', "new\n", 0644},        {"fresh/dir/file", 'f', "x", 0644},
    {".wh..wh.plnk/123", 'f', "aufs", 0644},
};

TEST(whiteouts_overlay_and_delete)
{
	int top = tmpdir();
	make_tar("base.tar", base, ARRAY_SIZE(base), NULL);
	make_tar("upper.tar", upper, ARRAY_SIZE(upper), NULL);

	int o = subdir(top, "overlay");
	ASSERT_EQ(0, unpack("upper.tar", o, WHITEOUT_OVERLAY, NULL, NULL));
	struct stat st;
	ASSERT_EQ(0, fstatat(o, "etc/group", &st, AT_SYMLINK_NOFOLLOW));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	ASSERT_EQ(makedev(0, 0), st.st_rdev);
	char val[8] = "";
	char p[128];
	snprintf(p, sizeof(p), "%s/overlay/data", dir);
	ASSERT_EQ(1, getxattr(p, "trusted.overlay.opaque", val, sizeof(val)));
	ASSERT_EQ('y', val[0]);
	ASSERT_EQ(0, fstatat(o, "fresh/dir/file", &st, 0));
	ASSERT_EQ(-1, fstatat(o, ".wh..wh.plnk", &st, 0));

	/* vfs: the base, then the upper layer on the same tree */
	int v = subdir(top, "vfs");
	ASSERT_EQ(0, unpack("base.tar", v, WHITEOUT_DELETE, NULL, NULL));
	ASSERT_EQ(0, unpack("upper.tar", v, WHITEOUT_DELETE, NULL, NULL));
	ASSERT_EQ(-1, fstatat(v, "etc/group", &st, AT_SYMLINK_NOFOLLOW));
	ASSERT_EQ(0, fstatat(v, "etc/passwd", &st, 0));
	ASSERT_EQ(-1, fstatat(v, "data/old", &st, AT_SYMLINK_NOFOLLOW));
	ASSERT_EQ(-1, fstatat(v, "data/link", &st, AT_SYMLINK_NOFOLLOW));
	ASSERT_EQ(0, fstatat(v, "data/new", &st, 0)); /* written before the marker, kept */
	close(o);
	close(v);
	close(top);
	remove_tree_at(AT_FDCWD, dir);
}

static void hostile_entries(void);

TEST(hostile_entries_are_refused)
{
	unsetenv("CELL_NO_OPENAT2");
	hostile_entries();
}

TEST(hostile_entries_are_refused_without_openat2)
{
	setenv("CELL_NO_OPENAT2", "1", 1);
	hostile_entries();
	unsetenv("CELL_NO_OPENAT2");
}

static void hostile_entries(void)
{
	static const struct {
		struct ent e[2];
		size_t n;
		const char *msg;
	} cases[] = {
	    {{{"../x", 'f', "x", 0}}, 1, "entry \"../x\": \"..\" leaves the layer"},
	    {{{"/abs", 'f', "x", 0}}, 1, "entry \"/abs\": absolute names are refused"},
	    {{{"l", 'l', "/", 0}, {"l/x", 'f', "x", 0}},
	     2,
	     "entry \"l/x\": refusing to write through a symlink"},
	    {{{"h", 'h', "../../etc/passwd", 0}}, 1, "entry \"h\": hardlink target leaves the layer"},
	    {{{"h", 'h', "missing", 0}}, 1, "entry \"h\": hardlink target: No such file or directory"},
	    {{{"f", 'f', "x", 0}, {"f/g", 'f', "x", 0}}, 2, "entry \"f/g\": a parent is not a directory"},
	    {{{"a/.wh..", 'f', "", 0}}, 1, "whiteout of an invalid name"},
	};
	int top = tmpdir();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char name[32], d[32];
		snprintf(name, sizeof(name), "h%zu.tar", i);
		snprintf(d, sizeof(d), "h%zu", i);
		make_tar(name, cases[i].e, cases[i].n, NULL);
		int dest = subdir(top, d);
		cell_error *e = NULL;
		ASSERT_TRUE(unpack(name, dest, WHITEOUT_DELETE, NULL, &e) < 0);
		ASSERT_CONTAINS(e->msg, cases[i].msg);
		cell_error_free(e);
		close(dest);
	}
	close(top);
	remove_tree_at(AT_FDCWD, dir);
}

TEST(names_are_cleaned)
{
	char out[64];
	ASSERT_EQ(0, unpack_clean_name("./a//b/./c/", out, sizeof(out)));
	ASSERT_STREQ("a/b/c", out);
	ASSERT_EQ(1, unpack_clean_name("./", out, sizeof(out)));
	ASSERT_EQ(1, unpack_clean_name(".", out, sizeof(out)));
	ASSERT_EQ(-EXDEV, unpack_clean_name("a/../b", out, sizeof(out)));
	ASSERT_EQ(-EXDEV, unpack_clean_name("/a", out, sizeof(out)));
	ASSERT_EQ(-ENAMETOOLONG,
		  unpack_clean_name("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
				    out, sizeof(out)));
}

TEST(not_a_tar)
{
	int top = tmpdir();
	write_file_at(top, "junk", "this is not a tar archive, not even close to one", 48, 0644);
	int fd = openat(top, "junk", O_RDONLY);
	int dest = subdir(top, "d");
	struct unpack_options o = {.whiteouts = WHITEOUT_OVERLAY, .what = "layer junk"};
	struct unpack_result res;
	cell_error *e = NULL;
	ASSERT_TRUE(layer_unpack(fd, dest, &o, &res, &e) < 0);
	ASSERT_CONTAINS(e->msg, "layer junk");
	cell_error_free(e);
	close(fd);
	close(dest);
	close(top);
	remove_tree_at(AT_FDCWD, dir);
}

/* A file's bytes, generated (i is its index): no two files alike. */
static void fill(unsigned char *b, size_t len, unsigned i)
{
	for (size_t k = 0; k < len; k++)
		b[k] = (unsigned char)(((k + i * 7919u) * 2654435761u) >> 11);
}

/* Direct I/O writes big files in aligned chunks with an unaligned tail, and
 * gives up at a hole: every shape must come out the same as through the
 * page cache. */
TEST(direct_io_unpack_is_faithful)
{
	int top = tmpdir();
	/* under the direct threshold, just over it, exactly one chunk, several
	 * chunks and a tail */
	static const size_t sizes[] = {1000, (64 << 10) + 1, 1 << 20, (3 << 20) + 12345};
	char path[128];
	snprintf(path, sizeof(path), "%s/big.tar.gz", dir);
	struct archive *a = archive_write_new();
	archive_write_set_format_pax(a);
	archive_write_add_filter_gzip(a);
	ASSERT_EQ(ARCHIVE_OK, archive_write_open_filename(a, path));
	unsigned char *buf = malloc((3 << 20) + 12345);
	ASSERT_TRUE(buf != NULL);
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct archive_entry *x = archive_entry_new();
		char name[32];
		snprintf(name, sizeof(name), "f%u", i);
		archive_entry_set_pathname(x, name);
		archive_entry_set_filetype(x, AE_IFREG);
		archive_entry_set_perm(x, 0644);
		archive_entry_set_size(x, (la_int64_t)sizes[i]);
		fill(buf, sizes[i], i);
		ASSERT_EQ(ARCHIVE_OK, archive_write_header(a, x));
		ASSERT_EQ((la_ssize_t)sizes[i], archive_write_data(a, buf, sizes[i]));
		archive_entry_free(x);
	}
	/* sparse: data, a hole past the first chunk, data, a hole at the end
	 * (the writer takes the whole file and keeps the listed parts) */
	unsigned char *sparse = calloc(1, 8 << 20);
	ASSERT_TRUE(sparse != NULL);
	fill(sparse, (1 << 20) + 100, 9);
	fill(sparse + (4 << 20), 200000, 10);
	struct archive_entry *x = archive_entry_new();
	archive_entry_set_pathname(x, "sparse");
	archive_entry_set_filetype(x, AE_IFREG);
	archive_entry_set_perm(x, 0644);
	archive_entry_set_size(x, 8 << 20);
	archive_entry_sparse_add_entry(x, 0, (1 << 20) + 100);
	archive_entry_sparse_add_entry(x, 4 << 20, 200000);
	ASSERT_EQ(ARCHIVE_OK, archive_write_header(a, x));
	ASSERT_EQ(8 << 20, archive_write_data(a, sparse, 8 << 20));
	archive_entry_free(x);
	archive_write_close(a);
	archive_write_free(a);

	int plain = subdir(top, "plain"), direct = subdir(top, "direct");
	int in = open(path, O_RDONLY | O_CLOEXEC);
	struct unpack_options po = {.whiteouts = WHITEOUT_OVERLAY, .what = "plain", .hash_contents = true};
	struct unpack_result pr = {0}, dr = {0};
	ASSERT_EQ(0, layer_unpack(in, plain, &po, &pr, NULL));
	ASSERT_EQ(0, (int)lseek(in, 0, SEEK_SET));
	struct unpack_options d = {
	    .whiteouts = WHITEOUT_OVERLAY, .what = "direct", .hash_contents = true, .direct_io = true};
	ASSERT_EQ(0, layer_unpack(in, direct, &d, &dr, NULL));
	close(in);
	ASSERT_STREQ(pr.diff_id, dr.diff_id);
	/* every byte, read back */
	for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
		char name[32];
		snprintf(name, sizeof(name), "f%u", i);
		_cleanup_free_ char *got = NULL;
		size_t len = 0;
		ASSERT_EQ(0, read_file_at(direct, name, 16 << 20, &got, &len));
		ASSERT_EQ(sizes[i], len);
		fill(buf, sizes[i], i);
		ASSERT_TRUE(memcmp(got, buf, len) == 0);
	}
	_cleanup_free_ char *sp = NULL, *pl = NULL;
	size_t splen = 0, pllen = 0;
	ASSERT_EQ(0, read_file_at(direct, "sparse", 16 << 20, &sp, &splen));
	ASSERT_EQ(0, read_file_at(plain, "sparse", 16 << 20, &pl, &pllen));
	ASSERT_EQ(8 << 20, splen);
	ASSERT_EQ(8 << 20, pllen);
	ASSERT_TRUE(memcmp(sp, sparse, splen) == 0);
	ASSERT_TRUE(memcmp(pl, sparse, pllen) == 0);
	free(sparse);
	/* and the two trees summarize the same, hashed while written or read */
	struct tree_summary sp1, sd1, sd2;
	ASSERT_EQ(0, tree_summarize(plain, "plain", TREE_SUM_SHA256, NULL, &sp1, NULL));
	ASSERT_EQ(0, tree_summarize(direct, "direct", TREE_SUM_SHA256, NULL, &sd1, NULL));
	ASSERT_EQ(0, tree_summarize(direct, "direct", TREE_SUM_SHA256, dr.contents, &sd2, NULL));
	ASSERT_STREQ(sp1.digest, sd1.digest);
	ASSERT_STREQ(sp1.digest, sd2.digest);
	unpack_result_clear(&pr);
	unpack_result_clear(&dr);
	free(buf);
	close(plain);
	close(direct);
	close(top);
	remove_tree_at(AT_FDCWD, dir);
}

TEST(tree_copy_is_faithful)
{
	int top = tmpdir();
	make_tar("base.tar", base, ARRAY_SIZE(base), NULL);
	int a = subdir(top, "a"), b = subdir(top, "b");
	ASSERT_EQ(0, unpack("base.tar", a, WHITEOUT_DELETE, NULL, NULL));
	char p[128];
	snprintf(p, sizeof(p), "%s/a/etc/passwd", dir);
	ASSERT_EQ(0, setxattr(p, "user.test", "v", 1, 0));
	ASSERT_EQ(0, tree_copy(a, b, "copy", NULL));
	struct tree_summary sa, sb;
	ASSERT_EQ(0, tree_summarize(a, "a", TREE_SUM_SHA256, NULL, &sa, NULL));
	ASSERT_EQ(0, tree_summarize(b, "b", TREE_SUM_SHA256, NULL, &sb, NULL));
	ASSERT_STREQ(sa.digest, sb.digest);
	ASSERT_EQ(sa.entries, sb.entries);
	struct stat x, y;
	ASSERT_EQ(0, fstatat(b, "data/old", &x, 0));
	ASSERT_EQ(0, fstatat(b, "data/hard", &y, 0));
	ASSERT_EQ(x.st_ino, y.st_ino);
	/* a change shows in the summary */
	write_file_at(b, "etc/passwd", "changed\n", 8, 0644);
	ASSERT_EQ(0, tree_summarize(b, "b", TREE_SUM_SHA256, NULL, &sb, NULL));
	ASSERT_TRUE(strcmp(sa.digest, sb.digest) != 0);
	close(a);
	close(b);
	close(top);
	remove_tree_at(AT_FDCWD, dir);
}
