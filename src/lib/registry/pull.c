#include "pull.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "base/log.h"
#include "base/strv.h"
#include "fetch.h"
#include "image/config.h"
#include "negotiate.h"

#define CONFIG_MAX (16u << 20)

struct pull {
	struct image_store *store;
	const struct pull_opts *o;
	struct registry_session *s;
	char *name; /* the full reference the image gets */
	char *manifest;
	size_t manifest_len;
	char digest[DIGEST_BUF];
	struct manifest m;
	struct image_config config;
	char (*chain)[DIGEST_BUF];
};

/* One layer blob on its way: into the blob store, and into its unpack. */
struct layer_sink {
	struct pull *p;
	struct fetch_item *item;
	size_t index; /* among the image's blobs */
	bool unpack;
	struct blob_writer *w;
	int pipe;    /* the unpack's input, non-blocking; -1 when none */
	bool broken; /* the unpack stopped reading: its error comes at the end */
	char *pend;  /* what the pipe did not take yet */
	size_t pend_len, pend_off, pend_cap;
};

static void emit(struct pull *p, enum pull_event_kind kind, const char *digest, bool config,
		 uint64_t received, uint64_t size, size_t index)
{
	if (!p->o->progress)
		return;
	struct pull_event ev = {
	    .kind = kind,
	    .name = p->name,
	    .digest = digest,
	    .config = config,
	    .received = received,
	    .size = size,
	    .index = index,
	    .count = p->m.n_layers + 1,
	};
	p->o->progress(p->o->progress_ctx, &ev);
}

static void pull_clear(struct pull *p)
{
	registry_session_free(p->s);
	free(p->name);
	free(p->manifest);
	manifest_clear(&p->m);
	image_config_clear(&p->config);
	free(p->chain);
}

/* The references a name stands for: itself when it names a registry, else
 * one for each unqualified-search registry (Docker Hub when none is set). */
