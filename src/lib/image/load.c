/* Loading docker-archive and oci-archive files. Every file of the archive
 * streams into the blob store as it is read (hashed on the way), keyed by
 * its name; manifest.json or index.json then say which blobs make which
 * image. Archive names are only keys here: nothing is ever written at a
 * path taken from the archive. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "base/file.h"
#include "base/json.h"
#include "base/log.h"
#include "base/strv.h"
#include "dynlib/archive.h"
#include "layout.h"
#include "reference.h"
#include "storage/unpack.h"

#define INDEX_FILE_MAX   (16 << 20)
#define BUF_SIZE         (1 << 20)
#define UNPACK_AHEAD_MIN (1 << 20)

struct archive_item {
	char *name;
	char *link; /* symlink or hardlink: the name it points to */
	char digest[DIGEST_BUF];
	int64_t size;
};

struct loader {
	struct image_store *s;
	const char *path;
	struct archive_item *items;
	size_t n, cap;
	char *manifest_json, *index_json; /* docker's manifest.json, OCI's index.json */
	size_t manifest_len, index_len;
	bool oci_layout;
};

static void loader_clear(struct loader *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].name);
		free(l->items[i].link);
	}
	free(l->items);
	free(l->manifest_json);
	free(l->index_json);
}

static struct archive_item *add_item(struct loader *l, const char *name)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		struct archive_item *v = realloc(l->items, cap * sizeof(*v));
		if (!v)
			return NULL;
		l->items = v;
		l->cap = cap;
	}
	struct archive_item *it = &l->items[l->n];
	memset(it, 0, sizeof(*it));
	if (!(it->name = strdup(name)))
		return NULL;
	l->n++;
	return it;
}

/* The blob behind an archive name, following links (a newer `docker save`
 * links legacy layer paths to blobs/sha256/…). */
static const struct archive_item *find_item(const struct loader *l, const char *name)
{
	char cur[PATH_MAX];
	snprintf(cur, sizeof(cur), "%s", name);
	for (int depth = 0; depth < 16; depth++) {
		const struct archive_item *hit = NULL;
		for (size_t i = l->n; i-- > 0;)
			if (strcmp(l->items[i].name, cur) == 0) {
				hit = &l->items[i];
				break;
			}
		if (!hit || !hit->link)
			return hit;
		snprintf(cur, sizeof(cur), "%s", hit->link);
	}
	return NULL;
}

/* Resolve a symlink target lexically against the link's directory. */
static int link_target(const char *link_name, const char *target, char *out, size_t len)
{
	char joined[PATH_MAX * 2];
	if (target[0] == '/')
		snprintf(joined, sizeof(joined), "%s", target);
	else {
		const char *slash = strrchr(link_name, '/');
		snprintf(joined, sizeof(joined), "%.*s%s%s", slash ? (int)(slash - link_name) : 0, link_name,
			 slash ? "/" : "", target);
	}
	/* Collapse "." and ".." without going above the archive's top. */
	char *parts[PATH_MAX / 2];
	size_t n = 0;
	char *save = NULL;
	for (char *p = strtok_r(joined, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (strcmp(p, ".") == 0)
			continue;
		if (strcmp(p, "..") == 0) {
			if (n == 0)
				return -EXDEV;
			n--;
			continue;
		}
		if (n < PATH_MAX / 2)
			parts[n++] = p;
	}
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(out + o, len - o, "%s%s", i ? "/" : "", parts[i]);
		if (w < 0 || (size_t)w >= len - o)
			return -ENAMETOOLONG;
		o += (size_t)w;
	}
	return 0;
}

static int read_small(struct archive *a, int64_t size, char **out, size_t *len, const char *name,
		      cell_error **err)
{
	if (size < 0 || size > INDEX_FILE_MAX)
		return cell_error_set(err, EFBIG, "archive file %s: larger than %d bytes", name,
				      INDEX_FILE_MAX);
	char *buf = malloc((size_t)size + 1);
	if (!buf)
		return cell_error_set(err, ENOMEM, "out of memory");
	la_ssize_t n = archive_read_data(a, buf, (size_t)size);
	if (n != size) {
		free(buf);
		return cell_error_set(err, EBADMSG, "archive file %s: %s", name,
				      n < 0 ? archive_error_string(a) : "truncated");
	}
	buf[size] = '\0';
	*out = buf;
	*len = (size_t)size;
	return 0;
}

