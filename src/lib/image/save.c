/* Writing docker-archive and oci-archive files. The output is written next
 * to its final name and renamed into place when complete: a failed save
 * leaves no half archive behind. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"
#include "base/json.h"
#include "base/strv.h"
#include "dynlib/archive.h"
#include "layout.h"
#include "reference.h"
#include "storage/stream.h"

#define BUF_SIZE (1 << 20)

struct saver {
	struct image_store *s;
	struct archive *a;
	char **written; /* archive names already there */
	unsigned char *buf;
	const char *out;
};

static int archive_fail(struct saver *sv, const char *name, cell_error **err)
{
	return cell_error_set(err, EIO, "write %s: %s: %s", sv->out, name, archive_error_string(sv->a));
}

static int put_header(struct saver *sv, const char *name, int64_t size, cell_error **err)
{
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return cell_error_set(err, ENOMEM, "out of memory");
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, size);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, 0, 0);
	int r = archive_write_header(sv->a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return archive_fail(sv, name, err);
	return 0;
}

static int put_data(struct saver *sv, const char *name, const void *buf, size_t len, cell_error **err)
{
	if (len && archive_write_data(sv->a, buf, len) != (la_ssize_t)len)
		return archive_fail(sv, name, err);
	return 0;
}

static int put_buffer(struct saver *sv, const char *name, const char *buf, size_t len, cell_error **err)
{
	int r = put_header(sv, name, (int64_t)len, err);
	if (r == 0)
		r = put_data(sv, name, buf, len, err);
	return r;
}

static bool already(struct saver *sv, const char *name)
{
	if (strv_contains(sv->written, name))
		return true;
	strv_push(&sv->written, name);
	return false;
}

