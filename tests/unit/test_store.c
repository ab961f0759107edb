/* The blob store, the layout's index, and the image and layer stores
 * together: commit, shared layers, containers' writable layers holding
 * images, rmi refusing images in use. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/json.h"
#include "base/strv.h"
#include "image/archive.h"
#include "image/check.h"
#include "image/layout.h"
#include "image/store.h"
#include "storage/tree.h"
#include "tap.h"

static char dir[64];

static int tmpdir(void)
{
	strcpy(dir, "/tmp/cell-test-store-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* With direct I/O a blob goes out in aligned chunks and an unaligned tail:
 * what lands must be every byte, in order, whatever the pieces. */
TEST(blobs_written_around_the_page_cache_are_whole)
{
	int top = tmpdir();
	struct blob_store *bs = NULL;
	ASSERT_EQ(0, blob_store_open(top, dir, &bs, NULL));
	blob_store_direct_io(bs, true);
	/* sizes around the 2 MiB chunk: under, exactly one, several plus a tail */
	static const size_t sizes[] = {5000, 2 << 20, (5 << 20) + 4097};
	for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
		size_t len = sizes[k];
		unsigned char *data = malloc(len);
		ASSERT_TRUE(data != NULL);
		for (size_t i = 0; i < len; i++)
			data[i] = (unsigned char)((i * 2654435761u) >> 13) ^ (unsigned char)k;
		char want[DIGEST_BUF], got[DIGEST_BUF];
		digest_buffer(data, len, want);
		struct blob_writer *w = NULL;
		ASSERT_EQ(0, blob_writer_new(bs, &w, NULL));
		/* odd pieces, one of them larger than a chunk */
		size_t at = 0, piece = 777;
		while (at < len) {
			size_t n = len - at < piece ? len - at : piece;
			ASSERT_EQ(0, blob_writer_write(w, data + at, n, NULL));
			at += n;
			piece = piece == 777 ? (3 << 20) + 5 : 777;
		}
		ASSERT_EQ(len, blob_writer_size(w));
		ASSERT_EQ(0, blob_writer_commit(w, want, (int64_t)len, got, NULL));
		blob_writer_free(w);
		ASSERT_STREQ(want, got);
		char *buf = NULL;
		size_t blen = 0;
		ASSERT_EQ(0, blob_store_read(bs, want, 16 << 20, &buf, &blen, NULL));
		ASSERT_EQ(len, blen);
		ASSERT_TRUE(memcmp(buf, data, len) == 0);
		free(buf);
		free(data);
	}
	/* a wrong digest still leaves nothing behind */
	struct blob_writer *w = NULL;
	ASSERT_EQ(0, blob_writer_new(bs, &w, NULL));
	static char big[(2 << 20) + 10];
	ASSERT_EQ(0, blob_writer_write(w, big, sizeof(big), NULL));
	cell_error *e = NULL;
	ASSERT_EQ(-EBADMSG, blob_writer_commit(
				w, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
				-1, NULL, &e));
	cell_error_free(e);
	blob_writer_free(w);
	/* and so does a writer dropped with chunks in flight */
	ASSERT_EQ(0, blob_writer_new(bs, &w, NULL));
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, blob_writer_write(w, big, sizeof(big), NULL));
	blob_writer_free(w);
	char **names = NULL;
	ASSERT_EQ(0, blob_store_list(bs, &names, NULL));
	ASSERT_EQ(ARRAY_SIZE(sizes), strv_length(names));
	strv_free(names);
	blob_store_free(bs);
	close(top);
	remove_tree_at(AT_FDCWD, dir);
}

