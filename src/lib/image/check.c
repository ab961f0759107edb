#include "check.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/strv.h"
#include "layout.h"

void check_report_clear(struct check_report *r)
{
	strv_free(r->broken);
	strv_free(r->orphaned);
	strv_free(r->repaired);
	memset(r, 0, sizeof(*r));
}

static void note(char ***list, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(char ***list, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) >= 0)
		strv_push_take(list, s);
	va_end(ap);
}

/* What one pass finds, and what a repair needs to know. */
struct findings {
	char **bad_blobs;     /* corrupt blobs */
	char **stray_blobs;   /* names in blobs/sha256 that are no digest */
	char **bad_layers;    /* layers that fail their record */
	char **bad_images;    /* manifest digests of broken images */
	char **good_holders;  /* "manifest-HEX" of good images, "container-ID" of containers */
	char **needed_layers; /* chainIDs good images or containers use */
	char **needed_blobs;
	char **missing_refs; /* "CHAINID HOLDER" pairs to restore */
	char **stale_refs;   /* "CHAINID HOLDER" pairs to drop */
	char **unused_layers;
	char **debris;
};

static void findings_clear(struct findings *f)
{
	char ***all[] = {&f->bad_blobs,    &f->stray_blobs,   &f->bad_layers,   &f->bad_images,
			 &f->good_holders, &f->needed_layers, &f->needed_blobs, &f->missing_refs,
			 &f->stale_refs,   &f->unused_layers, &f->debris};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		strv_free(*all[i]);
		*all[i] = NULL;
	}
}

static void check_blobs(struct image_store *s, struct findings *f, struct check_report *out)
{
	_cleanup_strv_ char **names = NULL;
	_cleanup_error_ cell_error *e = NULL;
	if (blob_store_list(s->blobs, &names, &e) < 0) {
		note(&out->broken, "%s", e->msg);
		return;
	}
	for (size_t i = 0; names[i]; i++) {
		out->blobs++;
		if (!digest_valid(names[i])) {
			strv_push(&f->stray_blobs, names[i]);
			note(&out->orphaned, "blobs/sha256/%s: not a blob name", names[i]);
			continue;
		}
		cell_error *ve = NULL;
		if (blob_store_verify(s->blobs, names[i], &ve) < 0) {
			strv_push(&f->bad_blobs, names[i]);
			note(&out->broken, "%s", ve->msg);
		}
		cell_error_free(ve);
	}
}

static void check_image(struct image_store *s, json_t *desc, struct findings *f, struct check_report *out)
{
	const char *digest = layout_entry_digest(desc);
	const char *name = layout_entry_name(desc);
	char label[400];
	snprintf(label, sizeof(label), "image %.19s%s%s%s", digest, name ? " (" : "", name ? name : "",
		 name ? ")" : "");
	struct image img;
	_cleanup_error_ cell_error *e = NULL;
	if (strv_contains(f->bad_blobs, digest)) {
		note(&out->broken, "%s: its manifest blob is corrupt", label);
		strv_push(&f->bad_images, digest);
		return;
	}
	if (image_store_read(s, digest, json_string_value(json_object_get(desc, "mediaType")), &img, &e) <
	    0) {
		note(&out->broken, "%s: %s", label, e ? e->msg : "unreadable");
		strv_push(&f->bad_images, digest);
		return;
	}
	bool bad = false;
	_cleanup_strv_ char **blobs = NULL;
	image_blobs(&img, &blobs);
	for (size_t i = 0; blobs && blobs[i]; i++) {
		if (!blob_store_has(s->blobs, blobs[i])) {
			note(&out->broken, "%s: blob %s is missing", label, blobs[i]);
			bad = true;
		} else if (strv_contains(f->bad_blobs, blobs[i])) {
			note(&out->broken, "%s: blob %s is corrupt", label, blobs[i]);
			bad = true;
		}
	}
	char holder[DIGEST_BUF + 16];
	snprintf(holder, sizeof(holder), "manifest-%s", digest_hex(digest));
	for (size_t i = 0; i < img.n_layers; i++) {
		if (!storage_layer_exists(s->storage, img.chain_ids[i])) {
			note(&out->broken, "%s: layer %s is missing", label, img.chain_ids[i]);
			bad = true;
			continue;
		}
		if (strv_contains(f->bad_layers, img.chain_ids[i])) {
			note(&out->broken, "%s: layer %s is broken", label, img.chain_ids[i]);
			bad = true;
		}
	}
	if (bad) {
		strv_push(&f->bad_images, digest);
	} else {
		strv_push(&f->good_holders, holder);
		for (size_t i = 0; blobs && blobs[i]; i++)
			strv_push(&f->needed_blobs, blobs[i]);
		for (size_t i = 0; i < img.n_layers; i++) {
			strv_push(&f->needed_layers, img.chain_ids[i]);
			_cleanup_strv_ char **refs = NULL;
			if (storage_layer_refs(s->storage, img.chain_ids[i], &refs, NULL) == 0 &&
			    !strv_contains(refs, holder)) {
				note(&out->broken, "%s: layer %s does not record it as a holder", label,
				     img.chain_ids[i]);
				char *pair = NULL;
				if (asprintf(&pair, "%s %s", img.chain_ids[i], holder) >= 0)
					strv_push_take(&f->missing_refs, pair);
			}
		}
	}
	image_clear(&img);
}