/* A blob as it is stored. */
static int put_blob(struct saver *sv, const char *name, const char *digest, cell_error **err)
{
	if (already(sv, name))
		return 0;
	_cleanup_close_ int fd = blob_store_open_blob(sv->s->blobs, digest, err);
	if (fd < 0)
		return fd;
	int64_t size = 0;
	int r = blob_store_size(sv->s->blobs, digest, &size);
	if (r < 0)
		return cell_error_errno(err, -r, "blob %s", digest);
	r = put_header(sv, name, size, err);
	int64_t left = size;
	while (r == 0 && left > 0) {
		ssize_t n = read(fd, sv->buf, left < BUF_SIZE ? (size_t)left : BUF_SIZE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return cell_error_errno(err, n < 0 ? errno : EIO, "read blob %s", digest);
		r = put_data(sv, name, sv->buf, (size_t)n, err);
		left -= n;
	}
	return r;
}

/* A layer uncompressed, as docker-archive wants it. Its size must be known
 * before its header: the layer's record has it, else a counting pass. */
static int put_layer_tar(struct saver *sv, const char *name, const char *digest, const char *diff_id,
			 const char *chain_id, cell_error **err)
{
	if (already(sv, name))
		return 0;
	_cleanup_close_ int fd = blob_store_open_blob(sv->s->blobs, digest, err);
	if (fd < 0)
		return fd;
	char what[DIGEST_BUF + 8];
	snprintf(what, sizeof(what), "layer %.19s", digest);
	uint64_t size = image_store_layer_size(sv->s, chain_id);
	if (size == 0) {
		_cleanup_(layer_stream_freep) struct layer_stream *st = NULL;
		int r = layer_stream_open(fd, what, &st, err);
		if (r == 0)
			r = layer_stream_drain(st, err);
		if (r < 0)
			return r;
		size = layer_stream_size(st);
		if (lseek(fd, 0, SEEK_SET) < 0)
			return cell_error_errno(err, errno, "%s: rewind", what);
	}
	_cleanup_(layer_stream_freep) struct layer_stream *st = NULL;
	int r = layer_stream_open(fd, what, &st, err);
	if (r == 0)
		r = put_header(sv, name, (int64_t)size, err);
	uint64_t done = 0;
	while (r == 0) {
		const void *b;
		ssize_t n = layer_stream_read(st, &b, err);
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		if (done + (uint64_t)n > size)
			return cell_error_set(err, EBADMSG, "%s: longer than its record says", what);
		r = put_data(sv, name, b, (size_t)n, err);
		done += (uint64_t)n;
	}
	if (r == 0 && done != size)
		return cell_error_set(err, EBADMSG, "%s: %llu bytes, its record says %llu", what,
				      (unsigned long long)done, (unsigned long long)size);
	if (r == 0 && strcmp(layer_stream_digest(st), diff_id) != 0)
		return cell_error_set(err, EBADMSG, "%s: content is %s, not diffID %s", what,
				      layer_stream_digest(st), diff_id);
	return r;
}

/* The names to record for an image: the one asked for, or all of them when
 * it was asked for by ID. */
static int names_for(const struct image *img, const char *ref, bool by_name, char ***out)
{
	if (by_name) {
		struct image_ref r;
		if (image_ref_parse(ref, IMAGE_REF_LOCALHOST, &r, NULL) == 0) {
			char *full = image_ref_format(&r);
			image_ref_clear(&r);
			if (full && strv_contains(img->own_names, full))
				return strv_push_take(out, full);
			free(full);
		}
	}
	for (size_t i = 0; img->own_names[i]; i++)
		if (!strv_contains(*out, img->own_names[i]) && strv_push(out, img->own_names[i]) < 0)
			return -ENOMEM;
	return 0;
}

static int save_docker(struct saver *sv, struct image *imgs, const char *const *refs, const bool *by_name,
		       size_t n, cell_error **err)
{
	_cleanup_json_ json_t *manifest = json_array();
	_cleanup_json_ json_t *repos = json_object();
	int r = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct image *img = &imgs[i];
		char cname[DIGEST_BUF + 8];
		snprintf(cname, sizeof(cname), "%s.json", digest_hex(img->id));
		r = put_blob(sv, cname, img->id, err);
		json_t *layers = json_array();
		for (size_t k = 0; r == 0 && k < img->n_layers; k++) {
			char lname[DIGEST_BUF + 16];
			snprintf(lname, sizeof(lname), "%s/layer.tar", digest_hex(img->config.diff_ids[k]));
			r = put_layer_tar(sv, lname, img->manifest.layers[k].digest, img->config.diff_ids[k],
					  img->chain_ids[k], err);
			json_array_append_new(layers, json_string(lname));
		}
		_cleanup_strv_ char **names = NULL;
		if (r == 0 && names_for(img, refs[i], by_name[i], &names) < 0)
			r = cell_error_set(err, ENOMEM, "out of memory");
		json_t *tags = json_array();
		for (size_t k = 0; names && names[k]; k++) {
			json_array_append_new(tags, json_string(names[k]));
			char *colon = strrchr(names[k], ':');
			if (colon && img->n_layers) {
				*colon = '\0';
				json_t *repo = json_object_get(repos, names[k]);
				if (!repo)
					json_object_set_new(repos, names[k], repo = json_object());
				json_object_set_new(
				    repo, colon + 1,
				    json_string(digest_hex(img->config.diff_ids[img->n_layers - 1])));
				*colon = ':';
			}
		}
		json_array_append_new(manifest, json_pack("{s:s, s:o, s:o}", "Config", cname, "RepoTags",
							  tags, "Layers", layers));
	}
	if (r < 0)
		return r;
	_cleanup_free_ char *text = json_dumps(manifest, JSON_COMPACT);
	_cleanup_free_ char *rtext = json_dumps(repos, JSON_COMPACT);
	if (!text || !rtext)
		return cell_error_set(err, ENOMEM, "out of memory");
	r = put_buffer(sv, "manifest.json", text, strlen(text), err);
	if (r == 0 && json_object_size(repos))
		r = put_buffer(sv, "repositories", rtext, strlen(rtext), err);
	return r;
}