TEST(blobs_are_verified_while_written)
{
	int top = tmpdir();
	struct blob_store *bs = NULL;
	ASSERT_EQ(0, blob_store_open(top, dir, &bs, NULL));
	char d[DIGEST_BUF];
	ASSERT_EQ(0, blob_store_put(bs, "abc", 3, NULL, d, NULL));
	ASSERT_STREQ("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", d);
	ASSERT_TRUE(blob_store_has(bs, d));
	/* twice is fine */
	ASSERT_EQ(0, blob_store_put(bs, "abc", 3, d, NULL, NULL));
	cell_error *e = NULL;
	ASSERT_EQ(-EBADMSG, blob_store_put(bs, "abd", 3, d, NULL, &e));
	ASSERT_CONTAINS(e->msg, "content has digest");
	cell_error_free(e);
	/* a failed write leaves nothing: only the one blob is there */
	char **names = NULL;
	ASSERT_EQ(0, blob_store_list(bs, &names, NULL));
	ASSERT_EQ(1, strv_length(names));
	strv_free(names);
	char *buf = NULL;
	size_t len;
	ASSERT_EQ(0, blob_store_read(bs, d, 100, &buf, &len, NULL));
	ASSERT_EQ(3, len);
	free(buf);
	ASSERT_EQ(0, blob_store_verify(bs, d, NULL));
	/* corruption is found on read and on verify */
	write_file_at(top, "blobs/sha256/ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		      "xyz", 3, 0644);
	e = NULL;
	ASSERT_EQ(-EBADMSG, blob_store_read(bs, d, 100, &buf, &len, &e));
	cell_error_free(e);
	e = NULL;
	ASSERT_EQ(-EBADMSG, blob_store_verify(bs, d, &e));
	cell_error_free(e);
	e = NULL;
	ASSERT_EQ(-EINVAL, blob_store_open_blob(bs, "sha256:../../etc/passwd", &e));
	cell_error_free(e);
	blob_store_free(bs);
	close(top);
	remove_tree_at(AT_FDCWD, dir);
}

/* New layer records name their content checksum (crc64); a record from
 * before names none and means SHA-256, and verifies with it; an unknown
 * name is an error naming it. */
static void check_old_records(struct image_store *s, const char *chain)
{
	_cleanup_free_ char *diff = storage_layer_diff_path(s->storage, chain);
	ASSERT_TRUE(diff != NULL);
	char rec[PATH_MAX];
	snprintf(rec, sizeof(rec), "%s/../layer.json", diff);
	json_t *j = NULL;
	ASSERT_EQ(0, json_load_file_at(AT_FDCWD, rec, 1 << 20, &j, NULL));
	json_t *tree = json_object_get(j, "tree");
	ASSERT_STREQ("crc64", json_string_value(json_object_get(tree, "content")));
	int dfd = open(diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct tree_summary old;
	ASSERT_EQ(0, tree_summarize(dfd, "old", TREE_SUM_SHA256, NULL, &old, NULL));
	close(dfd);
	json_object_set_new(tree, "digest", json_string(old.digest));
	json_object_del(tree, "content");
	char *text = json_dumps(j, 0);
	ASSERT_EQ(0, write_file_at(AT_FDCWD, rec, text, strlen(text), 0600));
	free(text);
	ASSERT_EQ(0, storage_layer_verify(s->storage, chain, NULL));
	json_object_set_new(tree, "content", json_string("md5"));
	text = json_dumps(j, 0);
	ASSERT_EQ(0, write_file_at(AT_FDCWD, rec, text, strlen(text), 0600));
	free(text);
	cell_error *e = NULL;
	ASSERT_TRUE(storage_layer_verify(s->storage, chain, &e) < 0);
	ASSERT_CONTAINS(e->msg, "unknown checksum \"md5\"");
	cell_error_free(e);
	json_object_set_new(tree, "content", json_string("sha256"));
	text = json_dumps(j, 0);
	ASSERT_EQ(0, write_file_at(AT_FDCWD, rec, text, strlen(text), 0600));
	free(text);
	ASSERT_EQ(0, storage_layer_verify(s->storage, chain, NULL));
	json_decref(j);
}

TEST(index_names)
{
	_cleanup_json_ json_t *idx = json_pack("{s:i, s:[]}", "schemaVersion", 2, "manifests");
	const char *a = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	const char *b = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	ASSERT_EQ(0, layout_set_name(idx, "localhost/x:1", a, "m", 1));
	ASSERT_EQ(0, layout_set_name(idx, "localhost/y:1", a, "m", 1));
	const char **n = layout_names_of(idx, a);
	ASSERT_EQ(2, strv_length((char **)n));
	free(n);
	/* moving x:1 to b leaves a with y:1 only */
	ASSERT_EQ(0, layout_set_name(idx, "localhost/x:1", b, "m", 1));
	ASSERT_STREQ(b, layout_entry_digest(layout_find_name(idx, "localhost/x:1")));
	/* the last name of a, removed while keeping it: an unnamed entry */
	ASSERT_EQ(0, layout_remove_name(idx, "localhost/y:1", true));
	ASSERT_EQ(2, json_array_size(json_object_get(idx, "manifests")));
	n = layout_names_of(idx, a);
	ASSERT_EQ(0, strv_length((char **)n));
	free(n);
	ASSERT_EQ(0, layout_add_unnamed(idx, a, "m", 1)); /* already there: no second one */
	ASSERT_EQ(2, json_array_size(json_object_get(idx, "manifests")));
	layout_remove_digest(idx, a);
	ASSERT_EQ(1, json_array_size(json_object_get(idx, "manifests")));
	ASSERT_EQ(-ENOENT, layout_remove_name(idx, "localhost/none:1", true));
}

/* A one-file layer tarball at dir/name. */
static void make_layer(const char *name, const char *file, const char *content)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_open_filename(a, path);
	struct archive_entry *x = archive_entry_new();
	archive_entry_set_pathname(x, file);
	archive_entry_set_filetype(x, AE_IFREG);
	archive_entry_set_perm(x, 0644);
	archive_entry_set_size(x, (la_int64_t)strlen(content));
	archive_write_header(a, x);
	archive_write_data(a, content, strlen(content));
	archive_entry_free(x);
	archive_write_close(a);
	archive_write_free(a);
}

static void open_store(const char *driver, struct image_store **s)
{
	char root[128], run[128];
	snprintf(root, sizeof(root), "%s/%s-store", dir, driver);
	snprintf(run, sizeof(run), "%s/%s-run", dir, driver);
	struct image_store_options o = {.root = root, .runroot = run, .driver = driver};
	cell_error *e = NULL;
	if (image_store_open(&o, s, &e) < 0)
		tap_fail(__FILE__, __LINE__, "open store: %s", e->msg);
}

static void containers_hold_images(const char *driver)
{
	if (geteuid() != 0)
		TAP_SKIP("needs root (overlay, chown)");
	int top = tmpdir();
	make_layer("l.tar", "hello", "world\n");
	struct image_store *s = NULL;
	open_store(driver, &s);
	char path[128], id[DIGEST_BUF];
	snprintf(path, sizeof(path), "%s/l.tar", dir);
	struct import_options io = {.name = "app"};
	ASSERT_EQ(0, image_import(s, path, &io, id, NULL));
	struct image img;
	ASSERT_EQ(0, image_store_resolve(s, "app", &img, NULL, NULL));
	ASSERT_STREQ(id, img.id);
	ASSERT_EQ(1, img.n_layers);

	ASSERT_EQ(0, image_store_lock(s, true, NULL));
	ASSERT_EQ(0,
		  storage_container_create(s->storage, "c1", img.digest, img.n_layers, img.chain_ids, NULL));
	cell_error *e = NULL;
	ASSERT_EQ(-EEXIST,
		  storage_container_create(s->storage, "c1", img.digest, img.n_layers, img.chain_ids, &e));
	cell_error_free(e);
	char **refs = NULL;
	ASSERT_EQ(0, storage_layer_refs(s->storage, img.chain_ids[0], &refs, NULL));
	ASSERT_EQ(2, strv_length(refs)); /* the image and the container */
	strv_free(refs);

	/* the container's root: the image's file, and its own writes */
	char *rootfs = NULL;
	ASSERT_EQ(0, storage_container_mount(s->storage, "c1", &rootfs, NULL));
	char f[256];
	snprintf(f, sizeof(f), "%s/hello", rootfs);
	char *content = NULL;
	ASSERT_EQ(0, read_file_at(AT_FDCWD, f, 100, &content, NULL));
	ASSERT_STREQ("world\n", content);
	free(content);
	snprintf(f, sizeof(f), "%s/written", rootfs);
	ASSERT_EQ(0, write_file_at(AT_FDCWD, f, "x", 1, 0644));
	/* the layer itself did not change */
	ASSERT_EQ(0, storage_layer_verify(s->storage, img.chain_ids[0], NULL));
	check_old_records(s, img.chain_ids[0]);

	/* rmi refuses an image in use, -f removes the container too */
	const char *names[] = {"app", NULL};
	struct removal rm = {0};
	e = NULL;
	ASSERT_EQ(-EBUSY, image_store_remove(s, names, false, &rm, &e));
	ASSERT_CONTAINS(e->msg, "is in use by container c1");
	cell_error_free(e);
	removal_clear(&rm);
	struct check_report rep;
	image_store_unlock(s);
	ASSERT_EQ(0, image_store_check(s, false, &rep, NULL));
	ASSERT_EQ(0, strv_length(rep.broken));
	ASSERT_EQ(0, strv_length(rep.orphaned));
	ASSERT_EQ(1, rep.containers);
	check_report_clear(&rep);
	ASSERT_EQ(0, image_store_lock(s, true, NULL));
	ASSERT_EQ(0, image_store_remove(s, names, true, &rm, NULL));
	ASSERT_EQ(1, strv_length(rm.deleted));
	removal_clear(&rm);
	char **ids = NULL;
	ASSERT_EQ(0, storage_container_list(s->storage, &ids, NULL));
	ASSERT_EQ(0, strv_length(ids));
	strv_free(ids);
	ASSERT_FALSE(storage_layer_exists(s->storage, img.chain_ids[0]));
	image_store_unlock(s);
	free(rootfs);
	image_clear(&img);
	image_store_free(s);
	close(top);
	ASSERT_EQ(0, remove_tree_at(AT_FDCWD, dir));
}

TEST(containers_hold_images_overlay)
{
	containers_hold_images("overlay");
}

TEST(containers_hold_images_vfs)
{
	containers_hold_images("vfs");
}

TEST(long_chains_mount_with_both_overlay_paths)
{
	if (geteuid() != 0)
		TAP_SKIP("needs root (overlay)");
	int top = tmpdir();
	struct image_store *s = NULL;
	open_store("overlay", &s);
	/* 70 layers: their absolute paths overflow a page of mount options */
	enum { N = 70 };
	struct layer_source src[N];
	char whats[N][32], diffs[N][DIGEST_BUF];
	int fds[N];
	for (int i = 0; i < N; i++) {
		char name[32], file[32], content[32];
		snprintf(name, sizeof(name), "l%d.tar", i);
		snprintf(file, sizeof(file), "f%d", i);
		snprintf(content, sizeof(content), "layer %d\n", i);
		make_layer(name, file, content);
		fds[i] = openat(top, name, O_RDONLY | O_CLOEXEC);
		_cleanup_free_ char *buf = NULL;
		size_t len = 0;
		read_file_at(top, name, 1 << 20, &buf, &len);
		digest_buffer(buf, len, diffs[i]);
		snprintf(whats[i], sizeof(whats[i]), "layer %d", i);
		src[i] = (struct layer_source){.fd = fds[i], .diff_id = diffs[i], .what = whats[i]};
	}
	char chain[N][DIGEST_BUF];
	ASSERT_EQ(0, image_store_lock(s, true, NULL));
	cell_error *e = NULL;
	if (storage_create_chain(s->storage, N, src, chain, &e) < 0)
		tap_fail(__FILE__, __LINE__, "%s", e->msg);
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			setenv("CELL_OVERLAY_CLASSIC_MOUNT", "1", 1);
		char *path = NULL;
		e = NULL;
		if (storage_image_mount(s->storage, "long", N, chain, &path, &e) < 0)
			tap_fail(__FILE__, __LINE__, "pass %d: %s", pass, e->msg);
		for (int i = 0; i < N; i += 23) {
			char f[256];
			snprintf(f, sizeof(f), "%s/f%d", path, i);
			ASSERT_EQ(0, access(f, R_OK));
		}
		ASSERT_EQ(0, storage_image_unmount(s->storage, "long", NULL));
		free(path);
	}
	unsetenv("CELL_OVERLAY_CLASSIC_MOUNT");
	for (int i = 0; i < N; i++)
		close(fds[i]);
	image_store_unlock(s);
	image_store_free(s);
	close(top);
	ASSERT_EQ(0, remove_tree_at(AT_FDCWD, dir));
}