/* Read an archive file into the blob store. A big one (a layer, almost
 * always) is also unpacked as it is read, through a pipe into an unpack
 * worker (*fed then), beside the reading of the rest of the archive. */
static int ingest_file(struct loader *l, struct archive *a, struct archive_item *it, const char *expected,
		       int64_t size, unsigned char *buf, bool *stored, bool *fed, cell_error **err)
{
	_cleanup_(blob_writer_freep) struct blob_writer *w = NULL;
	int r = blob_writer_new(l->s->blobs, &w, err);
	if (r < 0)
		return r;
	_cleanup_close_ int feed = -EBADF;
	size_t slot = 0;
	*fed = size >= UNPACK_AHEAD_MIN && image_store_unpack_feed(l->s, &feed, &slot, NULL) == 0;
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf, BUF_SIZE);
		if (n < 0)
			return cell_error_set(err, EBADMSG, "%s: archive file %s: %s", l->path, it->name,
					      archive_error_string(a));
		if (n == 0)
			break;
		r = blob_writer_write(w, buf, (size_t)n, err);
		if (r < 0)
			return r;
		/* A worker that stopped reading (not a tar after all) has its
		 * report; the blob goes on without it. */
		if (feed >= 0 && write_all(feed, buf, (size_t)n) < 0) {
			close(feed);
			feed = -EBADF;
		}
	}
	if (feed >= 0) {
		close(feed);
		feed = -EBADF;
	}
	it->size = (int64_t)blob_writer_size(w);
	r = blob_writer_commit(w, expected, -1, it->digest, err);
	if (r < 0)
		return cell_error_prefix(err, "%s: archive file %s", l->path, it->name);
	if (*fed)
		image_store_pending_name(l->s, slot, it->digest);
	*stored = blob_writer_stored(w);
	return 0;
}

static int read_archive(struct loader *l, int fd, cell_error **err)
{
	struct archive *a = archive_read_new();
	if (!a)
		return cell_error_set(err, ENOMEM, "out of memory");
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	int r = 0;
	if (archive_read_open_fd(a, fd, BUF_SIZE) != ARCHIVE_OK) {
		r = cell_error_set(err, EBADMSG, "%s: not a tar archive: %s", l->path,
				   archive_error_string(a));
		archive_read_free(a);
		return r;
	}
	unsigned char *buf = malloc(BUF_SIZE);
	if (!buf) {
		archive_read_free(a);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	for (;;) {
		struct archive_entry *e;
		int ar = archive_read_next_header(a, &e);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN) {
			r = cell_error_set(err, EBADMSG, "%s: %s", l->path, archive_error_string(a));
			break;
		}
		char name[PATH_MAX];
		const char *raw = archive_entry_pathname(e);
		int cr = raw ? unpack_clean_name(raw, name, sizeof(name)) : -EINVAL;
		if (cr == 1)
			continue;
		if (cr < 0) {
			r = cell_error_set(err, EBADMSG,
					   "%s: archive entry \"%s\": not a name inside the archive", l->path,
					   raw ? raw : "(none)");
			break;
		}
		const char *hard = archive_entry_hardlink(e);
		mode_t type = archive_entry_filetype(e);
		if (hard || type == AE_IFLNK) {
			char target[PATH_MAX];
			int lr =
			    hard ? unpack_clean_name(hard, target, sizeof(target))
				 : link_target(name, archive_entry_symlink(e) ? archive_entry_symlink(e) : "",
					       target, sizeof(target));
			if (lr != 0) {
				r = cell_error_set(err, EBADMSG,
						   "%s: archive entry %s: link leaves the archive", l->path,
						   name);
				break;
			}
			struct archive_item *it = add_item(l, name);
			if (!it || !(it->link = strdup(target))) {
				r = cell_error_set(err, ENOMEM, "out of memory");
				break;
			}
			continue;
		}
		if (type != AE_IFREG)
			continue;
		int64_t size = archive_entry_size(e);
		if (strcmp(name, "manifest.json") == 0) {
			free(l->manifest_json);
			r = read_small(a, size, &l->manifest_json, &l->manifest_len, name, err);
		} else if (strcmp(name, "index.json") == 0) {
			free(l->index_json);
			r = read_small(a, size, &l->index_json, &l->index_len, name, err);
		} else if (strcmp(name, "oci-layout") == 0 || strcmp(name, "repositories") == 0) {
			l->oci_layout = l->oci_layout || strcmp(name, "oci-layout") == 0;
		} else {
			struct archive_item *it = add_item(l, name);
			if (!it) {
				r = cell_error_set(err, ENOMEM, "out of memory");
				break;
			}
			char expected[DIGEST_BUF + 8];
			const char *exp = NULL;
			if (strncmp(name, "blobs/sha256/", 13) == 0 && digest_hex_valid(name + 13)) {
				snprintf(expected, sizeof(expected), DIGEST_PREFIX "%s", name + 13);
				exp = expected;
			}
			bool stored = false, fed = false;
			r = ingest_file(l, a, it, exp, size, buf, &stored, &fed, err);
			/* Not fed while read (too many unpacks under way): from
			 * the blob, still before the archive's end. */
			if (r == 0 && !fed && it->size >= UNPACK_AHEAD_MIN)
				image_store_unpack_ahead(l->s, it->digest, stored);
		}
		if (r < 0)
			break;
	}
	free(buf);
	archive_read_free(a);
	return r;
}

