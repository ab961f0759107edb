#include "commit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "base/log.h"
#include "base/path.h"
#include "base/timefmt.h"
#include "changes.h"
#include "container.h"
#include "image/archive.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "runtime/control.h"
#include "tarball.h"

static int blob_sink(void *data, const void *buf, size_t len)
{
	cell_error *e = NULL;
	int r = blob_writer_write(data, buf, len, &e);
	cell_error_free(e);
	return r;
}

/* The changes as a layer tar, read from the mounted root. */
static int write_layer(struct tar_writer *w, int rootfd, const struct change *v, size_t n, cell_error **err)
{
	for (size_t i = 0; i < n; i++) {
		const char *rel = v[i].path + 1;
		_cleanup_free_ char *dir = strdup(rel);
		if (!dir)
			return cell_error_set(err, ENOMEM, "out of memory");
		char *slash = strrchr(dir, '/');
		const char *base = slash ? slash + 1 : dir;
		if (slash)
			*slash = '\0';
		char marker[PATH_MAX];
		int r;
		if (v[i].kind == 'D') {
			snprintf(marker, sizeof(marker), "%s%s.wh.%s", slash ? dir : "", slash ? "/" : "",
				 base);
			if ((r = tar_add_marker(w, marker, err)) < 0)
				return r;
			continue;
		}
		_cleanup_close_ int pfd = path_open_beneath(rootfd, slash ? dir : "", O_RDONLY | O_DIRECTORY);
		if (pfd < 0)
			return cell_error_errno(err, pfd, "commit: %s", v[i].path);
		if ((r = tar_add_entry(w, pfd, base, rel, err)) < 0)
			return r;
		if (v[i].opaque) {
			snprintf(marker, sizeof(marker), "%s/.wh..wh..opq", rel);
			if ((r = tar_add_marker(w, marker, err)) < 0)
				return r;
		}
	}
	return 0;
}

static const char *oci_layer_type(const char *mt)
{
	if (!mt || strcmp(mt, MT_DOCKER_LAYER) == 0)
		return mt ? MT_OCI_LAYER_GZIP : MT_OCI_LAYER;
	if (strcmp(mt, MT_DOCKER_LAYER_TAR) == 0)
		return MT_OCI_LAYER;
	if (strcmp(mt, MT_DOCKER_FOREIGN) == 0)
		return MT_OCI_LAYER_ND_GZ;
	return mt;
}

/* The container's config over its image's, then --change. */
static int new_config(const struct image *img, json_t *record, const struct commit_options *o,
		      const char *diff_id, char **out, cell_error **err)
{
	_cleanup_json_ json_t *doc = json_deep_copy(img->config.json);
	if (!doc)
		return cell_error_set(err, ENOMEM, "out of memory");
	json_t *cfg = json_object_get(doc, "config");
	if (!json_is_object(cfg)) {
		cfg = json_object();
		json_object_set_new(doc, "config", cfg);
	}
	json_t *rc = json_object_get(record, "Config");
	static const char *const keys[] = {"Cmd",  "Entrypoint", "Env",       "WorkingDir",
					   "User", "Labels",     "StopSignal"};
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		json_t *v = json_object_get(rc, keys[i]);
		bool empty = !v || (json_is_string(v) && !*json_string_value(v)) ||
			     (json_is_array(v) && !json_array_size(v));
		if (empty)
			json_object_del(cfg, keys[i]);
		else
			json_object_set(cfg, keys[i], v);
	}
	for (size_t i = 0; o->changes && o->changes[i]; i++)
		if (image_apply_change(cfg, o->changes[i], err) < 0)
			return -EINVAL;
	char now[48];
	rfc3339_now(now, sizeof(now));
	json_object_set_new(doc, "created", json_string(now));
	if (o->author)
		json_object_set_new(doc, "author", json_string(o->author));
	json_t *rootfs = json_object_get(doc, "rootfs");
	if (!json_is_object(rootfs)) {
		rootfs = json_pack("{s:s, s:[]}", "type", "layers", "diff_ids");
		json_object_set_new(doc, "rootfs", rootfs);
	}
	json_t *ids = json_object_get(rootfs, "diff_ids");
	if (!json_is_array(ids)) {
		ids = json_array();
		json_object_set_new(rootfs, "diff_ids", ids);
	}
	json_array_append_new(ids, json_string(diff_id));
	json_t *hist = json_object_get(doc, "history");
	if (!json_is_array(hist)) {
		hist = json_array();
		json_object_set_new(doc, "history", hist);
	}
	char by[512];
	snprintf(by, sizeof(by), "cell commit %.12s", json_string_value(json_object_get(record, "Id")) ?: "");
	json_t *h = json_pack("{s:s, s:s}", "created", now, "created_by", by);
	if (o->message)
		json_object_set_new(h, "comment", json_string(o->message));
	if (o->author)
		json_object_set_new(h, "author", json_string(o->author));
	json_array_append_new(hist, h);
	json_object_del(doc, "container");
	json_object_del(doc, "container_config");
	*out = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	return *out ? 0 : cell_error_set(err, ENOMEM, "out of memory");
}

