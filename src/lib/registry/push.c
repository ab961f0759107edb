#include "push.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "base/log.h"
#include "base/strv.h"
#include "compress.h"

struct push {
	struct image_store *store;
	const struct push_opts *o;
	struct registry_session *s;
	struct image img;
	struct image_ref dest;
	char *name;
	char *mount_from; /* another repository of the registry that the image is in */
	json_t *manifest; /* a copy being rewritten, once a layer changed */
	bool to_oci;      /* zstd layers need an OCI manifest */
};

static void emit(struct push *p, enum push_event_kind kind, const char *digest, bool config, uint64_t sent,
		 uint64_t size, size_t index)
{
	if (!p->o->progress)
		return;
	struct push_event ev = {
	    .kind = kind,
	    .name = p->name,
	    .digest = digest,
	    .config = config,
	    .sent = sent,
	    .size = size,
	    .index = index,
	    .count = p->img.n_layers + 1,
	};
	p->o->progress(p->o->progress_ctx, &ev);
}

static void push_clear(struct push *p)
{
	registry_session_free(p->s);
	image_clear(&p->img);
	image_ref_clear(&p->dest);
	free(p->name);
	free(p->mount_from);
	json_decref(p->manifest);
}

struct upload_progress {
	struct push *p;
	const char *digest;
	uint64_t size;
	size_t index;
	bool config;
};

static void on_sent(void *ctx, uint64_t sent)
{
	struct upload_progress *u = ctx;
	emit(u->p, PUSH_EVENT_BLOB_DATA, u->digest, u->config, sent, u->size, u->index);
}

/* One blob: nothing when the repository has it, else a mount or an upload. */
static int send_blob(struct push *p, const char *digest, uint64_t size, int fd, bool config, size_t index,
		     cell_error **err)
{
	bool exists = false;
	int r = registry_blob_exists(p->s, digest, &exists, NULL, err);
	if (r < 0)
		return r;
	if (exists) {
		emit(p, PUSH_EVENT_BLOB_EXISTS, digest, config, size, size, index);
		return 0;
	}
	emit(p, PUSH_EVENT_BLOB_START, digest, config, 0, size, index);
	struct upload_progress up = {
	    .p = p, .digest = digest, .size = size, .index = index, .config = config};
	struct blob_upload u = {
	    .digest = digest,
	    .size = size,
	    .fd = fd,
	    .chunk_size = p->o->chunk_size,
	    .mount_from = p->mount_from,
	    .progress = on_sent,
	    .ctx = &up,
	};
	r = registry_put_blob(p->s, &u, err);
	if (r < 0)
		return r;
	emit(p, u.mounted ? PUSH_EVENT_BLOB_MOUNTED : PUSH_EVENT_BLOB_DONE, digest, config, size, size,
	     index);
	return 0;
}