static const char *sniff_layer_type(struct image_store *s, const char *digest)
{
	_cleanup_close_ int fd = blob_store_open_blob(s->blobs, digest, NULL);
	unsigned char m[4] = {0};
	if (fd < 0 || read(fd, m, sizeof(m)) < 2)
		return MT_OCI_LAYER;
	if (m[0] == 0x1f && m[1] == 0x8b)
		return MT_OCI_LAYER_GZIP;
	if (memcmp(m, "\x28\xb5\x2f\xfd", 4) == 0)
		return MT_OCI_LAYER_ZSTD;
	return MT_OCI_LAYER;
}

static int push_loaded(char ***loaded, const char *const *names, const char *digest, struct image_store *s)
{
	if (names && names[0]) {
		for (size_t i = 0; names[i]; i++)
			if (strv_push(loaded, names[i]) < 0)
				return -ENOMEM;
		return 0;
	}
	struct image img;
	if (image_store_resolve(s, digest_hex(digest), &img, NULL, NULL) == 0) {
		int r = strv_push(loaded, img.id);
		image_clear(&img);
		return r;
	}
	return strv_push(loaded, digest);
}

/* One entry of docker's manifest.json → an OCI manifest over the blobs. */
static int load_docker_image(struct loader *l, json_t *entry, size_t idx, char ***loaded, cell_error **err)
{
	char where[64];
	snprintf(where, sizeof(where), "manifest.json[%zu]", idx);
	if (!json_is_object(entry))
		return cell_error_set(err, EINVAL, "%s: %s: must be an object", l->path, where);
	const char *config = NULL;
	_cleanup_free_ const char **tags = NULL, **layers = NULL;
	json_t *sources = NULL;
	if (json_get_string(entry, where, "Config", true, &config, err) < 0 ||
	    json_get_strv(entry, where, "RepoTags", false, &tags, err) < 0 ||
	    json_get_strv(entry, where, "Layers", true, &layers, err) < 0 ||
	    json_get_object(entry, where, "LayerSources", false, &sources, err) < 0)
		return cell_error_prefix(err, "%s", l->path);
	_cleanup_strv_ char **names = NULL;
	for (size_t i = 0; tags && tags[i]; i++) {
		struct image_ref ref;
		if (image_ref_parse(tags[i], IMAGE_REF_DOCKER, &ref, err) < 0)
			return cell_error_prefix(err, "%s: %s.RepoTags[%zu]", l->path, where, i);
		char *full = image_ref_format(&ref);
		image_ref_clear(&ref);
		if (!full || strv_push_take(&names, full) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
	}
	const struct archive_item *cfg = find_item(l, config);
	if (!cfg)
		return cell_error_set(err, ENOENT, "%s: %s.Config: %s is not in the archive", l->path, where,
				      config);
	/* The diffIDs, for foreign layers that are only described. */
	_cleanup_free_ char *cbuf = NULL;
	size_t clen = 0;
	struct image_config ic;
	int r = blob_store_read(l->s->blobs, cfg->digest, 16 << 20, &cbuf, &clen, err);
	if (r == 0)
		r = image_config_parse(cbuf, clen, config, &ic, err);
	if (r < 0)
		return cell_error_prefix(err, "%s", l->path);
	_cleanup_json_ json_t *jl = json_array();
	for (size_t i = 0; r == 0 && layers[i]; i++) {
		const struct archive_item *it = find_item(l, layers[i]);
		json_t *src = i < ic.n_diff_ids && sources ? json_object_get(sources, ic.diff_ids[i]) : NULL;
		if (it) {
			json_array_append_new(jl, json_pack("{s:s, s:s, s:I}", "mediaType",
							    sniff_layer_type(l->s, it->digest), "digest",
							    it->digest, "size", (json_int_t)it->size));
		} else if (json_is_object(src)) {
			json_array_append(jl, src);
		} else {
			r = cell_error_set(err, ENOENT, "%s: %s.Layers[%zu]: %s is not in the archive",
					   l->path, where, i, layers[i]);
		}
	}
	image_config_clear(&ic);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *m = json_pack(
	    "{s:i, s:s, s:{s:s, s:s, s:I}, s:O}", "schemaVersion", 2, "mediaType", MT_OCI_MANIFEST, "config",
	    "mediaType", MT_OCI_CONFIG, "digest", cfg->digest, "size", (json_int_t)cfg->size, "layers", jl);
	_cleanup_free_ char *text = m ? json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (!text)
		return cell_error_set(err, ENOMEM, "out of memory");
	char digest[DIGEST_BUF];
	r = image_store_commit(l->s, text, strlen(text), (const char *const *)names, digest, err);
	if (r < 0)
		return cell_error_prefix(err, "%s: %s", l->path, where);
	return push_loaded(loaded, (const char *const *)names, digest, l->s) < 0
		   ? cell_error_set(err, ENOMEM, "out of memory")
		   : 0;
}

static int load_docker(struct loader *l, char ***loaded, cell_error **err)
{
	_cleanup_json_ json_t *doc = NULL;
	int r = json_load_buffer(l->manifest_json, l->manifest_len, "manifest.json", &doc, err);
	if (r < 0)
		return cell_error_prefix(err, "%s", l->path);
	if (!json_is_array(doc) || json_array_size(doc) == 0)
		return cell_error_set(err, EINVAL, "%s: manifest.json: must be a non-empty array", l->path);
	size_t i;
	json_t *e;
	json_array_foreach (doc, i, e) {
		r = load_docker_image(l, e, i, loaded, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A name from an OCI ref.name annotation: a full reference is a name; a bare
 * tag ("latest", what `skopeo copy oci-archive:F:latest` writes) names
 * nothing by itself. */
static int oci_ref_name(const char *ann, char **out, cell_error **err)
{
	*out = NULL;
	if (!ann || (!strchr(ann, '/') && !strchr(ann, ':')))
		return 0;
	struct image_ref ref;
	if (image_ref_parse(ann, IMAGE_REF_LOCALHOST, &ref, err) < 0)
		return -EINVAL;
	*out = image_ref_format(&ref);
	image_ref_clear(&ref);
	return *out ? 0 : cell_error_set(err, ENOMEM, "out of memory");
}

static int load_oci(struct loader *l, const struct platform *platform, char ***loaded, cell_error **err)
{
	struct manifest index;
	int r = manifest_parse(l->index_json, l->index_len, NULL, "index.json", &index, err);
	if (r < 0)
		return cell_error_prefix(err, "%s", l->path);
	if (index.kind != KIND_INDEX) {
		manifest_clear(&index);
		return cell_error_set(err, EINVAL, "%s: index.json is not an image index", l->path);
	}
	struct platform host;
	if (!platform) {
		platform_host(&host);
		platform = &host;
	}
	if (index.n_manifests == 0)
		r = cell_error_set(err, EINVAL, "%s: index.json lists no images", l->path);
	for (size_t i = 0; r == 0 && i < index.n_manifests; i++) {
		const struct descriptor *d = &index.manifests[i];
		_cleanup_free_ char *name = NULL;
		const char *ann =
		    d->annotations ? json_string_value(json_object_get(d->annotations, ANNOTATION_REF_NAME))
				   : NULL;
		r = oci_ref_name(ann, &name, err);
		if (r < 0) {
			cell_error_prefix(err, "%s: index.json.manifests[%zu]", l->path, i);
			break;
		}
		char mdigest[DIGEST_BUF];
		memcpy(mdigest, d->digest, DIGEST_BUF);
		_cleanup_free_ char *buf = NULL;
		size_t len = 0;
		struct manifest m;
		r = blob_store_read(l->s->blobs, mdigest, 4 << 20, &buf, &len, err);
		if (r == 0)
			r = manifest_parse(buf, len, d->media_type, mdigest, &m, err);
		if (r == 0 && m.kind == KIND_INDEX) {
			/* A multi-platform image: this platform's manifest. */
			size_t pick = 0;
			r = m.n_manifests == 1 && !m.manifests[0].has_platform
				? 0
				: manifest_select_platform(&m, platform, &pick, err);
			if (r == 0)
				memcpy(mdigest, m.manifests[pick].digest, DIGEST_BUF);
			char *mt = r == 0 ? strdup(m.manifests[pick].media_type) : NULL;
			manifest_clear(&m);
			free(buf);
			buf = NULL;
			if (r == 0)
				r = blob_store_read(l->s->blobs, mdigest, 4 << 20, &buf, &len, err);
			if (r == 0)
				r = manifest_parse(buf, len, mt, mdigest, &m, err);
			free(mt);
		}
		if (r < 0) {
			cell_error_prefix(err, "%s", l->path);
			break;
		}
		manifest_clear(&m);
		const char *names[2] = {name, NULL};
		char digest[DIGEST_BUF];
		r = image_store_commit(l->s, buf, len, names, digest, err);
		if (r < 0) {
			cell_error_prefix(err, "%s", l->path);
			break;
		}
		if (push_loaded(loaded, names, digest, l->s) < 0)
			r = cell_error_set(err, ENOMEM, "out of memory");
	}
	manifest_clear(&index);
	return r;
}

int image_archive_load(struct image_store *s, const char *path, const struct platform *platform,
		       char ***loaded, cell_error **err)
{
	struct loader l = {.s = s, .path = path && strcmp(path, "-") != 0 ? path : "standard input"};
	_cleanup_close_ int fd = -EBADF;
	if (path && strcmp(path, "-") != 0) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return cell_error_errno(err, errno, "open %s", path);
	}
	int r = image_store_lock(s, true, err);
	if (r < 0)
		return r;
	/* A pipe into an unpack worker that gave up must fail a write, not
	 * kill us. */
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
	sigaction(SIGPIPE, &ign, &old_pipe);
	_cleanup_strv_ char **out = NULL;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	blob_store_defer_sync(s->blobs, true);
	/* Bulk writes around the page cache: on a machine whose fresh page
	 * cache pages are slow to fill (a VM's first touch), a 280 MB load
	 * went from 1.6-2.1 s to 1.0 s. The unpacks read the blobs back. */
	blob_store_direct_io(s->blobs, true);
	storage_set_direct_io(s->storage, true);
	r = read_archive(&l, fd >= 0 ? fd : STDIN_FILENO, err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_debug("%s: %zu files read into the blob store in %.3f s", l.path, l.n,
		  (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (r == 0) {
		if (l.manifest_json)
			r = load_docker(&l, &out, err);
		else if (l.index_json && l.oci_layout)
			r = load_oci(&l, platform, &out, err);
		else
			r = cell_error_set(
			    err, EINVAL,
			    "%s: neither a docker-archive (no manifest.json) nor an oci-archive (no "
			    "oci-layout and index.json)",
			    l.path);
	}
	/* What the archive carried and no image needs (and everything, after a
	 * failure) goes again. */
	_cleanup_error_ cell_error *gc_err = NULL;
	if (image_store_gc(s, &gc_err) < 0)
		log_warning("%s", gc_err->msg);
	image_store_drop_pending(s);
	storage_set_direct_io(s->storage, false);
	blob_store_direct_io(s->blobs, false);
	blob_store_defer_sync(s->blobs, false);
	image_store_unlock(s);
	sigaction(SIGPIPE, &old_pipe, NULL);
	loader_clear(&l);
	if (r < 0)
		return r;
	if (!out && !(out = calloc(1, sizeof(char *))))
		return cell_error_set(err, ENOMEM, "out of memory");
	*loaded = TAKE_PTR(out);
	return 0;
}