static int new_manifest(const struct image *img, const char *config, size_t config_len, const char *layer,
			int64_t layer_size, char **out, cell_error **err)
{
	char cd[DIGEST_BUF];
	if (digest_buffer(config, config_len, cd) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	json_t *layers = json_array();
	for (size_t i = 0; i < img->manifest.n_layers; i++) {
		const struct descriptor *d = &img->manifest.layers[i];
		json_array_append_new(layers,
				      json_pack("{s:s, s:s, s:I}", "mediaType", oci_layer_type(d->media_type),
						"digest", d->digest, "size", (json_int_t)d->size));
	}
	json_array_append_new(layers, json_pack("{s:s, s:s, s:I}", "mediaType", MT_OCI_LAYER, "digest", layer,
						"size", (json_int_t)layer_size));
	_cleanup_json_ json_t *m = json_pack(
	    "{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2, "mediaType", MT_OCI_MANIFEST, "config",
	    "mediaType", MT_OCI_CONFIG, "digest", cd, "size", (json_int_t)config_len, "layers", layers);
	*out = m ? json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	return *out ? 0 : cell_error_set(err, ENOMEM, "out of memory");
}

static int layer_blob(struct engine *e, const char *id, char *digest, int64_t *size, cell_error **err)
{
	struct change *v = NULL;
	size_t n = 0;
	int r = engine_changes(e, id, &v, &n, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *rootfs = NULL;
	_cleanup_close_ int rootfd = -EBADF;
	_cleanup_(blob_writer_freep) struct blob_writer *bw = NULL;
	struct tar_writer *w = NULL;
	if ((r = storage_container_mount(e->store->storage, id, &rootfs, err)) == 0 &&
	    (rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		r = cell_error_errno(err, errno, "open %s", rootfs);
	if (r == 0)
		r = blob_writer_new(e->store->blobs, &bw, err);
	if (r == 0)
		r = tar_writer_open_sink(blob_sink, bw, &w, err);
	if (r == 0)
		r = write_layer(w, rootfd, v, n, err);
	if (r == 0)
		r = tar_writer_close(w, err);
	tar_writer_free(w);
	engine_changes_free(v, n);
	if (r == 0) {
		*size = (int64_t)blob_writer_size(bw);
		r = blob_writer_commit(bw, NULL, -1, digest, err);
	}
	return r;
}

static int full_name(const char *name, char **out, cell_error **err)
{
	*out = NULL;
	if (!name)
		return 0;
	struct image_ref ref;
	int r = image_ref_parse(name, IMAGE_REF_LOCALHOST, &ref, err);
	if (r < 0)
		return r;
	if (!ref.tag) {
		image_ref_clear(&ref);
		return cell_error_set(err, EINVAL, "commit: %s: a name with a digest cannot be given", name);
	}
	*out = image_ref_format(&ref);
	image_ref_clear(&ref);
	return *out ? 0 : cell_error_set(err, ENOMEM, "out of memory");
}

int engine_commit(struct engine *e, const char *ref, const struct commit_options *o, char *id,
		  cell_error **err)
{
	_cleanup_free_ char *name = NULL;
	int r = full_name(o->name, &name, err);
	if (r < 0)
		return r;
	/* Checked before anything is written. */
	_cleanup_json_ json_t *probe = json_object();
	for (size_t i = 0; o->changes && o->changes[i]; i++)
		if (image_apply_change(probe, o->changes[i], err) < 0)
			return -EINVAL;
	_cleanup_ctr_ struct ctr *c = NULL;
	if ((r = ctr_open(e, ref, false, &c, err)) < 0)
		return r;
	struct image img;
	if ((r = engine_lock(e, false, err)) < 0)
		return r;
	r = image_store_read(e->store, ctr_str(c->record, "ImageDigest") ?: "", NULL, &img, err);
	engine_unlock(e);
	if (r < 0)
		return cell_error_prefix(err, "commit %s: its image", ref);
	bool paused = false;
	if (o->pause && c->status == CTR_RUNNING && c->init_alive) {
		cell_error *pe = NULL;
		paused = runtime_pause(&e->rt, c->id, &pe) == 0;
		if (!paused)
			log_debug("%s", pe->msg);
		cell_error_free(pe);
	}
	char layer[DIGEST_BUF], config_digest[DIGEST_BUF], mdigest[DIGEST_BUF];
	int64_t layer_size = 0;
	_cleanup_free_ char *config = NULL, *manifest = NULL;
	r = layer_blob(e, c->id, layer, &layer_size, err);
	if (paused)
		runtime_resume(&e->rt, c->id, NULL);
	if (c->status != CTR_RUNNING && c->status != CTR_RESTARTING)
		storage_container_unmount(e->store->storage, c->id, NULL);
	if (r == 0)
		r = new_config(&img, c->record, o, layer, &config, err);
	if (r == 0)
		r = blob_store_put(e->store->blobs, config, strlen(config), NULL, config_digest, err);
	if (r == 0)
		r = new_manifest(&img, config, strlen(config), layer, layer_size, &manifest, err);
	image_clear(&img);
	if (r == 0 && (r = engine_lock(e, true, err)) == 0) {
		const char *names[2] = {name, NULL};
		r = image_store_commit(e->store, manifest, strlen(manifest), names, mdigest, err);
		if (r < 0)
			image_store_gc(e->store, NULL);
		engine_unlock(e);
	}
	if (r < 0)
		return cell_error_prefix(err, "commit %s", ref);
	memcpy(id, config_digest, DIGEST_BUF);
	return 0;
}