static int candidates(const char *ref, const struct registry_config *cfg, char ***out, cell_error **err)
{
	struct image_ref r;
	int rr = image_ref_parse(ref, IMAGE_REF_DOCKER, &r, err);
	if (rr < 0)
		return rr;
	image_ref_clear(&r);
	_cleanup_strv_ char **v = NULL;
	static const char *const hub[] = {"docker.io", NULL};
	const char *const *search = !image_ref_is_short(ref)               ? NULL
				    : cfg && cfg->search && cfg->search[0] ? (const char *const *)cfg->search
									   : hub;
	for (size_t i = 0; !search || search[i]; i++) {
		_cleanup_free_ char *full = NULL;
		if (search && asprintf(&full, "%s/%s", search[i], ref) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
		rr = image_ref_parse(search ? full : ref, IMAGE_REF_DOCKER, &r, err);
		if (rr < 0)
			return search ? cell_error_prefix(err, "unqualified-search-registries entry \"%s\"",
							  search[i])
				      : rr;
		/* Pulled by digest, the name keeps the digest. */
		char *name = NULL;
		if (r.digest && asprintf(&name, "%s/%s@%s", r.domain, r.path, r.digest) < 0)
			name = NULL;
		else if (!r.digest)
			name = image_ref_format(&r);
		image_ref_clear(&r);
		if (!name || strv_push_take(&v, name) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
		if (!search)
			break;
	}
	*out = TAKE_PTR(v);
	return 0;
}

/* GET a manifest and judge it. */
static int get_manifest(struct pull *p, const char *tag_or_digest, const char *want, const char *what,
			struct manifest *m, char **buf, size_t *len, char *digest, cell_error **err)
{
	_cleanup_free_ char *body = NULL, *mt = NULL, *hdr_digest = NULL;
	size_t n = 0;
	int r = registry_get_manifest(p->s, tag_or_digest, registry_manifest_accept, &body, &n, &mt,
				      &hdr_digest, err);
	if (r < 0)
		return r;
	r = registry_manifest_check(body, n, mt, hdr_digest, want, what, m, digest, err);
	if (r < 0)
		return r;
	*buf = TAKE_PTR(body);
	*len = n;
	return 0;
}

/* The image's manifest for ref: through the index for the platform when
 * the tag names several. */
static int find_manifest(struct pull *p, const struct image_ref *ref, cell_error **err)
{
	char what[600];
	snprintf(what, sizeof(what), "manifest of %s", p->name);
	const char *tag = ref->digest ? ref->digest : ref->tag;
	int r =
	    get_manifest(p, tag, ref->digest, what, &p->m, &p->manifest, &p->manifest_len, p->digest, err);
	if (r < 0 || p->m.kind == KIND_MANIFEST)
		return r;
	struct platform want;
	if (p->o->platform)
		want = *p->o->platform;
	else
		platform_host(&want);
	size_t pick = 0;
	if (!(p->m.n_manifests == 1 && !p->m.manifests[0].has_platform) &&
	    (r = manifest_select_platform(&p->m, &want, &pick, err)) < 0)
		return cell_error_prefix(err, "%s", p->name);
	struct descriptor d = p->m.manifests[pick];
	char mt[256];
	snprintf(mt, sizeof(mt), "%s", d.media_type);
	char platform[128];
	platform_format(&want, platform, sizeof(platform));
	snprintf(what, sizeof(what), "manifest %.19s of %s (%s)", d.digest, p->name, platform);
	manifest_clear(&p->m);
	free(p->manifest);
	p->manifest = NULL;
	r = get_manifest(p, d.digest, d.digest, what, &p->m, &p->manifest, &p->manifest_len, p->digest, err);
	if (r < 0)
		return r;
	if (p->m.kind != KIND_MANIFEST || strcmp(p->m.media_type, mt) != 0)
		return cell_error_set(err, EBADMSG, "%s: the index says it is %s, it is %s", what, mt,
				      p->m.media_type);
	if ((int64_t)p->manifest_len != d.size)
		return cell_error_set(err, EBADMSG, "%s: the index says %lld bytes, it has %zu", what,
				      (long long)d.size, p->manifest_len);
	return 0;
}

/* Try the candidates in turn until one has the image. */
static int resolve(struct pull *p, const char *ref, struct registry_config *cfg, cell_error **err)
{
	_cleanup_strv_ char **names = NULL;
	int r = candidates(ref, cfg, &names, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *tried = NULL;
	for (size_t i = 0; names[i]; i++) {
		struct image_ref ir;
		r = image_ref_parse(names[i], IMAGE_REF_DOCKER, &ir, err);
		if (r < 0)
			return r;
		free(p->name);
		p->name = strdup(names[i]);
		if (!p->name) {
			image_ref_clear(&ir);
			return cell_error_set(err, ENOMEM, "out of memory");
		}
		emit(p, PULL_EVENT_TRYING, NULL, false, 0, 0, 0);
		struct registry_opts ro = {
		    .tls_verify = p->o->tls_verify,
		    .certs_dir = p->o->certs_dir,
		    .username = p->o->username,
		    .password = p->o->password,
		    .authfile = p->o->authfile,
		    .config = cfg,
		};
		registry_session_free(p->s);
		p->s = NULL;
		manifest_clear(&p->m);
		free(p->manifest);
		p->manifest = NULL;
		cell_error *e = NULL;
		r = registry_session_open(&ir, &ro, &p->s, &e);
		if (r == 0)
			r = find_manifest(p, &ir, &e);
		image_ref_clear(&ir);
		if (r == 0) {
			emit(p, PULL_EVENT_MANIFEST, p->digest, false, 0, 0, 0);
			return 0;
		}
		if (!names[1]) {
			if (err)
				*err = e;
			else
				cell_error_free(e);
			return r;
		}
		/* A short name: say what each registry answered. */
		char *t = NULL;
		if (asprintf(&t, "%s%s%s", tried ? tried : "", tried ? "; " : "", e->msg) < 0)
			t = NULL;
		free(tried);
		tried = t;
		cell_error_free(e);
	}
	return cell_error_set(err, ENOENT, "%s: not found in any of the unqualified-search registries (%s)",
			      ref, tried ? tried : "");
}

/* What the manifest says must be a container image. */
static int check_image(struct pull *p, cell_error **err)
{
	const char *cmt = p->m.config.media_type;
	if (strcmp(cmt, MT_OCI_CONFIG) != 0 && strcmp(cmt, MT_DOCKER_CONFIG) != 0)
		return cell_error_set(err, ENOTSUP, "%s: not a container image (its config is \"%s\")",
				      p->name, cmt);
	if (p->m.config.size > (int64_t)CONFIG_MAX)
		return cell_error_set(err, EFBIG,
				      "%s: a config of %lld bytes is larger than cell accepts (%u)", p->name,
				      (long long)p->m.config.size, CONFIG_MAX);
	return 0;
}

struct mem_sink {
	char *buf;
	size_t len, max;
};

static int to_memory(void *ctx, const void *data, size_t len)
{
	struct mem_sink *m = ctx;
	if (m->len + len > m->max)
		return -EFBIG;
	memcpy(m->buf + m->len, data, len);
	m->len += len;
	return 0;
}

/* The config: from the store when it is there, else fetched, checked and
 * stored. Then the layers' chain. */
static int get_config(struct pull *p, cell_error **err)
{
	const struct descriptor *d = &p->m.config;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;
	if (blob_store_has(p->store->blobs, d->digest)) {
		emit(p, PULL_EVENT_BLOB_EXISTS, d->digest, true, (uint64_t)d->size, (uint64_t)d->size, 0);
		r = blob_store_read(p->store->blobs, d->digest, CONFIG_MAX, &buf, &len, err);
	} else {
		emit(p, PULL_EVENT_BLOB_START, d->digest, true, 0, (uint64_t)d->size, 0);
		struct mem_sink m = {.buf = malloc((size_t)d->size + 1), .max = (size_t)d->size};
		if (!m.buf)
			return cell_error_set(err, ENOMEM, "out of memory");
		buf = m.buf;
		r = registry_get_blob(p->s, d->digest, 0, to_memory, &m, NULL, err);
		if (r == -EFBIG)
			r = cell_error_set(err, EFBIG,
					   "config %s: larger than its descriptor says (%lld bytes)",
					   d->digest, (long long)d->size);
		len = m.len;
		if (r == 0 && len != (size_t)d->size)
			r = cell_error_set(err, EBADMSG, "config %s: %zu bytes, its descriptor says %lld",
					   d->digest, len, (long long)d->size);
		if (r == 0)
			r = blob_store_put(p->store->blobs, buf, len, d->digest, NULL, err);
		if (r == 0)
			emit(p, PULL_EVENT_BLOB_DONE, d->digest, true, len, len, 0);
	}
	if (r < 0)
		return cell_error_prefix(err, "%s", p->name);
	char what[64];
	snprintf(what, sizeof(what), "config %.19s", d->digest);
	r = image_config_parse(buf, len, what, &p->config, err);
	if (r < 0)
		return cell_error_prefix(err, "%s", p->name);
	if (p->config.n_diff_ids != p->m.n_layers)
		return cell_error_set(err, EINVAL,
				      "%s: %zu layers in its manifest, %zu diffIDs in its config", p->name,
				      p->m.n_layers, p->config.n_diff_ids);
	p->chain = calloc(p->m.n_layers ? p->m.n_layers : 1, DIGEST_BUF);
	if (!p->chain)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < p->m.n_layers; i++)
		storage_chain_id(i ? p->chain[i - 1] : NULL, p->config.diff_ids[i], p->chain[i]);
	return 0;
}

static int unpack_error(struct layer_sink *ls, cell_error **err)
{
	int r = image_store_pending_error(ls->p->store, ls->item->digest, err);
	if (r == 0)
		r = cell_error_set(err, EPIPE, "layer %.19s: its unpack stopped reading", ls->item->digest);
	return r;
}

static int sink_start(void *ctx, cell_error **err)
{
	struct layer_sink *ls = ctx;
	struct pull *p = ls->p;
	int r = blob_writer_new(p->store->blobs, &ls->w, err);
	if (r < 0)
		return r;
	emit(p, PULL_EVENT_BLOB_START, ls->item->digest, false, 0, ls->item->size, ls->index);
	if (!ls->unpack)
		return 0;
	int fd = -1;
	r = image_store_unpack_stream(p->store, ls->item->digest, &fd, err);
	if (r == -EOPNOTSUPP) {
		/* vfs builds each layer on its parent's copy: the commit does. */
		ls->unpack = false;
		return 0;
	}
	if (r < 0)
		return r;
	ls->pipe = fd;
	ls->item->wait_fd = fd;
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		return cell_error_errno(err, errno, "layer %.19s: pipe", ls->item->digest);
	return 0;
}

/* Give the pipe what it takes now; -EPIPE when the unpack stopped. */
static int pipe_feed(struct layer_sink *ls, const char *data, size_t len, size_t *taken)
{
	*taken = 0;
	while (*taken < len) {
		ssize_t n = write(ls->pipe, data + *taken, len - *taken);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0)
			return -errno;
		*taken += (size_t)n;
	}
	return 0;
}

static void sink_break(struct layer_sink *ls)
{
	/* Keep downloading: the blob's digest decides which error is the
	 * real one (a corrupt blob breaks its unpack too). */
	ls->broken = true;
	close(ls->pipe);
	ls->pipe = -1;
	ls->item->wait_fd = -1;
	ls->pend_len = ls->pend_off = 0;
}

static int sink_write(void *ctx, const void *data, size_t len, cell_error **err)
{
	struct layer_sink *ls = ctx;
	if (ls->pipe >= 0 && ls->pend_off < ls->pend_len) {
		size_t taken;
		int r = pipe_feed(ls, ls->pend + ls->pend_off, ls->pend_len - ls->pend_off, &taken);
		ls->pend_off += taken;
		if (r < 0)
			sink_break(ls);
		else if (ls->pend_off < ls->pend_len)
			return -EAGAIN;
		ls->pend_len = ls->pend_off = 0;
	}
	int r = blob_writer_write(ls->w, data, len, err);
	if (r < 0)
		return r;
	if (ls->pipe < 0)
		return 0;
	size_t taken;
	r = pipe_feed(ls, data, len, &taken);
	if (r < 0) {
		sink_break(ls);
		return 0;
	}
	if (taken < len) {
		size_t rest = len - taken;
		if (rest > ls->pend_cap) {
			char *nb = realloc(ls->pend, rest);
			if (!nb)
				return cell_error_set(err, ENOMEM, "out of memory");
			ls->pend = nb;
			ls->pend_cap = rest;
		}
		memcpy(ls->pend, (const char *)data + taken, rest);
		ls->pend_len = rest;
		ls->pend_off = 0;
	}
	return 0;
}

static int sink_finish(void *ctx, cell_error **err)
{
	struct layer_sink *ls = ctx;
	if (ls->pipe >= 0) {
		/* The rest, waiting for the unpack to take it. */
		int fl = fcntl(ls->pipe, F_GETFL);
		fcntl(ls->pipe, F_SETFL, fl & ~O_NONBLOCK);
		if (ls->pend_off < ls->pend_len &&
		    write_all(ls->pipe, ls->pend + ls->pend_off, ls->pend_len - ls->pend_off) < 0)
			ls->broken = true;
		close(ls->pipe);
		ls->pipe = -1;
		ls->item->wait_fd = -1;
	}
	int r = blob_writer_commit(ls->w, ls->item->digest, (int64_t)ls->item->size, NULL, err);
	blob_writer_free(ls->w);
	ls->w = NULL;
	if (r < 0)
		return cell_error_prefix(err, "%s", ls->p->name);
	if (ls->broken)
		return unpack_error(ls, err);
	log_debug("blob %.19s: %llu bytes downloaded and verified", ls->item->digest,
		  (unsigned long long)ls->item->size);
	emit(ls->p, PULL_EVENT_BLOB_DONE, ls->item->digest, false, ls->item->size, ls->item->size, ls->index);
	return 0;
}

static void sink_clear(struct layer_sink *ls)
{
	blob_writer_free(ls->w);
	if (ls->pipe >= 0)
		close(ls->pipe);
	free(ls->pend);
}

static void on_fetch_progress(void *ctx, const struct fetch_item *item)
{
	struct layer_sink *ls = item->ctx;
	if (!item->done)
		emit(ls->p, PULL_EVENT_BLOB_DATA, item->digest, false, item->received, item->size, ls->index);
}

/* Fetch the layer blobs the store lacks (each once), unpacking those whose
 * layer the store lacks too. */
static int fetch_layers(struct pull *p, cell_error **err)
{
	size_t n = p->m.n_layers;
	_cleanup_free_ struct fetch_item *items = calloc(n ? n : 1, sizeof(*items));
	_cleanup_free_ struct layer_sink *sinks = calloc(n ? n : 1, sizeof(*sinks));
	if (!items || !sinks)
		return cell_error_set(err, ENOMEM, "out of memory");
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct descriptor *d = &p->m.layers[i];
		bool dup = false, twice = false;
		for (size_t j = 0; j < k && !dup; j++)
			dup = strcmp(items[j].digest, d->digest) == 0;
		for (size_t j = 0; j < n && !twice; j++)
			twice = j != i && strcmp(p->m.layers[j].digest, d->digest) == 0;
		if (dup)
			continue;
		if (blob_store_has(p->store->blobs, d->digest)) {
			emit(p, PULL_EVENT_BLOB_EXISTS, d->digest, false, (uint64_t)d->size,
			     (uint64_t)d->size, i + 1);
			continue;
		}
		sinks[k] = (struct layer_sink){
		    .p = p,
		    .item = &items[k],
		    .index = i + 1,
		    /* A blob used twice in one image is unpacked by the commit:
		     * an unpack is adopted by one layer only. */
		    .unpack = !twice && !storage_layer_exists(p->store->storage, p->chain[i]),
		    .pipe = -1,
		};
		items[k] = (struct fetch_item){
		    .size = (uint64_t)d->size,
		    .start = sink_start,
		    .write = sink_write,
		    .finish = sink_finish,
		    .wait_fd = -1,
		    .ctx = &sinks[k],
		};
		memcpy(items[k].digest, d->digest, DIGEST_BUF);
		k++;
	}
	struct fetch_opts fo = {.parallel = p->o->parallel, .progress = on_fetch_progress};
	int r = registry_fetch(p->s, items, k, &fo, err);
	for (size_t j = 0; j < k; j++)
		sink_clear(&sinks[j]);
	if (r < 0)
		return cell_error_prefix(err, "pull %s", p->name);
	return 0;
}

