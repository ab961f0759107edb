#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/json.h"
#include "base/log.h"
#include "base/path.h"
#include "base/strv.h"
#include "layout.h"
#include "reference.h"

#define MANIFEST_MAX (4 << 20)
#define CONFIG_MAX   (16 << 20)

static char *xdg_dir(const char *var, const char *fallback_rel, const char *leaf)
{
	const char *v = getenv(var);
	char *s = NULL;
	if (v && *v) {
		if (asprintf(&s, "%s/%s", v, leaf) < 0)
			return NULL;
		return s;
	}
	const char *home = getenv("HOME");
	if (fallback_rel && home && *home) {
		if (asprintf(&s, "%s/%s/%s", home, fallback_rel, leaf) < 0)
			return NULL;
		return s;
	}
	if (asprintf(&s, "/tmp/%s-%u", leaf, (unsigned)geteuid()) < 0)
		return NULL;
	return s;
}

char *image_store_default_root(void)
{
	if (geteuid() == 0)
		return strdup("/var/lib/cell");
	return xdg_dir("XDG_DATA_HOME", ".local/share", "cell");
}

char *image_store_default_runroot(void)
{
	if (geteuid() == 0)
		return strdup("/run/cell");
	return xdg_dir("XDG_RUNTIME_DIR", NULL, "cell");
}

int image_store_open(const struct image_store_options *o, struct image_store **out, cell_error **err)
{
	_cleanup_(image_store_freep) struct image_store *s = calloc(1, sizeof(*s));
	if (!s)
		return cell_error_set(err, ENOMEM, "out of memory");
	s->rootfd = -EBADF;
	s->root = o->root ? strdup(o->root) : image_store_default_root();
	s->runroot = o->runroot ? strdup(o->runroot) : image_store_default_runroot();
	if (!s->root || !s->runroot)
		return cell_error_set(err, ENOMEM, "out of memory");
	if (s->root[0] != '/' || s->runroot[0] != '/')
		return cell_error_set(err, EINVAL, "store paths must be absolute (--root %s, --runroot %s)",
				      s->root, s->runroot);
	int r = mkdir_parents(s->root, 0700);
	if (r < 0)
		return cell_error_errno(err, -r, "create store %s", s->root);
	r = mkdir_parents(s->runroot, 0700);
	if (r < 0)
		return cell_error_errno(err, -r, "create run directory %s", s->runroot);
	s->rootfd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->rootfd < 0)
		return cell_error_errno(err, errno, "open store %s", s->root);
	r = storage_open(s->rootfd, s->root, s->runroot, o->driver, &s->storage, err);
	if (r < 0)
		return r;
	r = blob_store_open(s->rootfd, s->root, &s->blobs, err);
	if (r < 0)
		return r;
	if (faccessat(s->rootfd, "index.json", F_OK, AT_SYMLINK_NOFOLLOW) < 0 ||
	    faccessat(s->rootfd, "oci-layout", F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		r = storage_lock(s->storage, true, err);
		if (r < 0)
			return r;
		r = layout_init(s->rootfd, s->root, err);
		storage_unlock(s->storage);
		if (r < 0)
			return r;
	}
	*out = TAKE_PTR(s);
	return 0;
}

static struct layer_job *pending_job(struct image_store *s, const char *digest);

/* As many unpacks under way as processors: another would only wait. */
static bool unpacks_busy(struct image_store *s)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t running = 0;
	for (size_t i = 0; i < s->n_pending; i++)
		running += storage_unpack_running(s->pending[i].job);
	return running >= (size_t)(cpus > 0 ? cpus : 1);
}

bool image_store_unpack_ahead(struct image_store *s, const char *digest, bool fresh)
{
	if (pending_job(s, digest))
		return true;
	if (unpacks_busy(s))
		return false;
	struct pending_layer *v = realloc(s->pending, (s->n_pending + 1) * sizeof(*v));
	if (!v)
		return false;
	s->pending = v;
	struct pending_layer *p = &v[s->n_pending];
	memcpy(p->digest, digest, DIGEST_BUF);
	p->fd = blob_store_open_blob(s->blobs, digest, NULL);
	if (p->fd < 0)
		return false;
	char what[64];
	snprintf(what, sizeof(what), "layer %.19s", digest);
	if (storage_unpack_start(s->storage, p->fd, what, fresh ? digest : NULL, &p->job, NULL) < 0) {
		close(p->fd);
		return false;
	}
	s->n_pending++;
	return true;
}