static void check_containers(struct image_store *s, struct findings *f, struct check_report *out)
{
	_cleanup_strv_ char **ids = NULL;
	if (storage_container_list(s->storage, &ids, NULL) < 0)
		return;
	for (size_t i = 0; ids[i]; i++) {
		out->containers++;
		char holder[300];
		snprintf(holder, sizeof(holder), "container-%s", ids[i]);
		strv_push(&f->good_holders, holder);
	}
}

static void check_layers(struct image_store *s, struct findings *f, struct check_report *out,
			 bool before_images)
{
	_cleanup_strv_ char **ids = NULL;
	_cleanup_error_ cell_error *e = NULL;
	if (storage_layer_list(s->storage, &ids, &e) < 0) {
		note(&out->broken, "%s", e->msg);
		return;
	}
	for (size_t i = 0; ids[i]; i++) {
		if (before_images) {
			out->layers++;
			cell_error *ve = NULL;
			if (storage_layer_verify(s->storage, ids[i], &ve) < 0) {
				strv_push(&f->bad_layers, ids[i]);
				note(&out->broken, "%s", ve->msg);
			}
			cell_error_free(ve);
			continue;
		}
		_cleanup_strv_ char **refs = NULL;
		if (storage_layer_refs(s->storage, ids[i], &refs, NULL) < 0)
			continue;
		bool held = false;
		for (size_t k = 0; refs[k]; k++) {
			if (strv_contains(f->good_holders, refs[k])) {
				held = true;
				continue;
			}
			note(&out->orphaned, "layer %s: reference from %s, which does not exist", ids[i],
			     refs[k]);
			char *pair = NULL;
			if (asprintf(&pair, "%s %s", ids[i], refs[k]) >= 0)
				strv_push_take(&f->stale_refs, pair);
		}
		if (!held && !strv_contains(f->needed_layers, ids[i]) &&
		    !strv_contains(f->bad_layers, ids[i])) {
			note(&out->orphaned, "layer %s: nothing uses it", ids[i]);
			strv_push(&f->unused_layers, ids[i]);
		}
	}
}

static void scan(struct image_store *s, struct findings *f, struct check_report *out)
{
	check_blobs(s, f, out);
	check_layers(s, f, out, true);
	_cleanup_json_ json_t *index = NULL;
	_cleanup_error_ cell_error *e = NULL;
	if (layout_index_read(s->rootfd, s->root, &index, &e) < 0) {
		note(&out->broken, "%s", e->msg);
		return;
	}
	json_t *m = json_object_get(index, "manifests"), *d;
	size_t i;
	_cleanup_strv_ char **seen = NULL;
	json_array_foreach (m, i, d) {
		const char *digest = layout_entry_digest(d);
		if (strv_contains(seen, digest))
			continue;
		strv_push(&seen, digest);
		out->images++;
		check_image(s, d, f, out);
	}
	check_containers(s, f, out);
	check_layers(s, f, out, false);
	_cleanup_strv_ char **blobs = NULL;
	if (blob_store_list(s->blobs, &blobs, NULL) == 0)
		for (size_t k = 0; blobs[k]; k++)
			if (digest_valid(blobs[k]) && !strv_contains(f->needed_blobs, blobs[k]) &&
			    !strv_contains(f->bad_blobs, blobs[k]) && !strv_contains(seen, blobs[k]))
				note(&out->orphaned, "blob %s: no image needs it", blobs[k]);
	_cleanup_strv_ char **debris = NULL;
	if (storage_list_debris(s->storage, &debris, NULL) == 0)
		for (size_t k = 0; debris[k]; k++) {
			note(&out->orphaned, "%s: left by an interrupted change", debris[k]);
			strv_push(&f->debris, debris[k]);
		}
}

