#include "fetch.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/log.h"

#define DEFAULT_PARALLEL 4
/* Large reads keep the per-byte overhead of the callbacks low. */
#define BUFFER_SIZE    (256L << 10)
#define ERROR_BODY_MAX (64u << 10)
/* Failed attempts in a row without a byte of progress, and in all. */
#define RETRIES_IDLE  6
#define RETRIES_TOTAL 64

enum item_state { WAITING, ACTIVE, RETRY, DONE };

struct fetcher;

struct transfer {
	struct fetcher *f;
	CURL *easy;
	size_t index;
	struct curl_slist *headers;
	long status;
	uint64_t asked_from; /* the Range asked for */
	uint64_t skip;       /* bytes of a 200 answer to drop: the server ignored the Range */
	uint64_t started_at; /* the item's bytes when this attempt began */
	bool body_started;
	bool paused;
	char *www_auth;
	char *content_range;
	char *body; /* an error answer's body */
	size_t body_len;
	int write_code; /* why the body callback stopped the transfer */
	cell_error *err;
};

struct fetcher {
	struct registry_session *s;
	CURLM *multi;
	struct fetch_item *items;
	size_t n;
	const struct fetch_opts *o;
	enum item_state *state;
	int64_t *retry_at; /* ms, monotonic */
	unsigned *idle;    /* failures in a row without progress */
	struct transfer *slots;
	unsigned parallel;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void transfer_clear(struct fetcher *f, struct transfer *t)
{
	if (t->easy) {
		curl_multi_remove_handle(f->multi, t->easy);
		curl_easy_cleanup(t->easy);
	}
	curl_slist_free_all(t->headers);
	free(t->www_auth);
	free(t->content_range);
	free(t->body);
	cell_error_free(t->err);
	*t = (struct transfer){.f = f};
}

static void keep_header(char **slot, const char *v, size_t n)
{
	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
		n--;
	free(*slot);
	*slot = strndup(v, n);
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *arg)
{
	struct transfer *t = arg;
	size_t n = size * nmemb;
	if (n > 5 && strncmp(line, "HTTP/", 5) == 0) {
		/* A new response (after a redirect): start over. */
		const char *sp = memchr(line, ' ', n);
		t->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		t->body_started = false;
		free(t->www_auth);
		free(t->content_range);
		t->www_auth = t->content_range = NULL;
		t->body_len = 0;
	} else if (n > 17 && strncasecmp(line, "www-authenticate:", 17) == 0) {
		keep_header(&t->www_auth, line + 17 + strspn(line + 17, " "),
			    n - 17 - strspn(line + 17, " "));
	} else if (n > 14 && strncasecmp(line, "content-range:", 14) == 0) {
		keep_header(&t->content_range, line + 14 + strspn(line + 14, " "),
			    n - 14 - strspn(line + 14, " "));
	}
	return n;
}

/* "bytes START-END/TOTAL": the start. */
static bool range_start(const char *cr, uint64_t *start)
{
	if (!cr || strncasecmp(cr, "bytes ", 6) != 0)
		return false;
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(cr + 6, &end, 10);
	if (errno || end == cr + 6 || *end != '-')
		return false;
	*start = v;
	return true;
}

static size_t fail_write(struct transfer *t, int code)
{
	t->write_code = code < 0 ? code : -code;
	return 0;
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct transfer *t = arg;
	struct fetcher *f = t->f;
	struct fetch_item *it = &f->items[t->index];
	size_t n = size * nmemb;
	if (t->status < 200 || t->status >= 300) {
		/* An error answer: keep the start of it for the message. */
		size_t room = ERROR_BODY_MAX - t->body_len;
		size_t k = n < room ? n : room;
		char *nb = k ? realloc(t->body, t->body_len + k + 1) : t->body;
		if (k && nb) {
			memcpy(nb + t->body_len, data, k);
			t->body = nb;
			t->body_len += k;
			t->body[t->body_len] = '\0';
		}
		return n;
	}
	if (!t->body_started) {
		t->body_started = true;
		t->skip = 0;
		uint64_t start = 0;
		if (t->status == 200 && t->asked_from > 0) {
			t->skip = t->asked_from;
		} else if (t->status == 206 &&
			   (!range_start(t->content_range, &start) || start != t->asked_from)) {
			cell_error_set(&t->err, EBADMSG, "blob %s: asked for bytes %" PRIu64 "-, got \"%s\"",
				       it->digest, t->asked_from, t->content_range ? t->content_range : "");
			return fail_write(t, EBADMSG);
		}
	}
	size_t k = t->skip < n ? (size_t)t->skip : n;
	const char *p = data + k;
	size_t m = n - k;
	if (m > 0 && it->received + m > it->size) {
		cell_error_set(&t->err, EFBIG,
			       "blob %s: %s sends more than the %" PRIu64 " bytes its descriptor says",
			       it->digest, registry_session_base(f->s), it->size);
		return fail_write(t, EFBIG);
	}
	if (m > 0) {
		int r = it->write(it->ctx, p, m, &t->err);
		if (r == -EAGAIN) {
			cell_error_free(t->err);
			t->err = NULL;
			t->paused = true;
			return CURL_WRITEFUNC_PAUSE;
		}
		if (r < 0)
			return fail_write(t, r);
		it->received += m;
		if (f->o->progress)
			f->o->progress(f->o->ctx, it);
	}
	t->skip -= k;
	return n;
}

static int start_transfer(struct fetcher *f, size_t index, struct transfer *t, cell_error **err)
{
	struct fetch_item *it = &f->items[index];
	if (!it->started) {
		it->started = true;
		int r = it->start ? it->start(it->ctx, err) : 0;
		if (r < 0)
			return r;
	}
	/* A token about to expire is renewed before, not after, a 401. */
	int r = registry_session_refresh(f->s, err);
	if (r < 0)
		return r;
	*t =
	    (struct transfer){.f = f, .index = index, .asked_from = it->received, .started_at = it->received};
	t->easy = curl_easy_init();
	if (!t->easy)
		return cell_error_set(err, ENOMEM, "out of memory");
	r = registry_session_setup_handle(f->s, t->easy, &t->headers, err);
	if (r < 0)
		return r;
	char url[8192];
	snprintf(url, sizeof(url), "%s/v2/%s/blobs/%s", registry_session_base(f->s),
		 registry_session_path(f->s), it->digest);
	curl_easy_setopt(t->easy, CURLOPT_URL, url);
	/* Blobs are often served from elsewhere (a CDN, object storage). */
	curl_easy_setopt(t->easy, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
	curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(t->easy, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_BUFFERSIZE, BUFFER_SIZE);
	curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
	if (it->received > 0) {
		char range[64];
		snprintf(range, sizeof(range), "%" PRIu64 "-", it->received);
		curl_easy_setopt(t->easy, CURLOPT_RANGE, range);
	}
	if (curl_multi_add_handle(f->multi, t->easy) != CURLM_OK)
		return cell_error_set(err, ENOMEM, "blob %s: cannot start its transfer", it->digest);
	f->state[index] = ACTIVE;
	return 0;
}

/* A transient failure: try again from where it stopped, after a pause that
 * grows while attempts make no progress. */
static int retry_later(struct fetcher *f, struct transfer *t, const char *why, cell_error **err)
{
	struct fetch_item *it = &f->items[t->index];
	bool progress = it->received > t->started_at;
	f->idle[t->index] = progress ? 0 : f->idle[t->index] + 1;
	it->retries++;
	if (f->idle[t->index] >= RETRIES_IDLE || it->retries >= RETRIES_TOTAL)
		return cell_error_set(
		    err, EIO, "blob %s: gave up after %u attempts (%" PRIu64 " of %" PRIu64 " bytes): %s",
		    it->digest, it->retries, it->received, it->size, why);
	log_debug("blob %s: %s at %" PRIu64 " of %" PRIu64 " bytes; resuming", it->digest, why, it->received,
		  it->size);
	unsigned k = f->idle[t->index];
	f->retry_at[t->index] = now_ms() + (progress ? 20 : 100L << (k < 6 ? k : 6));
	f->state[t->index] = RETRY;
	return 0;
}

/* A transfer ended: done, to be tried again, or failed. */
static int transfer_done(struct fetcher *f, struct transfer *t, CURLcode rc, cell_error **err)
{
	struct fetch_item *it = &f->items[t->index];
	char why[512];
	if (t->write_code < 0 || t->err) {
		if (err) {
			cell_error_free(*err);
			*err = TAKE_PTR(t->err);
		}
		return t->write_code < 0 ? t->write_code : -EIO;
	}
	if (rc != CURLE_OK) {
		snprintf(why, sizeof(why), "%s", curl_easy_strerror(rc));
		if (rc == CURLE_TOO_MANY_REDIRECTS)
			return cell_error_set(err, ELOOP, "blob %s: too many redirects (a redirect loop?)",
					      it->digest);
		if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR ||
		    rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT ||
		    rc == CURLE_OUT_OF_MEMORY)
			return cell_error_set(err, rc == CURLE_OUT_OF_MEMORY ? ENOMEM : EPROTO, "blob %s: %s",
					      it->digest, why);
		return retry_later(f, t, why, err);
	}
	if (t->status >= 200 && t->status < 300) {
		if (it->received == it->size) {
			int r = it->finish ? it->finish(it->ctx, err) : 0;
			if (r < 0)
				return r;
			it->done = true;
			f->state[t->index] = DONE;
			if (f->o->progress)
				f->o->progress(f->o->ctx, it);
			return 0;
		}
		snprintf(why, sizeof(why), "the body ended early");
		return retry_later(f, t, why, err);
	}
	if (t->status == 401) {
		int r = registry_session_reauth(f->s, t->www_auth, err);
		if (r < 0)
			return cell_error_prefix(err, "blob %s", it->digest);
		return retry_later(f, t, "authorization expired", err);
	}
	if (t->status == 416)
		return cell_error_set(err, EBADMSG,
				      "blob %s: truncated: %s has %" PRIu64 " of the %" PRIu64
				      " bytes its descriptor says",
				      it->digest, registry_session_base(f->s), it->received, it->size);
	char what[128];
	snprintf(what, sizeof(what), "blob %s", it->digest);
	if (t->status == 429 || t->status >= 500) {
		cell_error *e = NULL;
		registry_status_error(f->s, what, t->status, t->body, t->body_len, &e);
		snprintf(why, sizeof(why), "%s", e ? e->msg : "server error");
		cell_error_free(e);
		return retry_later(f, t, why, err);
	}
	return registry_status_error(f->s, what, t->status, t->body, t->body_len, err);
}

/* The next item to start: one whose retry is due, else a new one. */
static ssize_t next_item(struct fetcher *f, int64_t now, int64_t *wait)
{
	ssize_t pick = -1;
	for (size_t i = 0; i < f->n; i++) {
		if (f->state[i] == RETRY) {
			if (f->retry_at[i] <= now)
				return (ssize_t)i;
			int64_t d = f->retry_at[i] - now;
			if (d < *wait)
				*wait = d;
		} else if (f->state[i] == WAITING && pick < 0) {
			pick = (ssize_t)i;
		}
	}
	return pick;
}

static int run(struct fetcher *f, cell_error **err)
{
	_cleanup_free_ struct curl_waitfd *extra = calloc(f->parallel, sizeof(*extra));
	_cleanup_free_ size_t *extra_slot = calloc(f->parallel, sizeof(*extra_slot));
	if (!extra || !extra_slot)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (;;) {
		int64_t wait = 1000, now = now_ms();
		unsigned active = 0;
		for (unsigned k = 0; k < f->parallel; k++)
			active += f->slots[k].easy != NULL;
		for (unsigned k = 0; k < f->parallel && active < f->parallel; k++) {
			if (f->slots[k].easy)
				continue;
			ssize_t i = next_item(f, now, &wait);
			if (i < 0)
				break;
			int r = start_transfer(f, (size_t)i, &f->slots[k], err);
			if (r < 0)
				return r;
			active++;
		}
		bool pending = false;
		for (size_t i = 0; i < f->n; i++)
			pending = pending || f->state[i] != DONE;
		if (!pending)
			return 0;
		int running = 0;
		if (curl_multi_perform(f->multi, &running) != CURLM_OK)
			return cell_error_set(err, EIO, "blob downloads: curl_multi_perform failed");
		CURLMsg *msg;
		int left;
		bool ended = false;
		while ((msg = curl_multi_info_read(f->multi, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct transfer *t = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
			CURLcode rc = msg->data.result;
			int r = transfer_done(f, t, rc, err);
			transfer_clear(f, t);
			if (r < 0)
				return r;
			ended = true;
		}
		/* A slot came free: fill it (or finish) before waiting. */
		if (ended)
			continue;
		/* Paused transfers wait for their sink's fd to take more. */
		unsigned nextra = 0;
		bool idle_pause = false;
		for (unsigned k = 0; k < f->parallel; k++) {
			struct transfer *t = &f->slots[k];
			if (!t->easy || !t->paused)
				continue;
			int fd = f->items[t->index].wait_fd;
			if (fd < 0) {
				idle_pause = true;
				continue;
			}
			extra[nextra] = (struct curl_waitfd){.fd = fd, .events = CURL_WAIT_POLLOUT};
			extra_slot[nextra++] = k;
		}
		int timeout = idle_pause ? 5 : (int)(wait < 0 ? 0 : wait);
		if (curl_multi_poll(f->multi, extra, nextra, timeout, NULL) != CURLM_OK)
			return cell_error_set(err, EIO, "blob downloads: curl_multi_poll failed");
		for (unsigned k = 0; k < f->parallel; k++) {
			struct transfer *t = &f->slots[k];
			if (!t->easy || !t->paused)
				continue;
			bool ready = f->items[t->index].wait_fd < 0;
			for (unsigned e = 0; e < nextra && !ready; e++)
				ready = extra_slot[e] == k && extra[e].revents != 0;
			if (ready) {
				t->paused = false;
				curl_easy_pause(t->easy, CURLPAUSE_CONT);
			}
		}
	}
}

int registry_fetch(struct registry_session *s, struct fetch_item *items, size_t n, const struct fetch_opts *o,
		   cell_error **err)
{
	static const struct fetch_opts none = {0};
	struct fetcher f = {.s = s, .items = items, .n = n, .o = o ? o : &none};
	f.parallel = f.o->parallel ? f.o->parallel : DEFAULT_PARALLEL;
	if (f.parallel > n)
		f.parallel = n ? (unsigned)n : 1;
	f.multi = curl_multi_init();
	f.state = calloc(n ? n : 1, sizeof(*f.state));
	f.retry_at = calloc(n ? n : 1, sizeof(*f.retry_at));
	f.idle = calloc(n ? n : 1, sizeof(*f.idle));
	f.slots = calloc(f.parallel, sizeof(*f.slots));
	int r;
	if (!f.multi || !f.state || !f.retry_at || !f.idle || !f.slots) {
		r = cell_error_set(err, ENOMEM, "out of memory");
	} else {
		for (unsigned k = 0; k < f.parallel; k++)
			f.slots[k].f = &f;
		for (size_t i = 0; i < n; i++)
			if (items[i].done)
				f.state[i] = DONE;
		r = run(&f, err);
	}
	for (unsigned k = 0; f.slots && k < f.parallel; k++)
		transfer_clear(&f, &f.slots[k]);
	if (f.multi)
		curl_multi_cleanup(f.multi);
	free(f.state);
	free(f.retry_at);
	free(f.idle);
	free(f.slots);
	return r;
}