/* A pending unpack fed through a pipe; digest may be "" (named later). */
static int start_stream(struct image_store *s, const char *digest, const char *what, int *fd,
			cell_error **err)
{
	struct pending_layer *v = realloc(s->pending, (s->n_pending + 1) * sizeof(*v));
	if (!v)
		return cell_error_set(err, ENOMEM, "out of memory");
	s->pending = v;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return cell_error_errno(err, errno, "pipe");
	/* A deep pipe: the download runs ahead of the unpack by up to this
	 * much before it waits. Best effort: the default depth works too. */
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	struct pending_layer *pl = &v[s->n_pending];
	snprintf(pl->digest, sizeof(pl->digest), "%s", digest);
	pl->fd = -1;
	int r = storage_unpack_start(s->storage, p[0], what, NULL, &pl->job, err);
	close(p[0]);
	if (r < 0) {
		close(p[1]);
		return r;
	}
	s->n_pending++;
	*fd = p[1];
	return 0;
}

int image_store_unpack_stream(struct image_store *s, const char *digest, int *fd, cell_error **err)
{
	char what[64];
	snprintf(what, sizeof(what), "layer %.19s", digest);
	return start_stream(s, digest, what, fd, err);
}

int image_store_unpack_feed(struct image_store *s, int *fd, size_t *slot, cell_error **err)
{
	if (unpacks_busy(s))
		return -EBUSY;
	*slot = s->n_pending;
	return start_stream(s, "", "a layer being loaded", fd, err);
}

void image_store_pending_name(struct image_store *s, size_t slot, const char *digest)
{
	if (slot < s->n_pending)
		snprintf(s->pending[slot].digest, sizeof(s->pending[slot].digest), "%s", digest);
}

int image_store_pending_error(struct image_store *s, const char *digest, cell_error **err)
{
	struct layer_job *job = pending_job(s, digest);
	if (!job)
		return cell_error_set(err, ENOENT, "layer %.19s: no unpack under way", digest);
	return storage_unpack_finish(job, err);
}

void image_store_drop_pending(struct image_store *s)
{
	for (size_t i = 0; i < s->n_pending; i++) {
		storage_unpack_discard(s->storage, s->pending[i].job);
		if (s->pending[i].fd >= 0)
			close(s->pending[i].fd);
	}
	free(s->pending);
	s->pending = NULL;
	s->n_pending = 0;
}

static struct layer_job *pending_job(struct image_store *s, const char *digest)
{
	for (size_t i = 0; i < s->n_pending; i++)
		if (strcmp(s->pending[i].digest, digest) == 0)
			return s->pending[i].job;
	return NULL;
}

void image_store_free(struct image_store *s)
{
	if (!s)
		return;
	image_store_drop_pending(s);
	storage_free(s->storage);
	blob_store_free(s->blobs);
	if (s->rootfd >= 0)
		close(s->rootfd);
	free(s->root);
	free(s->runroot);
	free(s);
}

int image_store_lock(struct image_store *s, bool exclusive, cell_error **err)
{
	int r = storage_lock(s->storage, exclusive, err);
	if (r < 0 || !exclusive)
		return r;
	/* Named temporaries of blob writers that died (only where the file
	 * system has no O_TMPFILE). */
	_cleanup_strv_ char **names = NULL;
	if (blob_store_list(s->blobs, &names, NULL) == 0)
		for (size_t i = 0; names[i]; i++)
			if (strncmp(names[i], ".tmp-", 5) == 0)
				blob_store_remove(s->blobs, names[i], NULL);
	return 0;
}

void image_store_unlock(struct image_store *s)
{
	storage_unlock(s->storage);
}