static int repair(struct image_store *s, struct findings *f, struct check_report *out, cell_error **err)
{
	int r;
	if (f->bad_images) {
		_cleanup_json_ json_t *index = NULL;
		r = layout_index_read(s->rootfd, s->root, &index, err);
		if (r < 0)
			return r;
		for (size_t i = 0; f->bad_images[i]; i++) {
			layout_remove_digest(index, f->bad_images[i]);
			note(&out->repaired, "removed broken image %s", f->bad_images[i]);
		}
		r = layout_index_write(s->rootfd, s->root, index, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; f->stale_refs && f->stale_refs[i]; i++) {
		char *sp = strchr(f->stale_refs[i], ' ');
		*sp = '\0';
		if (storage_layer_drop_ref(s->storage, f->stale_refs[i], sp + 1, err) < 0)
			return -EIO;
		note(&out->repaired, "dropped reference %s from layer %s", sp + 1, f->stale_refs[i]);
	}
	for (size_t i = 0; f->missing_refs && f->missing_refs[i]; i++) {
		char *sp = strchr(f->missing_refs[i], ' ');
		*sp = '\0';
		if (storage_layer_add_ref(s->storage, f->missing_refs[i], sp + 1, err) < 0)
			return -EIO;
		note(&out->repaired, "restored reference %s on layer %s", sp + 1, f->missing_refs[i]);
	}
	/* Broken layers go whoever held them (those images went above). */
	char **remove[] = {f->bad_layers, f->unused_layers};
	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; remove[k] && remove[k][i]; i++) {
			if (k == 0 && strv_contains(f->needed_layers, remove[k][i]))
				continue;
			_cleanup_strv_ char **refs = NULL;
			if (storage_layer_refs(s->storage, remove[k][i], &refs, NULL) == 0)
				for (size_t j = 0; refs[j]; j++)
					storage_layer_drop_ref(s->storage, remove[k][i], refs[j], NULL);
			if (storage_layer_remove(s->storage, remove[k][i], err) < 0)
				return -EIO;
			note(&out->repaired, "removed %s layer %s", k == 0 ? "broken" : "unused",
			     remove[k][i]);
		}
	for (size_t i = 0; f->bad_blobs && f->bad_blobs[i]; i++) {
		if (blob_store_remove(s->blobs, f->bad_blobs[i], err) < 0)
			return -EIO;
		note(&out->repaired, "removed corrupt blob %s", f->bad_blobs[i]);
	}
	for (size_t i = 0; f->stray_blobs && f->stray_blobs[i]; i++) {
		if (blob_store_remove(s->blobs, f->stray_blobs[i], err) < 0)
			return -EIO;
		note(&out->repaired, "removed blobs/sha256/%s", f->stray_blobs[i]);
	}
	r = storage_remove_debris(s->storage, err);
	if (r < 0)
		return r;
	for (size_t i = 0; f->debris && f->debris[i]; i++)
		note(&out->repaired, "removed %s", f->debris[i]);
	/* Blobs no image needs any more. */
	_cleanup_strv_ char **before = NULL, **after = NULL;
	blob_store_list(s->blobs, &before, NULL);
	r = image_store_gc(s, err);
	if (r < 0)
		return r;
	blob_store_list(s->blobs, &after, NULL);
	for (size_t i = 0; before && before[i]; i++)
		if (!strv_contains(after, before[i]))
			note(&out->repaired, "removed unreferenced blob %s", before[i]);
	return 0;
}

int image_store_check(struct image_store *s, bool do_repair, struct check_report *out, cell_error **err)
{
	memset(out, 0, sizeof(*out));
	/* A check must see debris rather than have the lock clear it. */
	int r = do_repair ? storage_lock(s->storage, true, err) : image_store_lock(s, false, err);
	if (r < 0)
		return r;
	struct findings f = {0};
	scan(s, &f, out);
	if (do_repair && (out->broken || out->orphaned)) {
		r = repair(s, &f, out, err);
		findings_clear(&f);
		if (r == 0) {
			/* What is left after the repair is what the report says. */
			char **repaired = TAKE_PTR(out->repaired);
			check_report_clear(out);
			out->repaired = repaired;
			scan(s, &f, out);
		}
	}
	findings_clear(&f);
	image_store_unlock(s);
	return r;
}