/* A temporary file next to the store (it may be large). */
static int temp_file(struct push *p, cell_error **err)
{
	int fd = openat(p->store->rootfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	char path[] = "/var/tmp/cell-push-XXXXXX";
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return cell_error_errno(err, errno, "create a temporary file in %s or /var/tmp",
					p->store->root);
	unlink(path);
	return fd;
}

static const char *oci_type_of(const char *docker_type)
{
	if (strcmp(docker_type, MT_DOCKER_LAYER) == 0)
		return MT_OCI_LAYER_GZIP;
	if (strcmp(docker_type, MT_DOCKER_LAYER_TAR) == 0)
		return MT_OCI_LAYER;
	if (strcmp(docker_type, MT_DOCKER_FOREIGN) == 0)
		return MT_OCI_LAYER_ND_GZ;
	return docker_type;
}

/* The media type of a layer compressed as format, in the manifest's dialect. */
static const char *layer_type(bool docker, bool foreign, enum layer_compression format)
{
	if (docker)
		return foreign ? MT_DOCKER_FOREIGN : MT_DOCKER_LAYER;
	if (format == LAYER_COMPRESSION_ZSTD)
		return foreign ? MT_OCI_LAYER_ND_ZS : MT_OCI_LAYER_ZSTD;
	return foreign ? MT_OCI_LAYER_ND_GZ : MT_OCI_LAYER_GZIP;
}

static int rewrite_layer(struct push *p, size_t i, const char *digest, uint64_t size,
			 enum layer_compression format, bool foreign, cell_error **err)
{
	if (!p->manifest && !(p->manifest = json_deep_copy(p->img.manifest.json)))
		return cell_error_set(err, ENOMEM, "out of memory");
	bool docker = strcmp(p->img.manifest.media_type, MT_DOCKER_MANIFEST) == 0;
	if (docker && format == LAYER_COMPRESSION_ZSTD)
		p->to_oci = true;
	json_t *l = json_array_get(json_object_get(p->manifest, "layers"), i);
	if (!l || json_object_set_new(l, "digest", json_string(digest)) < 0 ||
	    json_object_set_new(l, "size", json_integer((json_int_t)size)) < 0 ||
	    json_object_set_new(l, "mediaType",
				json_string(layer_type(docker && !p->to_oci, foreign, format))) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	return 0;
}

/* A layer: as the store has it when its compression is right, else
 * compressed now into a temporary file. */
static int push_layer(struct push *p, size_t i, cell_error **err)
{
	const struct descriptor *d = &p->img.manifest.layers[i];
	bool foreign = false;
	manifest_layer_type_known(d->media_type, &foreign);
	if (foreign && !blob_store_has(p->store->blobs, d->digest))
		return 0; /* non-distributable and not here: it stays described only */
	_cleanup_close_ int fd = blob_store_open_blob(p->store->blobs, d->digest, err);
	if (fd < 0)
		return fd;
	enum layer_compression have = layer_blob_compression(fd);
	enum layer_compression want =
	    p->o->compression == LAYER_COMPRESSION_ZSTD ? LAYER_COMPRESSION_ZSTD : LAYER_COMPRESSION_GZIP;
	bool compress = have == LAYER_COMPRESSION_NONE || have == LAYER_COMPRESSION_OTHER ||
			(p->o->force_compression && have != want);
	if (!compress)
		return send_blob(p, d->digest, (uint64_t)d->size, fd, false, i + 1, err);
	emit(p, PUSH_EVENT_BLOB_COMPRESS, d->digest, false, 0, (uint64_t)d->size, i + 1);
	_cleanup_close_ int tmp = temp_file(p, err);
	if (tmp < 0)
		return tmp;
	char what[64], digest[DIGEST_BUF];
	snprintf(what, sizeof(what), "layer %.19s", d->digest);
	uint64_t size = 0;
	int r = layer_compress(fd, what, want, tmp, digest, &size, err);
	if (r == 0)
		r = rewrite_layer(p, i, digest, size, want, foreign, err);
	if (r == 0)
		r = send_blob(p, digest, size, tmp, false, i + 1, err);
	return r;
}

static int manifest_body(struct push *p, char **body, size_t *len, const char **mt, cell_error **err)
{
	if (!p->manifest) {
		*mt = p->img.manifest.media_type;
		return blob_store_read(p->store->blobs, p->img.digest, REGISTRY_MANIFEST_MAX, body, len, err);
	}
	if (p->to_oci) {
		json_t *layers = json_object_get(p->manifest, "layers"), *l;
		size_t i;
		json_array_foreach (layers, i, l)
			json_object_set_new(
			    l, "mediaType",
			    json_string(oci_type_of(json_string_value(json_object_get(l, "mediaType")))));
		json_object_set_new(json_object_get(p->manifest, "config"), "mediaType",
				    json_string(MT_OCI_CONFIG));
		json_object_set_new(p->manifest, "mediaType", json_string(MT_OCI_MANIFEST));
	}
	const char *own = json_string_value(json_object_get(p->manifest, "mediaType"));
	*mt = own ? own : p->img.manifest.media_type;
	*body = json_dumps(p->manifest, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!*body)
		return cell_error_set(err, ENOMEM, "out of memory");
	*len = strlen(*body);
	return 0;
}

/* The destination, and a repository of the same registry to mount from. */
static int setup(struct push *p, const char *image, const char *dest, cell_error **err)
{
	bool by_name = false;
	int r = image_store_resolve(p->store, image, &p->img, &by_name, err);
	if (r < 0)
		return r;
	if (!dest && !by_name)
		return cell_error_set(err, EINVAL, "push %s: an image ID needs a destination", image);
	struct image_ref src = {0};
	if (!dest) {
		r = image_ref_parse(image, IMAGE_REF_LOCALHOST, &src, err);
		if (r < 0)
			return r;
		p->name = image_ref_format(&src);
		image_ref_clear(&src);
	} else {
		if (strncmp(dest, "docker://", 9) == 0)
			dest += 9;
		p->name = strdup(dest);
	}
	if (!p->name)
		return cell_error_set(err, ENOMEM, "out of memory");
	r = image_ref_parse(p->name, IMAGE_REF_DOCKER, &p->dest, err);
	if (r < 0)
		return cell_error_prefix(err, "push destination");
	free(p->name);
	p->name = image_ref_format(&p->dest);
	if (!p->name)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; p->img.own_names && p->img.own_names[i] && !p->mount_from; i++) {
		struct image_ref o;
		if (image_ref_parse(p->img.own_names[i], IMAGE_REF_LOCALHOST, &o, NULL) < 0)
			continue;
		if (strcmp(o.domain, p->dest.domain) == 0 && strcmp(o.path, p->dest.path) != 0)
			p->mount_from = strdup(o.path);
		image_ref_clear(&o);
	}
	struct registry_opts ro = {
	    .tls_verify = p->o->tls_verify,
	    .certs_dir = p->o->certs_dir,
	    .username = p->o->username,
	    .password = p->o->password,
	    .authfile = p->o->authfile,
	    .push = true,
	    .config = p->o->config,
	};
	return registry_session_open(&p->dest, &ro, &p->s, err);
}

static int push_locked(struct push *p, const char *image, const char *dest, char *digest_out,
		       cell_error **err)
{
	int r = setup(p, image, dest, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < p->img.n_layers; i++) {
		r = push_layer(p, i, err);
		if (r < 0)
			return cell_error_prefix(err, "push %s", p->name);
	}
	const struct descriptor *c = &p->img.manifest.config;
	_cleanup_close_ int cfd = blob_store_open_blob(p->store->blobs, c->digest, err);
	if (cfd < 0)
		return cfd;
	r = send_blob(p, c->digest, (uint64_t)c->size, cfd, true, 0, err);
	if (r < 0)
		return cell_error_prefix(err, "push %s", p->name);
	_cleanup_free_ char *body = NULL;
	size_t len = 0;
	const char *mt = NULL;
	r = manifest_body(p, &body, &len, &mt, err);
	char digest[DIGEST_BUF];
	if (r == 0 && digest_buffer(body, len, digest) < 0)
		r = cell_error_set(err, ENOMEM, "out of memory");
	if (r < 0)
		return r;
	if (!p->dest.tag && strcmp(p->dest.digest, digest) != 0)
		return cell_error_set(
		    err, EINVAL, "push %s: the manifest to push has digest %s (name a tag, or that digest)",
		    p->name, digest);
	emit(p, PUSH_EVENT_MANIFEST, digest, false, 0, len, 0);
	r = registry_put_manifest(p->s, p->dest.tag ? p->dest.tag : digest, mt, body, len, err);
	if (r < 0)
		return cell_error_prefix(err, "push %s", p->name);
	emit(p, PUSH_EVENT_DONE, digest, false, 0, 0, 0);
	if (digest_out)
		memcpy(digest_out, digest, DIGEST_BUF);
	return 0;
}

int registry_push(struct image_store *store, const char *image, const char *dest,
		  const struct push_opts *opts, char *digest_out, cell_error **err)
{
	static const struct push_opts defaults = {0};
	struct push p = {.store = store, .o = opts ? opts : &defaults};
	int r = image_store_lock(store, false, err);
	if (r == 0) {
		r = push_locked(&p, image, dest, digest_out, err);
		image_store_unlock(store);
	}
	push_clear(&p);
	return r;
}