void image_clear(struct image *img)
{
	manifest_clear(&img->manifest);
	image_config_clear(&img->config);
	free(img->chain_ids);
	free(img->names);
	strv_free(img->own_names);
	memset(img, 0, sizeof(*img));
}

void image_list_free(struct image *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		image_clear(&v[i]);
	free(v);
}

uint64_t image_store_layer_size(struct image_store *s, const char *chain_id)
{
	struct layer_record rec;
	if (storage_layer_read(s->storage, chain_id, &rec, NULL) < 0)
		return 0;
	return rec.tar_size;
}

/* Read an image's manifest and config and compute its chain. */
int image_store_read(struct image_store *s, const char *digest, const char *media_type, struct image *img,
		     cell_error **err)
{
	memset(img, 0, sizeof(*img));
	memcpy(img->digest, digest, DIGEST_BUF);
	_cleanup_free_ char *buf = NULL, *cbuf = NULL;
	size_t len = 0, clen = 0;
	char what[DIGEST_BUF + 16];
	snprintf(what, sizeof(what), "manifest %.19s", digest);
	int r = blob_store_read(s->blobs, digest, MANIFEST_MAX, &buf, &len, err);
	if (r == 0)
		r = manifest_parse(buf, len, media_type, what, &img->manifest, err);
	if (r == 0 && img->manifest.kind != KIND_MANIFEST)
		r = cell_error_set(err, ENOTSUP, "%s: an index, not an image manifest", what);
	if (r == 0)
		r = blob_store_read(s->blobs, img->manifest.config.digest, CONFIG_MAX, &cbuf, &clen, err);
	snprintf(what, sizeof(what), "config %.19s", img->manifest.config.digest);
	if (r == 0)
		r = image_config_parse(cbuf, clen, what, &img->config, err);
	if (r == 0 && img->config.n_diff_ids != img->manifest.n_layers)
		r = cell_error_set(err, EINVAL,
				   "image %.19s: %zu layers in its manifest, %zu diffIDs in its config",
				   digest, img->manifest.n_layers, img->config.n_diff_ids);
	if (r == 0) {
		memcpy(img->id, img->manifest.config.digest, DIGEST_BUF);
		img->n_layers = img->manifest.n_layers;
		img->chain_ids = calloc(img->n_layers ? img->n_layers : 1, DIGEST_BUF);
		if (!img->chain_ids)
			r = cell_error_set(err, ENOMEM, "out of memory");
		for (size_t i = 0; r == 0 && i < img->n_layers; i++)
			storage_chain_id(i ? img->chain_ids[i - 1] : NULL, img->config.diff_ids[i],
					 img->chain_ids[i]);
	}
	if (r < 0) {
		image_clear(img);
		return cell_error_prefix(err, "image %.19s", digest);
	}
	for (size_t i = 0; i < img->n_layers; i++)
		img->size += image_store_layer_size(s, img->chain_ids[i]);
	return 0;
}

static int set_names(struct image *img, json_t *index)
{
	const char **names = layout_names_of(index, img->digest);
	if (!names)
		return -ENOMEM;
	for (size_t i = 0; names[i]; i++)
		if (strv_push(&img->own_names, names[i]) < 0) {
			free(names);
			return -ENOMEM;
		}
	free(names);
	if (!img->own_names && !(img->own_names = calloc(1, sizeof(char *))))
		return -ENOMEM;
	img->names = calloc(strv_length(img->own_names) + 1, sizeof(char *));
	if (!img->names)
		return -ENOMEM;
	for (size_t i = 0; img->own_names[i]; i++)
		img->names[i] = img->own_names[i];
	return 0;
}