static int pull_locked(struct pull *p, char *digest_out, cell_error **err)
{
	int r = get_config(p, err);
	if (r == 0)
		r = fetch_layers(p, err);
	if (r < 0)
		return r;
	emit(p, PULL_EVENT_COMMIT, NULL, false, 0, 0, 0);
	const char *names[] = {p->name, NULL};
	char digest[DIGEST_BUF];
	r = image_store_commit(p->store, p->manifest, p->manifest_len, names, digest, err);
	if (r < 0)
		return cell_error_prefix(err, "pull %s", p->name);
	emit(p, PULL_EVENT_DONE, digest, false, 0, 0, 0);
	if (digest_out)
		memcpy(digest_out, digest, DIGEST_BUF);
	return 0;
}

int registry_pull(struct image_store *store, const char *ref, const struct pull_opts *opts, char *digest_out,
		  cell_error **err)
{
	static const struct pull_opts defaults = {0};
	struct pull p = {.store = store, .o = opts ? opts : &defaults};
	struct registry_config *own = NULL;
	struct registry_config *cfg = (struct registry_config *)p.o->config;
	int r = 0;
	if (!cfg && (r = registry_config_load(NULL, &own, err)) == 0)
		cfg = own;
	if (r == 0)
		r = resolve(&p, ref, cfg, err);
	if (r == 0)
		r = check_image(&p, err);
	if (r < 0) {
		pull_clear(&p);
		registry_config_free(own);
		return r;
	}
	/* A pipe whose unpack died must fail a write, not kill us. */
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	sigaction(SIGPIPE, &ign, &old);
	r = image_store_lock(store, true, err);
	if (r == 0) {
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		blob_store_defer_sync(store->blobs, true);
		blob_store_direct_io(store->blobs, true);
		storage_set_direct_io(store->storage, true);
		r = pull_locked(&p, digest_out, err);
		/* Unpacks nobody adopted, and after a failure the blobs this pull
		 * stored, go again. */
		image_store_drop_pending(store);
		if (r < 0) {
			_cleanup_error_ cell_error *gc_err = NULL;
			if (image_store_gc(store, &gc_err) < 0)
				log_warning("%s", gc_err->msg);
		}
		storage_set_direct_io(store->storage, false);
		blob_store_direct_io(store->blobs, false);
		blob_store_defer_sync(store->blobs, false);
		image_store_unlock(store);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		log_debug("pull %s: %.3f s in the store", p.name,
			  (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	}
	sigaction(SIGPIPE, &old, NULL);
	pull_clear(&p);
	registry_config_free(own);
	return r;
}
