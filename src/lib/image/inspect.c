#include "inspect.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/strv.h"

json_t *image_inspect_json(struct image_store *s, const struct image *img)
{
	json_t *tags = json_array(), *digests = json_array(), *diffs = json_array();
	for (size_t i = 0; img->own_names[i]; i++) {
		json_array_append_new(tags, json_string(img->own_names[i]));
		const char *colon = strrchr(img->own_names[i], ':');
		const char *slash = strrchr(img->own_names[i], '/');
		size_t repo = colon && (!slash || colon > slash) ? (size_t)(colon - img->own_names[i])
								 : strlen(img->own_names[i]);
		char *rd = NULL;
		if (asprintf(&rd, "%.*s@%s", (int)repo, img->own_names[i], img->digest) >= 0) {
			bool dup = false;
			size_t k;
			json_t *v;
			json_array_foreach (digests, k, v)
				dup = dup || strcmp(json_string_value(v), rd) == 0;
			if (!dup)
				json_array_append_new(digests, json_string(rd));
		}
		free(rd);
	}
	for (size_t i = 0; i < img->config.n_diff_ids; i++)
		json_array_append_new(diffs, json_string(img->config.diff_ids[i]));
	json_t *cfg = json_object_get(img->config.json, "config");
	json_t *history = json_object_get(img->config.json, "history");
	json_t *labels = img->config.labels;
	json_t *doc =
	    json_pack("{s:s, s:s, s:o, s:o, s:s*, s:s, s:s, s:s*, s:s*, s:O*, s:I, s:{s:s, s:o}, s:O*, s:O*, "
		      "s:s, s:s*, s:O*}",
		      "Id", digest_hex(img->id), "Digest", img->digest, "RepoTags", tags, "RepoDigests",
		      digests, "Created", img->config.created, "Architecture", img->config.architecture, "Os",
		      img->config.os, "Variant", img->config.variant, "Author", img->config.author, "Config",
		      cfg, "Size", (json_int_t)img->size, "RootFS", "Type", "layers", "Layers", diffs,
		      "History", history, "Labels", labels, "ManifestType", img->manifest.media_type, "User",
		      img->config.user, "Annotations", json_object_get(img->manifest.json, "annotations"));
	if (doc) {
		json_t *chain = json_array();
		for (size_t i = 0; i < img->n_layers; i++)
			json_array_append_new(chain, json_string(img->chain_ids[i]));
		json_object_set_new(doc, "ChainIDs", chain);
	}
	return doc;
}

json_t *image_history_json(struct image_store *s, const struct image *img)
{
	json_t *rows = json_array();
	size_t layer = img->n_layers;
	const struct image_config *c = &img->config;
	if (c->n_history == 0) {
		/* No history: one row per layer. */
		for (size_t i = img->n_layers; i-- > 0;)
			json_array_append_new(
			    rows, json_pack("{s:s, s:s*, s:s, s:I, s:s}", "id",
					    i == img->n_layers - 1 ? digest_hex(img->id) : "<missing>",
					    "created", c->created, "createdBy", "", "size",
					    (json_int_t)image_store_layer_size(s, img->chain_ids[i]),
					    "comment", ""));
		return rows;
	}
	for (size_t i = c->n_history; i-- > 0;) {
		const struct image_history *h = &c->history[i];
		uint64_t size = 0;
		if (!h->empty_layer && layer > 0)
			size = image_store_layer_size(s, img->chain_ids[--layer]);
		json_array_append_new(
		    rows, json_pack("{s:s, s:s*, s:s, s:I, s:s}", "id",
				    i == c->n_history - 1 ? digest_hex(img->id) : "<missing>", "created",
				    h->created, "createdBy", h->created_by ? h->created_by : "", "size",
				    (json_int_t)size, "comment", h->comment ? h->comment : ""));
	}
	return rows;
}

int image_store_df(struct image_store *s, json_t **out, cell_error **err)
{
	int r = image_store_lock(s, false, err);
	if (r < 0)
		return r;
	struct image *v = NULL;
	size_t n = 0;
	r = image_store_list(s, &v, &n, err);
	uint64_t lsize = 0, lunused = 0, lcount = 0;
	if (r == 0)
		r = storage_usage(s->storage, &lsize, &lunused, &lcount, err);
	_cleanup_strv_ char **blobs = NULL, **containers = NULL;
	if (r == 0)
		r = blob_store_list(s->blobs, &blobs, err);
	if (r == 0)
		r = storage_container_list(s->storage, &containers, err);
	uint64_t bsize = 0, bcount = 0, active = 0, reclaim = 0, isize = 0;
	for (size_t i = 0; r == 0 && blobs[i]; i++) {
		int64_t sz = 0;
		if (blob_store_size(s->blobs, blobs[i], &sz) == 0) {
			bsize += (uint64_t)sz;
			bcount++;
		}
	}
	for (size_t i = 0; r == 0 && i < n; i++) {
		_cleanup_strv_ char **users = NULL;
		if (image_store_users(s, &v[i], &users, NULL) < 0)
			continue;
		isize += v[i].size;
		if (users[0])
			active++;
		else
			reclaim += v[i].size;
	}
	image_store_unlock(s);
	image_list_free(v, n);
	if (r < 0)
		return r;
	*out = json_pack("{s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I}, s:{s:I, s:I}, s:{s:I, s:I, s:I}}", "images",
			 "total", (json_int_t)n, "active", (json_int_t)active, "size", (json_int_t)isize,
			 "reclaimable", (json_int_t)reclaim, "containers", "total",
			 (json_int_t)strv_length(containers), "active", (json_int_t)0, "blobs", "count",
			 (json_int_t)bcount, "size", (json_int_t)bsize, "layers", "count", (json_int_t)lcount,
			 "size", (json_int_t)lsize, "unused", (json_int_t)lunused);
	return *out ? 0 : cell_error_set(err, ENOMEM, "out of memory");
}