int image_store_list(struct image_store *s, struct image **out, size_t *n, cell_error **err)
{
	_cleanup_json_ json_t *index = NULL;
	int r = layout_index_read(s->rootfd, s->root, &index, err);
	if (r < 0)
		return r;
	json_t *m = json_object_get(index, "manifests"), *d;
	struct image *v = calloc(json_array_size(m) + 1, sizeof(*v));
	if (!v)
		return cell_error_set(err, ENOMEM, "out of memory");
	size_t cnt = 0, i;
	json_array_foreach (m, i, d) {
		const char *digest = layout_entry_digest(d);
		bool seen = false;
		for (size_t k = 0; k < cnt && !seen; k++)
			seen = strcmp(v[k].digest, digest) == 0;
		if (seen)
			continue;
		r = image_store_read(s, digest, json_string_value(json_object_get(d, "mediaType")), &v[cnt],
				     err);
		if (r == 0 && set_names(&v[cnt], index) < 0)
			r = cell_error_set(err, ENOMEM, "out of memory");
		if (r < 0) {
			image_list_free(v, cnt + 1);
			return r;
		}
		cnt++;
	}
	*out = v;
	*n = cnt;
	return 0;
}

static bool is_hex_prefix(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > DIGEST_HEX_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* The descriptor in the index that ref names, or an error. */
static int find_by_name(json_t *index, const char *ref, const char **digest, const char **mt,
			cell_error **err)
{
	struct image_ref r;
	int rr = image_ref_parse(ref, IMAGE_REF_LOCALHOST, &r, err);
	if (rr < 0)
		return rr;
	json_t *m = json_object_get(index, "manifests"), *d, *found = NULL;
	size_t i;
	_cleanup_free_ char *full = image_ref_format(&r);
	_cleanup_free_ char *repo = image_ref_repository(&r);
	bool is_short = image_ref_is_short(ref);
	const char *path = r.path;
	int matches = 0;
	json_array_foreach (m, i, d) {
		const char *name = layout_entry_name(d);
		const char *dg = layout_entry_digest(d);
		if (r.digest) {
			/* name@digest: the manifest, under that repository. */
			if (strcmp(dg, r.digest) != 0)
				continue;
			size_t rl = strlen(repo);
			if (name && strncmp(name, repo, rl) == 0 && (name[rl] == ':' || name[rl] == '@')) {
				found = d;
				matches = 1;
				break;
			}
			continue;
		}
		if (!name)
			continue;
		if (full && strcmp(name, full) == 0) {
			found = d;
			matches = 1;
			break;
		}
		if (is_short) {
			/* "busybox" also finds "docker.io/library/busybox:latest" if
			 * that is the only one. */
			size_t pl = strlen(path), nl = strlen(name), tl = strlen(r.tag);
			const char *slash = strchr(name, '/');
			if (slash && nl > pl + tl + 1 && strcmp(name + nl - tl, r.tag) == 0 &&
			    name[nl - tl - 1] == ':' && strncmp(name + nl - tl - 1 - pl, path, pl) == 0 &&
			    name[nl - tl - 2 - pl] == '/') {
				if (!found || strcmp(layout_entry_digest(found), dg) != 0)
					matches++;
				found = d;
			}
		}
	}
	image_ref_clear(&r);
	if (matches > 1)
		return cell_error_set(err, EINVAL, "image name \"%s\" is ambiguous: give the full name", ref);
	if (!found)
		return -ENOENT;
	*digest = layout_entry_digest(found);
	*mt = json_string_value(json_object_get(found, "mediaType"));
	return 0;
}

int image_store_resolve(struct image_store *s, const char *ref, struct image *out, bool *by_name,
			cell_error **err)
{
	_cleanup_json_ json_t *index = NULL;
	int r = layout_index_read(s->rootfd, s->root, &index, err);
	if (r < 0)
		return r;
	const char *digest = NULL, *mt = NULL;
	_cleanup_error_ cell_error *name_err = NULL;
	r = find_by_name(index, ref, &digest, &mt, &name_err);
	if (r < 0) {
		/* An image ID (its config's digest) or a unique prefix of it. */
		const char *hex = strncmp(ref, DIGEST_PREFIX, 7) == 0 ? ref + 7 : ref;
		if (!is_hex_prefix(hex)) {
			if (r == -ENOENT)
				return cell_error_set(err, ENOENT, "image %s not known", ref);
			if (err) {
				*err = name_err;
				name_err = NULL;
			}
			return r;
		}
		struct image *all = NULL;
		size_t n = 0;
		r = image_store_list(s, &all, &n, err);
		if (r < 0)
			return r;
		ssize_t hit = -1;
		size_t hl = strlen(hex);
		for (size_t i = 0; i < n; i++) {
			if (strncmp(digest_hex(all[i].id), hex, hl) != 0 &&
			    strncmp(digest_hex(all[i].digest), hex, hl) != 0)
				continue;
			if (hit >= 0 && strcmp(all[hit].id, all[i].id) != 0) {
				image_list_free(all, n);
				return cell_error_set(err, EINVAL, "image ID prefix %s is ambiguous", ref);
			}
			if (hit < 0)
				hit = (ssize_t)i;
		}
		if (hit < 0) {
			image_list_free(all, n);
			return cell_error_set(err, ENOENT, "image %s not known", ref);
		}
		*out = all[hit];
		memset(&all[hit], 0, sizeof(all[hit]));
		image_list_free(all, n);
		if (by_name)
			*by_name = false;
		return 0;
	}
	r = image_store_read(s, digest, mt, out, err);
	if (r == 0 && set_names(out, index) < 0) {
		image_clear(out);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	if (r == 0 && by_name)
		*by_name = true;
	return r;
}

int image_blobs(const struct image *img, char ***digests)
{
	_cleanup_strv_ char **v = NULL;
	if (strv_push(&v, img->digest) < 0 || strv_push(&v, img->manifest.config.digest) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < img->manifest.n_layers; i++)
		if (strv_push(&v, img->manifest.layers[i].digest) < 0)
			return -ENOMEM;
	*digests = TAKE_PTR(v);
	return 0;
}

static int write_index(struct image_store *s, json_t *index, cell_error **err)
{
	return layout_index_write(s->rootfd, s->root, index, err);
}

int image_store_tag(struct image_store *s, const char *ref, const char *const *names, cell_error **err)
{
	struct image img;
	int r = image_store_resolve(s, ref, &img, NULL, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *index = NULL;
	r = layout_index_read(s->rootfd, s->root, &index, err);
	/* A descriptor's size is its manifest blob's. */
	int64_t size = 0;
	int sr = r == 0 ? blob_store_size(s->blobs, img.digest, &size) : 0;
	if (sr < 0)
		r = cell_error_errno(err, -sr, "manifest of image %s", img.digest);
	for (size_t i = 0; r == 0 && names[i]; i++) {
		struct image_ref nr;
		r = image_ref_parse(names[i], IMAGE_REF_LOCALHOST, &nr, err);
		if (r < 0)
			break;
		if (!nr.tag) {
			image_ref_clear(&nr);
			r = cell_error_set(err, EINVAL, "tag %s: a name with a digest cannot be a tag",
					   names[i]);
			break;
		}
		_cleanup_free_ char *full = image_ref_format(&nr);
		image_ref_clear(&nr);
		if (!full || layout_set_name(index, full, img.digest, img.manifest.media_type, size) < 0) {
			r = cell_error_set(err, ENOMEM, "out of memory");
			break;
		}
	}
	if (r == 0)
		r = write_index(s, index, err);
	image_clear(&img);
	return r;
}

static char *holder_of(const char *manifest_digest)
{
	char *h = NULL;
	if (asprintf(&h, "manifest-%s", digest_hex(manifest_digest)) < 0)
		return NULL;
	return h;
}

int image_store_users(struct image_store *s, const struct image *img, char ***ids, cell_error **err)
{
	_cleanup_strv_ char **all = NULL, **v = NULL;
	int r = storage_container_list(s->storage, &all, err);
	if (r < 0)
		return r;
	for (size_t i = 0; all[i]; i++) {
		_cleanup_free_ char *image = NULL;
		if (storage_container_image(s->storage, all[i], &image, NULL) < 0)
			continue;
		if ((strcmp(image, img->digest) == 0 || strcmp(image, img->id) == 0) &&
		    strv_push(&v, all[i]) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
	}
	if (!v && !(v = calloc(1, sizeof(char *))))
		return cell_error_set(err, ENOMEM, "out of memory");
	*ids = TAKE_PTR(v);
	return 0;
}

void removal_clear(struct removal *r)
{
	strv_free(r->untagged);
	strv_free(r->deleted);
	memset(r, 0, sizeof(*r));
}

/* Drop an image whose name is already gone from the index on disk: its
 * references, then the layers nobody holds any more (top first). */
static int release_layers(struct image_store *s, const struct image *img, cell_error **err)
{
	_cleanup_free_ char *holder = holder_of(img->digest);
	if (!holder)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = img->n_layers; i-- > 0;) {
		if (!storage_layer_exists(s->storage, img->chain_ids[i]))
			continue;
		int r = storage_layer_drop_ref(s->storage, img->chain_ids[i], holder, err);
		if (r < 0)
			return r;
		_cleanup_strv_ char **refs = NULL;
		r = storage_layer_refs(s->storage, img->chain_ids[i], &refs, err);
		if (r < 0)
			return r;
		if (!refs[0] && (r = storage_layer_remove(s->storage, img->chain_ids[i], err)) < 0)
			return r;
	}
	return 0;
}

static int delete_image(struct image_store *s, json_t *index, const struct image *img, bool force,
			struct removal *out, cell_error **err)
{
	_cleanup_strv_ char **users = NULL;
	int r = image_store_users(s, img, &users, err);
	if (r < 0)
		return r;
	if (users[0] && !force)
		return cell_error_set(err, EBUSY,
				      "image %.12s is in use by container %s (use -f to remove both)",
				      digest_hex(img->id), users[0]);
	for (size_t i = 0; users[i]; i++) {
		r = storage_container_remove(s->storage, users[i], err);
		if (r < 0)
			return r;
	}
	/* A read-only mount of it (`image mount`) goes with it. */
	char key[16];
	snprintf(key, sizeof(key), "%.12s", digest_hex(img->id));
	r = storage_image_unmount(s->storage, key, err);
	if (r < 0)
		return r;
	/* The name goes first: from here on a crash leaves unreferenced
	 * content that `system check --repair` or the next gc removes. */
	layout_remove_digest(index, img->digest);
	r = write_index(s, index, err);
	if (r < 0)
		return r;
	r = release_layers(s, img, err);
	if (r < 0)
		return r;
	if (strv_push(&out->deleted, img->id) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	return 0;
}

int image_store_remove(struct image_store *s, const char *const *refs, bool force, struct removal *out,
		       cell_error **err)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; refs[i]; i++) {
		struct image img;
		bool by_name = false;
		int r = image_store_resolve(s, refs[i], &img, &by_name, err);
		if (r < 0)
			return r;
		_cleanup_json_ json_t *index = NULL;
		r = layout_index_read(s->rootfd, s->root, &index, err);
		if (r == 0 && by_name && strv_length(img.own_names) > 1) {
			/* One of several names: untag only. */
			struct image_ref ref;
			_cleanup_free_ char *full = NULL;
			r = image_ref_parse(refs[i], IMAGE_REF_LOCALHOST, &ref, err);
			if (r == 0) {
				full = image_ref_format(&ref);
				image_ref_clear(&ref);
			}
			if (r == 0 && full && layout_find_name(index, full)) {
				layout_remove_name(index, full, true);
				r = write_index(s, index, err);
				if (r == 0 && strv_push(&out->untagged, full) < 0)
					r = cell_error_set(err, ENOMEM, "out of memory");
				image_clear(&img);
				if (r < 0)
					return r;
				continue;
			}
		}
		if (r == 0 && !by_name && strv_length(img.own_names) > 1 && !force)
			r = cell_error_set(
			    err, EBUSY,
			    "image %.12s has several names (%s, …): remove them by name, or use -f",
			    digest_hex(img.id), img.own_names[0]);
		if (r == 0) {
			for (size_t k = 0; img.own_names[k]; k++)
				strv_push(&out->untagged, img.own_names[k]);
			r = delete_image(s, index, &img, force, out, err);
		}
		image_clear(&img);
		if (r < 0)
			return r;
	}
	return image_store_gc(s, err);
}

int image_store_prune(struct image_store *s, bool all, struct removal *out, cell_error **err)
{
	memset(out, 0, sizeof(*out));
	struct image *v = NULL;
	size_t n = 0;
	int r = image_store_list(s, &v, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (v[i].own_names[0] && !all)
			continue;
		_cleanup_strv_ char **users = NULL;
		r = image_store_users(s, &v[i], &users, err);
		if (r < 0 || users[0])
			continue;
		_cleanup_json_ json_t *index = NULL;
		r = layout_index_read(s->rootfd, s->root, &index, err);
		for (size_t k = 0; r == 0 && v[i].own_names[k]; k++)
			strv_push(&out->untagged, v[i].own_names[k]);
		if (r == 0)
			r = delete_image(s, index, &v[i], false, out, err);
	}
	image_list_free(v, n);
	if (r < 0)
		return r;
	return image_store_gc(s, err);
}

/* An image in the index with img's ID under another manifest. */
static bool find_same_image(struct image_store *s, const struct image *img, char *out)
{
	_cleanup_json_ json_t *index = NULL;
	if (layout_index_read(s->rootfd, s->root, &index, NULL) < 0)
		return false;
	json_t *m = json_object_get(index, "manifests"), *d;
	size_t i;
	json_array_foreach (m, i, d) {
		const char *dg = layout_entry_digest(d);
		if (strcmp(dg, img->digest) == 0)
			return false;
	}
	json_array_foreach (m, i, d) {
		const char *dg = layout_entry_digest(d);
		struct image other;
		if (image_store_read(s, dg, json_string_value(json_object_get(d, "mediaType")), &other,
				     NULL) < 0)
			continue;
		bool same = strcmp(other.id, img->id) == 0;
		image_clear(&other);
		if (same) {
			memcpy(out, dg, DIGEST_BUF);
			return true;
		}
	}
	return false;
}

int image_store_commit(struct image_store *s, const char *manifest, size_t len, const char *const *names,
		       char *digest, cell_error **err)
{
	char md[DIGEST_BUF];
	int r = blob_store_put(s->blobs, manifest, len, NULL, md, err);
	if (r < 0)
		return r;
	struct image img;
	r = image_store_read(s, md, NULL, &img, err);
	if (r < 0)
		return r;
	/* The same image (same config, so same layers) under another manifest
	 * (gzip instead of plain layers): it is one image, and keeps one. */
	char same[DIGEST_BUF];
	if (find_same_image(s, &img, same)) {
		image_clear(&img);
		r = image_store_read(s, same, NULL, &img, err);
		if (r < 0)
			return r;
		memcpy(md, same, DIGEST_BUF);
		int64_t msize = 0;
		blob_store_size(s->blobs, md, &msize);
		len = (size_t)msize;
	}
	size_t n = img.n_layers;
	struct layer_source *src = calloc(n ? n : 1, sizeof(*src));
	int *fds = calloc(n ? n : 1, sizeof(int));
	char(*whats)[64] = calloc(n ? n : 1, 64);
	if (!src || !fds || !whats) {
		free(src);
		free(fds);
		free(whats);
		image_clear(&img);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		fds[i] = -1;
	for (size_t i = 0; r == 0 && i < n; i++) {
		const struct descriptor *l = &img.manifest.layers[i];
		snprintf(whats[i], 64, "layer %.19s", l->digest);
		if (storage_layer_exists(s->storage, img.chain_ids[i]))
			continue;
		bool foreign = false;
		manifest_layer_type_known(l->media_type, &foreign);
		if (!blob_store_has(s->blobs, l->digest)) {
			if (foreign)
				r = cell_error_set(
				    err, ENOENT,
				    "%s: a non-distributable layer%s%s that is not here; cell does not "
				    "fetch foreign layers",
				    whats[i], l->urls ? " from " : "", l->urls ? l->urls[0] : "");
			else
				r = cell_error_set(err, ENOENT, "%s: blob is missing", whats[i]);
			break;
		}
		fds[i] = blob_store_open_blob(s->blobs, l->digest, err);
		if (fds[i] < 0) {
			r = fds[i];
			break;
		}
		/* An unpack already under way serves one layer: a blob that
		 * appears twice is unpacked again for its second place. */
		bool again = false;
		for (size_t k = 0; k < i && !again; k++)
			again = strcmp(img.manifest.layers[k].digest, l->digest) == 0;
		src[i] = (struct layer_source){
		    .fd = fds[i],
		    .diff_id = img.config.diff_ids[i],
		    .what = whats[i],
		    .job = again ? NULL : pending_job(s, l->digest),
		};
	}
	/* Layers that exist need no source: storage_create_chain skips them. */
	if (r == 0) {
		char(*chain)[DIGEST_BUF] = calloc(n ? n : 1, DIGEST_BUF);
		for (size_t i = 0; i < n; i++)
			if (!src[i].diff_id)
				src[i] = (struct layer_source){
				    .fd = -1, .diff_id = img.config.diff_ids[i], .what = whats[i]};
		r = chain ? storage_create_chain(s->storage, n, src, chain, err)
			  : cell_error_set(err, ENOMEM, "oom");
		free(chain);
	}
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	free(src);
	free(whats);

	_cleanup_free_ char *holder = holder_of(md);
	if (r == 0 && !holder)
		r = cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; r == 0 && i < n; i++)
		r = storage_layer_add_ref(s->storage, img.chain_ids[i], holder, err);

	_cleanup_json_ json_t *index = NULL;
	if (r == 0)
		r = layout_index_read(s->rootfd, s->root, &index, err);
	for (size_t i = 0; r == 0 && names && names[i]; i++)
		if (layout_set_name(index, names[i], md, img.manifest.media_type, (int64_t)len) < 0)
			r = cell_error_set(err, ENOMEM, "out of memory");
	if (r == 0 && (!names || !names[0]) &&
	    layout_add_unnamed(index, md, img.manifest.media_type, (int64_t)len) < 0)
		r = cell_error_set(err, ENOMEM, "out of memory");
	/* Blobs written with deferred flushing, and layers, reach the disk
	 * before a name points at them. */
	if (r == 0 && syncfs(s->rootfd) < 0)
		r = cell_error_errno(err, errno, "flush store %s", s->root);
	if (r == 0)
		r = write_index(s, index, err);
	image_clear(&img);
	if (r == 0 && digest)
		memcpy(digest, md, DIGEST_BUF);
	return r;
}

int image_store_gc(struct image_store *s, cell_error **err)
{
	_cleanup_json_ json_t *index = NULL;
	int r = layout_index_read(s->rootfd, s->root, &index, err);
	if (r < 0)
		return r;
	_cleanup_strv_ char **keep = NULL, **all = NULL;
	json_t *m = json_object_get(index, "manifests"), *d;
	size_t i;
	json_array_foreach (m, i, d) {
		struct image img;
		_cleanup_error_ cell_error *e = NULL;
		const char *dg = layout_entry_digest(d);
		if (strv_push(&keep, dg) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
		/* A broken image keeps what it can name; `system check` reports it. */
		if (image_store_read(s, dg, json_string_value(json_object_get(d, "mediaType")), &img, &e) < 0)
			continue;
		_cleanup_strv_ char **b = NULL;
		if (image_blobs(&img, &b) < 0) {
			image_clear(&img);
			return cell_error_set(err, ENOMEM, "out of memory");
		}
		for (size_t k = 0; b[k]; k++)
			strv_push(&keep, b[k]);
		image_clear(&img);
	}
	r = blob_store_list(s->blobs, &all, err);
	if (r < 0)
		return r;
	for (size_t k = 0; all[k]; k++) {
		if (!digest_valid(all[k]) || strv_contains(keep, all[k]))
			continue;
		log_debug("removing unreferenced blob %s", all[k]);
		r = blob_store_remove(s->blobs, all[k], err);
		if (r < 0)
			return r;
	}
	return 0;
}