static int save_oci(struct saver *sv, struct image *imgs, const char *const *refs, const bool *by_name,
		    size_t n, cell_error **err)
{
	static const char layout_text[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	int r = put_buffer(sv, "oci-layout", layout_text, sizeof(layout_text) - 1, err);
	_cleanup_json_ json_t *index =
	    json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", MT_OCI_INDEX, "manifests");
	if (!index)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct image *img = &imgs[i];
		_cleanup_strv_ char **blobs = NULL;
		if (image_blobs(img, &blobs) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
		for (size_t k = 0; r == 0 && blobs[k]; k++) {
			char name[DIGEST_BUF + 16];
			snprintf(name, sizeof(name), "blobs/sha256/%s", digest_hex(blobs[k]));
			r = put_blob(sv, name, blobs[k], err);
		}
		int64_t size = 0;
		blob_store_size(sv->s->blobs, img->digest, &size);
		_cleanup_strv_ char **names = NULL;
		if (r == 0 && names_for(img, refs[i], by_name[i], &names) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
		if (r == 0 && (!names || !names[0]))
			layout_add_unnamed(index, img->digest, img->manifest.media_type, size);
		for (size_t k = 0; r == 0 && names && names[k]; k++)
			if (!layout_find_name(index, names[k]))
				json_array_append_new(json_object_get(index, "manifests"),
						      json_pack("{s:s, s:s, s:I, s:{s:s}}", "mediaType",
								img->manifest.media_type, "digest",
								img->digest, "size", (json_int_t)size,
								"annotations", ANNOTATION_REF_NAME,
								names[k]));
	}
	if (r < 0)
		return r;
	_cleanup_free_ char *text = json_dumps(index, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text)
		return cell_error_set(err, ENOMEM, "out of memory");
	return put_buffer(sv, "index.json", text, strlen(text), err);
}

int image_archive_save(struct image_store *s, const char *const *refs, enum archive_format format,
		       const char *path, cell_error **err)
{
	size_t n = strv_length((char *const *)refs);
	if (n == 0)
		return cell_error_set(err, EINVAL, "save: no image given");
	bool to_stdout = !path || strcmp(path, "-") == 0;
	_cleanup_free_ char *tmp = NULL;
	if (!to_stdout && asprintf(&tmp, "%s.tmp-%d", path, (int)getpid()) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	int r = image_store_lock(s, false, err);
	if (r < 0)
		return r;
	struct image *imgs = calloc(n, sizeof(*imgs));
	bool *by_name = calloc(n, sizeof(bool));
	struct saver sv = {.s = s, .out = to_stdout ? "standard output" : path, .buf = malloc(BUF_SIZE)};
	if (!imgs || !by_name || !sv.buf)
		r = cell_error_set(err, ENOMEM, "out of memory");
	size_t got = 0;
	for (; r == 0 && got < n; got++) {
		r = image_store_resolve(s, refs[got], &imgs[got], &by_name[got], err);
		if (r < 0)
			break;
	}
	_cleanup_close_ int fd = -EBADF;
	if (r == 0 && !to_stdout) {
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0)
			r = cell_error_errno(err, errno, "create %s", tmp);
	}
	if (r == 0) {
		sv.a = archive_write_new();
		if (!sv.a || archive_write_set_format_pax_restricted(sv.a) != ARCHIVE_OK ||
		    archive_write_open_fd(sv.a, to_stdout ? STDOUT_FILENO : fd) != ARCHIVE_OK)
			r = cell_error_set(err, EIO, "write %s: %s", sv.out,
					   sv.a ? archive_error_string(sv.a) : "oom");
	}
	if (r == 0)
		r = format == ARCHIVE_OCI ? save_oci(&sv, imgs, refs, by_name, n, err)
					  : save_docker(&sv, imgs, refs, by_name, n, err);
	if (sv.a) {
		if (archive_write_close(sv.a) != ARCHIVE_OK && r == 0)
			r = cell_error_set(err, EIO, "write %s: %s", sv.out, archive_error_string(sv.a));
		archive_write_free(sv.a);
	}
	image_store_unlock(s);
	if (r == 0 && !to_stdout && (fsync(fd) < 0 || rename(tmp, path) < 0))
		r = cell_error_errno(err, errno, "write %s", path);
	if (r < 0 && !to_stdout && tmp)
		unlink(tmp);
	image_list_free(imgs, got);
	free(by_name);
	free(sv.buf);
	strv_free(sv.written);
	return r;
}
