#include "client.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "base/file.h"
#include "base/json.h"
#include "base/log.h"
#include "base/strv.h"
#include "challenge.h"

#define ERROR_BODY_MAX (64u << 10)
#define TOKEN_MAX      (7u << 10)
#define ATTEMPTS       5
#define MAX_REDIRECTS  5

struct registry_session {
	char *domain;  /* the host[:port] we talk to */
	char *path;    /* the repository on it ("" for the registry only) */
	char *base;    /* "https://domain" or "http://domain" */
	bool insecure; /* plain HTTP and unverified TLS allowed */
	bool verify;
	bool probed;
	char *ca_blob;
	size_t ca_len;
	char *client_cert, *client_key;
	struct credentials creds;
	bool push;
	struct challenge challenge; /* learned from the first 401 */
	char *token;
	time_t token_expiry;
	CURL *curl;
};

struct response {
	long status;
	char *body;
	size_t len, cap, max;
	bool too_big;
	char *content_type, *digest, *location, *www_auth;
	registry_sink sink;
	void *sink_ctx;
	uint64_t received;
	int sink_err;
};

static void response_clear(struct response *r)
{
	free(r->body);
	free(r->content_type);
	free(r->digest);
	free(r->location);
	free(r->www_auth);
	registry_sink sink = r->sink;
	void *ctx = r->sink_ctx;
	*r = (struct response){.sink = sink, .sink_ctx = ctx};
}

const char *registry_session_base(const struct registry_session *s)
{
	return s->base;
}

const char *registry_session_domain(const struct registry_session *s)
{
	return s->domain;
}

const char *registry_session_path(const struct registry_session *s)
{
	return s->path;
}

void registry_session_free(struct registry_session *s)
{
	if (!s)
		return;
	if (s->curl)
		curl_easy_cleanup(s->curl);
	credentials_clear(&s->creds);
	challenge_clear(&s->challenge);
	if (s->token)
		explicit_bzero(s->token, strlen(s->token));
	free(s->token);
	free(s->ca_blob);
	free(s->client_cert);
	free(s->client_key);
	free(s->domain);
	free(s->path);
	free(s->base);
	free(s);
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n > k && strcmp(s + n - k, suffix) == 0;
}

/* The system's CAs plus *.crt from dir, as one PEM blob; *.cert and *.key
 * there are the client's certificate. A missing dir adds nothing. */
static int load_certs_from(struct registry_session *s, const char *dir, cell_error **err)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? 0 : cell_error_errno(err, errno, "open %s", dir);
	if (!s->ca_blob) {
		_cleanup_free_ char *system = NULL;
		size_t slen = 0;
		if (read_file_at(AT_FDCWD, "/etc/ssl/certs/ca-certificates.crt", 16 << 20, &system, &slen) ==
		    0) {
			s->ca_blob = TAKE_PTR(system);
			s->ca_len = slen;
		}
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char path[8192];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (ends_with(de->d_name, n, ".crt")) {
			_cleanup_free_ char *pem = NULL;
			size_t plen = 0;
			int r = read_file_at(AT_FDCWD, path, 1 << 20, &pem, &plen);
			if (r < 0)
				return cell_error_errno(err, r, "read CA certificate %s", path);
			char *nb = realloc(s->ca_blob, s->ca_len + plen + 2);
			if (!nb)
				return cell_error_set(err, ENOMEM, "out of memory");
			s->ca_blob = nb;
			memcpy(s->ca_blob + s->ca_len, pem, plen);
			s->ca_len += plen;
			s->ca_blob[s->ca_len++] = '\n';
		} else if (ends_with(de->d_name, n, ".cert")) {
			free(s->client_cert);
			if (!(s->client_cert = strdup(path)))
				return cell_error_set(err, ENOMEM, "out of memory");
		} else if (ends_with(de->d_name, n, ".key")) {
			free(s->client_key);
			if (!(s->client_key = strdup(path)))
				return cell_error_set(err, ENOMEM, "out of memory");
		}
	}
	return 0;
}

/* --cert-dir names the directory of certificates itself (as Podman's);
 * otherwise certs.d/HOST[:PORT] of containers, then of Docker. */
static int load_certs(struct registry_session *s, const char *certs_dir, cell_error **err)
{
	if (certs_dir) {
		if (access(certs_dir, F_OK) < 0)
			return cell_error_errno(err, errno, "certificate directory %s", certs_dir);
		return load_certs_from(s, certs_dir, err);
	}
	static const char *const roots[] = {"/etc/containers/certs.d", "/etc/docker/certs.d"};
	for (size_t i = 0; i < ARRAY_SIZE(roots); i++) {
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s/%s", roots[i], s->domain);
		int r = load_certs_from(s, dir, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Where the repository really is (registries.conf may redirect or block it),
 * how to talk to it, and with which credentials. */
static int session_setup(struct registry_session *s, const struct image_ref *ref,
			 const struct registry_opts *opts, const struct registry_config *cfg,
			 cell_error **err)
{
	_cleanup_free_ char *name = image_ref_repository(ref);
	if (!name)
		return cell_error_set(err, ENOMEM, "out of memory");
	const struct registry_entry *e = registry_config_find(cfg, name);
	if (e && e->blocked)
		return cell_error_set(err, EACCES, "registry %s is blocked in registries.conf", e->prefix);
	if (e && e->location) {
		/* prefix → location: rewrite the name's start */
		_cleanup_free_ char *rewritten = NULL;
		if (asprintf(&rewritten, "%s%s", e->location, name + strlen(e->prefix)) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
		char *slash = strchr(rewritten, '/');
		s->domain = slash ? strndup(rewritten, (size_t)(slash - rewritten)) : strdup(rewritten);
		s->path = strdup(slash ? slash + 1 : "");
	} else {
		s->domain = strdup(ref->domain);
		s->path = strdup(ref->path ? ref->path : "");
	}
	/* Docker Hub's API lives at registry-1.docker.io. */
	if (s->domain && strcmp(s->domain, "docker.io") == 0) {
		free(s->domain);
		s->domain = strdup("registry-1.docker.io");
	}
	if (!s->domain || !s->path)
		return cell_error_set(err, ENOMEM, "out of memory");
	s->insecure = (e && e->insecure) || opts->tls_verify == TLS_VERIFY_NO;
	s->verify = opts->tls_verify == TLS_VERIFY_YES || !s->insecure;
	s->push = opts->push;
	if (asprintf(&s->base, "https://%s", s->domain) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	int r = load_certs(s, opts->certs_dir, err);
	if (r < 0)
		return r;
	if (opts->username) {
		s->creds.username = strdup(opts->username);
		s->creds.password = strdup(opts->password ? opts->password : "");
		if (!s->creds.username || !s->creds.password)
			return cell_error_set(err, ENOMEM, "out of memory");
	} else {
		/* Credentials are looked up under the name the user gave (a
		 * mirror's own entry is the mirror's business). */
		r = opts->authfile ? auth_lookup_in(opts->authfile, name, &s->creds, err)
				   : auth_lookup(name, &s->creds, err);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	s->curl = curl_easy_init();
	if (!s->curl)
		return cell_error_set(err, ENOMEM, "out of memory");
	return 0;
}

int registry_session_open(const struct image_ref *ref, const struct registry_opts *opts,
			  struct registry_session **out, cell_error **err)
{
	static bool curl_ready;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
			return cell_error_set(err, EIO, "initialise libcurl");
		curl_ready = true;
	}
	struct registry_session *s = calloc(1, sizeof(*s));
	if (!s)
		return cell_error_set(err, ENOMEM, "out of memory");
	struct registry_config *own = NULL;
	const struct registry_config *cfg = opts->config;
	int r = 0;
	if (!cfg && (r = registry_config_load(NULL, &own, err)) == 0)
		cfg = own;
	if (r == 0)
		r = session_setup(s, ref, opts, cfg, err);
	registry_config_free(own);
	if (r < 0) {
		registry_session_free(s);
		return r;
	}
	*out = s;
	return 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct response *r = arg;
	size_t n = size * nmemb;
	if (r->sink && r->status >= 200 && r->status < 300) {
		r->sink_err = r->sink(r->sink_ctx, data, n);
		if (r->sink_err < 0)
			return 0;
		r->received += n;
		return n;
	}
	if (r->len + n > r->max) {
		r->too_big = true;
		return 0; /* more than we accept: abort the transfer */
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = (r->len + n + 1) * 2;
		char *nb = realloc(r->body, cap);
		if (!nb)
			return 0;
		r->body = nb;
		r->cap = cap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static void take_header(char **slot, const char *v, size_t n)
{
	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
		n--;
	free(*slot);
	*slot = strndup(v, n);
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *arg)
{
	struct response *r = arg;
	size_t n = size * nmemb;
	static const struct {
		const char *name;
		size_t off;
	} known[] = {
	    {"content-type:", offsetof(struct response, content_type)},
	    {"docker-content-digest:", offsetof(struct response, digest)},
	    {"location:", offsetof(struct response, location)},
	    {"www-authenticate:", offsetof(struct response, www_auth)},
	};
	if (n > 5 && strncmp(line, "HTTP/", 5) == 0) {
		/* A new response (after a redirect or a 100): its status decides
		 * where the body goes; forget the old headers. */
		const char *sp = memchr(line, ' ', n);
		r->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		free(r->content_type);
		free(r->digest);
		free(r->location);
		free(r->www_auth);
		r->content_type = r->digest = r->location = r->www_auth = NULL;
		return n;
	}
	for (size_t i = 0; i < ARRAY_SIZE(known); i++) {
		size_t k = strlen(known[i].name);
		if (n > k && strncasecmp(line, known[i].name, k) == 0) {
			const char *v = line + k;
			while (*v == ' ')
				v++;
			take_header((char **)((char *)r + known[i].off), v, n - (size_t)(v - line));
		}
	}
	return n;
}

/* Text from a server, fit for a message: one line, no control characters. */
static void printable(const char *in, size_t n, char *out, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; i < n && in[i] && in[i] != '\r' && in[i] != '\n' && o + 1 < len; i++)
		out[o++] = (unsigned char)in[i] < 0x20 || in[i] == 0x7f ? '?' : in[i];
	out[o] = '\0';
}

/* The server's explanation from an error body ({"errors": [{"message"}]}),
 * else the body's first line. */
static void server_words(const char *body, size_t len, char *buf, size_t size)
{
	buf[0] = '\0';
	if (!body || !len)
		return;
	json_t *j = json_loadb(body, len, 0, NULL);
	json_t *e0 = json_array_get(json_object_get(j, "errors"), 0);
	const char *msg = json_string_value(json_object_get(e0, "message"));
	const char *code = json_string_value(json_object_get(e0, "code"));
	char raw[512];
	if (msg) {
		snprintf(raw, sizeof(raw), "%s%s%s", code ? code : "", code ? ": " : "", msg);
		printable(raw, strlen(raw), buf, size);
	} else {
		printable(body, len, buf, size < 200 ? size : 200);
	}
	json_decref(j);
}

int registry_status_error(struct registry_session *s, const char *what, long status, const char *body,
			  size_t len, cell_error **err)
{
	char words[512];
	server_words(body, len, words, sizeof(words));
	int code = status == 401 || status == 403   ? EACCES
		   : status == 404                  ? ENOENT
		   : status == 429 || status >= 500 ? EAGAIN
						    : EBADMSG;
	return cell_error_set(err, code, "%s: %s answered HTTP %ld%s%s", what, s->base, status,
			      *words ? ": " : "", words);
}

static int status_error(struct registry_session *s, const char *what, const struct response *r,
			cell_error **err)
{
	return registry_status_error(s, what, r->status, r->body, r->len, err);
}

static int fetch_token(struct registry_session *s, cell_error **err);

struct upload {
	const char *buf;
	size_t len, off;
	int fd;
	uint64_t pos, end; /* the fd's bytes still to send in this request */
	uint64_t *sent;
	void (*progress)(void *ctx, uint64_t sent);
	void *ctx;
	int err;
};

static size_t on_read(char *out, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb;
	if (u->fd >= 0) {
		if (u->pos >= u->end)
			return 0;
		if (n > u->end - u->pos)
			n = (size_t)(u->end - u->pos);
		ssize_t got;
		do
			got = pread(u->fd, out, n, (off_t)u->pos);
		while (got < 0 && errno == EINTR);
		if (got <= 0) {
			u->err = got < 0 ? -errno : -EIO;
			return CURL_READFUNC_ABORT;
		}
		u->pos += (uint64_t)got;
		if (u->sent) {
			*u->sent += (uint64_t)got;
			if (u->progress)
				u->progress(u->ctx, *u->sent);
		}
		return (size_t)got;
	}
	if (n > u->len - u->off)
		n = u->len - u->off;
	memcpy(out, u->buf + u->off, n);
	u->off += n;
	return n;
}

static bool retryable(CURLcode c)
{
	return c == CURLE_COULDNT_CONNECT || c == CURLE_RECV_ERROR || c == CURLE_SEND_ERROR ||
	       c == CURLE_PARTIAL_FILE || c == CURLE_OPERATION_TIMEDOUT || c == CURLE_GOT_NOTHING ||
	       c == CURLE_HTTP2 || c == CURLE_HTTP2_STREAM;
}

static void set_tls(struct registry_session *s, CURL *c)
{
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, s->verify ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, s->verify ? 2L : 0L);
	if (s->ca_blob) {
		struct curl_blob blob = {.data = s->ca_blob, .len = s->ca_len, .flags = CURL_BLOB_NOCOPY};
		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (s->client_cert && s->client_key) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, s->client_cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, s->client_key);
	}
}

int registry_session_setup_handle(struct registry_session *s, CURL *c, struct curl_slist **headers,
				  cell_error **err)
{
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "cell/0.1");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	/* give up on a transfer stalled below 1 KiB/s for 60 s */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)MAX_REDIRECTS);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, s->insecure ? "http,https" : "https");
	set_tls(s, c);
	if (s->challenge.scheme == AUTH_BEARER && s->token) {
		char auth[TOKEN_MAX + 64];
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", s->token);
		struct curl_slist *h = curl_slist_append(*headers, auth);
		explicit_bzero(auth, sizeof(auth));
		if (!h)
			return cell_error_set(err, ENOMEM, "out of memory");
		*headers = h;
	} else if (s->challenge.scheme == AUTH_BASIC && s->creds.username) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, s->creds.username);
		curl_easy_setopt(c, CURLOPT_PASSWORD, s->creds.password);
	}
	return 0;
}

/* One HTTP exchange, no retries, no auth handling. */
static CURLcode perform(struct registry_session *s, const char *method, const char *url, char *const *headers,
			struct upload *up, uint64_t upload_size, uint64_t range_from, struct response *r)
{
	CURL *c = s->curl;
	curl_easy_reset(c);
	struct curl_slist *h = NULL;
	for (size_t i = 0; headers && headers[i]; i++)
		h = curl_slist_append(h, headers[i]);
	if (registry_session_setup_handle(s, c, &h, NULL) < 0) {
		curl_slist_free_all(h);
		return CURLE_OUT_OF_MEMORY;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION,
			 strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	if (range_from) {
		char range[64];
		snprintf(range, sizeof(range), "%llu-", (unsigned long long)range_from);
		curl_easy_setopt(c, CURLOPT_RANGE, range);
	}
	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		if (up) {
			curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
			curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
			curl_easy_setopt(c, CURLOPT_READDATA, up);
			curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)upload_size);
			/* registries do not all like Expect: 100-continue */
			h = curl_slist_append(h, "Expect:");
		} else {
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
			curl_easy_setopt(c, CURLOPT_POST, strcmp(method, "POST") == 0 ? 1L : 0L);
			if (strcmp(method, "POST") != 0)
				curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		}
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status)
		r->status = status;
	curl_slist_free_all(h);
	return rc;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* A failed exchange as an error naming the request. */
static int transfer_error(const char *method, const char *url, CURLcode rc, const struct response *r,
			  cell_error **err)
{
	if (r->too_big)
		return cell_error_set(err, EFBIG, "%s %s: the answer is larger than %zu bytes", method, url,
				      r->max);
	if (rc == CURLE_TOO_MANY_REDIRECTS)
		return cell_error_set(err, ELOOP, "%s %s: more than %d redirects (a redirect loop?)", method,
				      url, MAX_REDIRECTS);
	int code = rc == CURLE_COULDNT_CONNECT                                             ? ECONNREFUSED
		   : rc == CURLE_OPERATION_TIMEDOUT                                        ? ETIMEDOUT
		   : rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR ? EPROTO
		   : rc == CURLE_OUT_OF_MEMORY                                             ? ENOMEM
											   : EIO;
	return cell_error_set(err, code, "%s %s: %s", method, url, curl_easy_strerror(rc));
}

/* An exchange with the scheme probed (https, then http where allowed),
 * authentication answered, and transient failures retried. path is below
 * the base URL (or a full URL). The response's status is for the caller. */
static int request(struct registry_session *s, const char *method, const char *path, char *const *headers,
		   const char *body, size_t body_len, struct response *r, size_t max_body, cell_error **err)
{
	bool authed = false;
	for (int attempt = 0;; attempt++) {
		char url[8192];
		if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0)
			snprintf(url, sizeof(url), "%s", path);
		else
			snprintf(url, sizeof(url), "%s%s", s->base, path);
		response_clear(r);
		r->max = max_body;
		struct upload up = {.buf = body, .len = body_len, .fd = -1};
		CURLcode rc = perform(s, method, url, headers, body ? &up : NULL, body_len, 0, r);
		if (rc != CURLE_OK && !s->probed && s->insecure && strncmp(s->base, "https://", 8) == 0 &&
		    (rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING ||
		     rc == CURLE_WEIRD_SERVER_REPLY)) {
			/* an insecure registry that speaks plain HTTP */
			char *b = NULL;
			if (asprintf(&b, "http://%s", s->domain) < 0)
				return cell_error_set(err, ENOMEM, "out of memory");
			free(s->base);
			s->base = b;
			s->probed = true;
			continue;
		}
		if (rc != CURLE_OK) {
			if (retryable(rc) && attempt + 1 < ATTEMPTS) {
				sleep_ms(100L << attempt);
				continue;
			}
			return transfer_error(method, url, rc, r, err);
		}
		s->probed = true;
		if (r->status == 401 && !authed) {
			authed = true;
			int e = registry_session_reauth(s, r->www_auth, err);
			if (e < 0)
				return cell_error_prefix(err, "%s %s", method, url);
			continue;
		}
		if ((r->status == 429 || r->status >= 500) && attempt + 1 < ATTEMPTS) {
			sleep_ms(200L << attempt);
			continue;
		}
		return 0;
	}
}

int registry_session_reauth(struct registry_session *s, const char *www_authenticate, cell_error **err)
{
	struct challenge ch = {0};
	int r = challenge_parse(www_authenticate, &ch, err);
	if (r < 0)
		return cell_error_prefix(err, "authentication required");
	bool same_basic = ch.scheme == AUTH_BASIC && s->challenge.scheme == AUTH_BASIC;
	challenge_clear(&s->challenge);
	s->challenge = ch;
	if (ch.scheme == AUTH_BASIC && !s->creds.username)
		return cell_error_set(err, EACCES, "%s: authentication required (cell login %s)", s->base,
				      s->domain);
	if (same_basic)
		return cell_error_set(err, EACCES, "%s: the registry refused the credentials for %s", s->base,
				      s->creds.username);
	if (ch.scheme == AUTH_BEARER)
		return fetch_token(s, err);
	return 0;
}

static char *url_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *out = e ? strdup(e) : NULL;
	curl_free(e);
	return out;
}

int registry_token_parse(const char *body, size_t len, char **token, long *ttl, cell_error **err)
{
	*token = NULL;
	*ttl = 0;
	json_error_t je;
	_cleanup_json_ json_t *j = json_loadb(body ? body : "", len, 0, &je);
	if (!j)
		return cell_error_set(err, EBADMSG, "not JSON (%s at line %d)", je.text, je.line);
	if (!json_is_object(j))
		return cell_error_set(err, EBADMSG, "not a JSON object");
	const char *tok = json_string_value(json_object_get(j, "token"));
	if (!tok || !*tok)
		tok = json_string_value(json_object_get(j, "access_token"));
	if (!tok || !*tok)
		return cell_error_set(err, EBADMSG, "no token in the answer");
	size_t n = strlen(tok);
	if (n > TOKEN_MAX)
		return cell_error_set(err, EBADMSG, "a token of %zu bytes is too long", n);
	/* It goes into a header: a visible ASCII word, nothing else. */
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)tok[i]))
			return cell_error_set(err, EBADMSG,
					      "the token has a character a header cannot carry");
	json_t *e = json_object_get(j, "expires_in");
	if (e && !json_is_integer(e))
		return cell_error_set(err, EBADMSG, "expires_in is not a number");
	json_int_t secs = json_integer_value(e);
	*ttl = secs > 0 && secs < 365L * 86400 ? (long)secs : 0;
	*token = strdup(tok);
	return *token ? 0 : cell_error_set(err, ENOMEM, "out of memory");
}

/* Bearer: ask the realm for a token for our scope, with our credentials if
 * we have them (anonymous otherwise). */
static int fetch_token(struct registry_session *s, cell_error **err)
{
	_cleanup_free_ char *scope = NULL, *esc_scope = NULL, *esc_service = NULL, *url = NULL;
	if (*s->path) {
		if (asprintf(&scope, "repository:%s:%s", s->path, s->push ? "pull,push" : "pull") < 0 ||
		    !(esc_scope = url_escape(scope)))
			return cell_error_set(err, ENOMEM, "out of memory");
	}
	esc_service = s->challenge.service ? url_escape(s->challenge.service) : NULL;
	const char *sep = strchr(s->challenge.realm, '?') ? "&" : "?";
	if (asprintf(&url, "%s%s%s%s%s%s", s->challenge.realm, esc_scope || esc_service ? sep : "",
		     esc_scope ? "scope=" : "", esc_scope ? esc_scope : "",
		     esc_service ? (esc_scope ? "&service=" : "service=") : "",
		     esc_service ? esc_service : "") < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	if (strncmp(url, "https://", 8) != 0 && !(s->insecure && strncmp(url, "http://", 7) == 0))
		return cell_error_set(err, EACCES,
				      "token realm %s is not https; refusing to send credentials there",
				      s->challenge.realm);

	struct response r = {.max = 1 << 20};
	CURL *c = s->curl;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "cell/0.1");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	set_tls(s, c);
	if (s->creds.username) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, s->creds.username);
		curl_easy_setopt(c, CURLOPT_PASSWORD, s->creds.password);
	}
	CURLcode rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	int ret;
	if (rc != CURLE_OK) {
		ret = r.too_big
			  ? cell_error_set(err, EFBIG, "token from %s: the answer is larger than %zu bytes",
					   s->challenge.realm, r.max)
			  : cell_error_set(err, EIO, "token from %s: %s", s->challenge.realm,
					   curl_easy_strerror(rc));
	} else if (r.status != 200) {
		char words[512];
		server_words(r.body, r.len, words, sizeof(words));
		ret = cell_error_set(err, r.status == 401 || r.status == 403 ? EACCES : EBADMSG,
				     "token from %s: HTTP %ld%s%s", s->challenge.realm, r.status,
				     *words ? ": " : "", words);
	} else {
		char *tok = NULL;
		long ttl = 0;
		ret = registry_token_parse(r.body, r.len, &tok, &ttl, err);
		if (ret < 0) {
			cell_error_prefix(err, "token from %s", s->challenge.realm);
		} else {
			if (s->token)
				explicit_bzero(s->token, strlen(s->token));
			free(s->token);
			s->token = tok;
			/* The spec's default lifetime is 60 s; renew a little early. */
			long life = ttl > 0 ? ttl : 60;
			s->token_expiry = time(NULL) + (life > 10 ? life - 5 : life);
		}
	}
	if (r.body)
		explicit_bzero(r.body, r.len);
	response_clear(&r);
	return ret;
}

int registry_session_refresh(struct registry_session *s, cell_error **err)
{
	if (s->challenge.scheme == AUTH_BEARER && s->token && time(NULL) >= s->token_expiry)
		return fetch_token(s, err);
	return 0;
}

int registry_ping(struct registry_session *s, cell_error **err)
{
	struct response r = {0};
	int ret = request(s, "GET", "/v2/", NULL, NULL, 0, &r, ERROR_BODY_MAX, err);
	if (ret == 0 && r.status != 200)
		ret = status_error(s, "login", &r, err);
	response_clear(&r);
	return ret;
}

int registry_get_manifest(struct registry_session *s, const char *tag_or_digest, const char *const *accept,
			  char **body, size_t *len, char **media_type, char **digest, cell_error **err)
{
	char path[4096];
	snprintf(path, sizeof(path), "/v2/%s/manifests/%s", s->path, tag_or_digest);
	_cleanup_strv_ char **headers = NULL;
	for (size_t i = 0; accept && accept[i]; i++) {
		char *h = NULL;
		if (asprintf(&h, "Accept: %s", accept[i]) < 0 || strv_push_take(&headers, h) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
	}
	struct response r = {0};
	int ret = registry_session_refresh(s, err);
	if (ret == 0)
		ret = request(s, "GET", path, headers, NULL, 0, &r, REGISTRY_MANIFEST_MAX, err);
	if (ret == 0 && r.status != 200) {
		char what[512];
		snprintf(what, sizeof(what), "manifest %s of %s/%s", tag_or_digest, s->domain, s->path);
		ret = status_error(s, what, &r, err);
	}
	if (ret == 0) {
		*body = r.body ? r.body : strdup("");
		*len = r.len;
		r.body = NULL;
		*media_type = r.content_type ? strdup(r.content_type) : NULL;
		if (*media_type)
			(*media_type)[strcspn(*media_type, "; ")] = '\0';
		*digest = r.digest ? strdup(r.digest) : NULL;
		if (!*body)
			ret = cell_error_set(err, ENOMEM, "out of memory");
	}
	response_clear(&r);
	return ret;
}

int registry_blob_exists(struct registry_session *s, const char *digest, bool *exists, uint64_t *size,
			 cell_error **err)
{
	char path[4096];
	snprintf(path, sizeof(path), "/v2/%s/blobs/%s", s->path, digest);
	struct response r = {0};
	int ret = registry_session_refresh(s, err);
	if (ret == 0)
		ret = request(s, "HEAD", path, NULL, NULL, 0, &r, ERROR_BODY_MAX, err);
	if (ret == 0) {
		*exists = r.status == 200;
		if (size) {
			curl_off_t cl = 0;
			curl_easy_getinfo(s->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
			*size = cl > 0 ? (uint64_t)cl : 0;
		}
		if (r.status != 200 && r.status != 404)
			ret = status_error(s, "blob", &r, err);
	}
	response_clear(&r);
	return ret;
}

int registry_get_blob(struct registry_session *s, const char *digest, uint64_t offset, registry_sink sink,
		      void *ctx, uint64_t *received, cell_error **err)
{
	char path[4096], url[8192];
	snprintf(path, sizeof(path), "/v2/%s/blobs/%s", s->path, digest);
	uint64_t got = 0;
	struct response r = {.sink = sink, .sink_ctx = ctx};
	int ret = registry_session_refresh(s, err);
	/* Learn scheme and auth with a HEAD first: a GET's body must go to the
	 * sink exactly once. */
	if (ret == 0 && !s->probed) {
		bool exists;
		ret = registry_blob_exists(s, digest, &exists, NULL, err);
		if (ret == 0 && !exists)
			ret = cell_error_set(err, ENOENT, "blob %s: not in %s/%s", digest, s->base, s->path);
	}
	for (int attempt = 0; ret == 0; attempt++) {
		snprintf(url, sizeof(url), "%s%s", s->base, path);
		response_clear(&r);
		r.max = ERROR_BODY_MAX;
		CURLcode rc = perform(s, "GET", url, NULL, NULL, 0, offset + got, &r);
		got += r.received;
		if (r.sink_err < 0) {
			ret = cell_error_errno(err, r.sink_err, "blob %s", digest);
			break;
		}
		if (rc == CURLE_OK && (r.status == 200 || r.status == 206)) {
			if (offset + got > 0 && r.status == 200 && got != r.received) {
				/* the server ignored our Range: it resent everything */
				ret = cell_error_set(err, EBADMSG, "blob %s: %s does not resume downloads",
						     digest, s->base);
			}
			break;
		}
		if (rc == CURLE_OK && r.status == 401 && attempt == 0) {
			if ((ret = registry_session_reauth(s, r.www_auth, err)) < 0)
				break;
			continue;
		}
		if (rc == CURLE_OK && r.status != 429 && r.status < 500) {
			ret = status_error(s, "blob", &r, err);
			break;
		}
		if (rc != CURLE_OK && !retryable(rc)) {
			ret = transfer_error("GET", url, rc, &r, err);
			break;
		}
		if (attempt + 1 >= ATTEMPTS) {
			ret = rc != CURLE_OK
				  ? cell_error_set(err, EIO, "blob %s: %s after %llu bytes", digest,
						   curl_easy_strerror(rc), (unsigned long long)(offset + got))
				  : status_error(s, "blob", &r, err);
			break;
		}
		log_debug("blob %s: %s after %llu bytes; resuming", digest,
			  rc != CURLE_OK ? curl_easy_strerror(rc) : "server error",
			  (unsigned long long)(offset + got));
		sleep_ms(100L << attempt);
	}
	if (received)
		*received = got;
	response_clear(&r);
	return ret;
}

/* Where the next upload request goes: the Location header, as a full URL. */
static int next_location(struct registry_session *s, struct response *r, char **out, cell_error **err)
{
	if (!r->location || !*r->location)
		return cell_error_set(err, EBADMSG, "upload: %s gave no Location", s->base);
	free(*out);
	*out = NULL;
	int n = strncmp(r->location, "http://", 7) == 0 || strncmp(r->location, "https://", 8) == 0
		    ? asprintf(out, "%s", r->location)
		    : asprintf(out, "%s%s%s", s->base, r->location[0] == '/' ? "" : "/", r->location);
	return n < 0 ? cell_error_set(err, ENOMEM, "out of memory") : 0;
}

static char *with_query(const char *loc, const char *key, const char *value)
{
	char *s = NULL;
	_cleanup_free_ char *esc = url_escape(value);
	if (!esc || asprintf(&s, "%s%s%s=%s", loc, strchr(loc, '?') ? "&" : "?", key, esc) < 0)
		return NULL;
	return s;
}

/* POST to start an upload, offering a mount: 201 is a mount done, 202 an
 * upload session at *loc. */
static int start_upload(struct registry_session *s, const char *digest, const char *mount_from, bool *mounted,
			char **loc, cell_error **err)
{
	char path[8192];
	if (mount_from) {
		_cleanup_free_ char *d = url_escape(digest), *f = url_escape(mount_from);
		if (!d || !f)
			return cell_error_set(err, ENOMEM, "out of memory");
		snprintf(path, sizeof(path), "/v2/%s/blobs/uploads/?mount=%s&from=%s", s->path, d, f);
	} else {
		snprintf(path, sizeof(path), "/v2/%s/blobs/uploads/", s->path);
	}
	struct response r = {0};
	*mounted = false;
	int ret = registry_session_refresh(s, err);
	if (ret == 0)
		ret = request(s, "POST", path, NULL, NULL, 0, &r, ERROR_BODY_MAX, err);
	if (ret == 0 && r.status == 201 && mount_from)
		*mounted = true;
	else if (ret == 0 && r.status == 202)
		ret = next_location(s, &r, loc, err);
	else if (ret == 0)
		ret = status_error(s, mount_from ? "mount blob" : "start upload", &r, err);
	response_clear(&r);
	return ret;
}

int registry_mount_blob(struct registry_session *s, const char *digest, const char *from_path, bool *mounted,
			cell_error **err)
{
	_cleanup_free_ char *loc = NULL;
	int ret = start_upload(s, digest, from_path, mounted, &loc, err);
	if (ret == 0 && loc) {
		/* Not mounted: the upload the registry opened instead goes. */
		struct response r = {0};
		perform(s, "DELETE", loc, NULL, NULL, 0, 0, &r);
		response_clear(&r);
	}
	return ret;
}

/* One request of an upload carrying [from, to) of the blob. A transient
 * failure is -EAGAIN. */
static int send_part(struct registry_session *s, struct blob_upload *u, const char *method, const char *url,
		     char *const *hdrs, uint64_t from, uint64_t to, uint64_t *sent, long want,
		     struct response *r, cell_error **err)
{
	struct upload up = {
	    .fd = u->fd, .pos = from, .end = to, .sent = sent, .progress = u->progress, .ctx = u->ctx};
	response_clear(r);
	r->max = ERROR_BODY_MAX;
	CURLcode rc = perform(s, method, url, hdrs, &up, to - from, 0, r);
	if (up.err < 0)
		return cell_error_errno(err, up.err, "upload %s: read the blob", u->digest);
	if (rc != CURLE_OK) {
		transfer_error(method, url, rc, r, err);
		return retryable(rc) ? -EAGAIN : -EIO;
	}
	if (r->status == want)
		return 0;
	status_error(s, "upload", r, err);
	return r->status == 401 || r->status == 429 || r->status >= 500 ? -EAGAIN : -EBADMSG;
}

static int upload_once(struct registry_session *s, struct blob_upload *u, cell_error **err)
{
	_cleanup_free_ char *loc = NULL;
	int ret = start_upload(s, u->digest, u->mount_from, &u->mounted, &loc, err);
	if (ret < 0 || u->mounted)
		return ret;
	struct response r = {0};
	uint64_t sent = 0, pos = 0;
	/* Chunked: PATCH pieces with Content-Range, each moving the Location. */
	while (ret == 0 && u->chunk_size && pos < u->size) {
		uint64_t n = u->size - pos < u->chunk_size ? u->size - pos : u->chunk_size;
		char range[96], *hdrs[3] = {range, "Content-Type: application/octet-stream", NULL};
		snprintf(range, sizeof(range), "Content-Range: %llu-%llu", (unsigned long long)pos,
			 (unsigned long long)(pos + n - 1));
		ret = send_part(s, u, "PATCH", loc, hdrs, pos, pos + n, &sent, 202, &r, err);
		if (ret == 0)
			ret = next_location(s, &r, &loc, err);
		pos += n;
	}
	/* The end: PUT ?digest=, with the rest of the bytes when monolithic. */
	if (ret == 0) {
		_cleanup_free_ char *put = with_query(loc, "digest", u->digest);
		char *hdrs[] = {"Content-Type: application/octet-stream", NULL};
		ret = put ? send_part(s, u, "PUT", put, hdrs, pos, u->size, &sent, 201, &r, err)
			  : cell_error_set(err, ENOMEM, "out of memory");
	}
	response_clear(&r);
	return ret;
}

int registry_put_blob(struct registry_session *s, struct blob_upload *u, cell_error **err)
{
	for (int attempt = 0;; attempt++) {
		int ret = upload_once(s, u, err);
		if (ret != -EAGAIN)
			return ret < 0 ? cell_error_prefix(err, "blob %s", u->digest) : 0;
		if (attempt + 1 >= ATTEMPTS)
			return cell_error_prefix(err, "blob %s: %d attempts failed; the last", u->digest,
						 ATTEMPTS);
		log_debug("blob %s: upload failed (%s); starting again", u->digest,
			  err && *err ? (*err)->msg : "");
		/* An expired token is the likely cause of a 401 mid-upload. */
		if (s->challenge.scheme == AUTH_BEARER)
			s->token_expiry = 0;
		sleep_ms(200L << attempt);
	}
}

int registry_put_manifest(struct registry_session *s, const char *tag_or_digest, const char *media_type,
			  const char *body, size_t len, cell_error **err)
{
	char path[4096], ct[512];
	snprintf(path, sizeof(path), "/v2/%s/manifests/%s", s->path, tag_or_digest);
	snprintf(ct, sizeof(ct), "Content-Type: %s", media_type);
	char *hdrs[] = {ct, NULL};
	struct response r = {0};
	int ret = registry_session_refresh(s, err);
	if (ret == 0)
		ret = request(s, "PUT", path, hdrs, body, len, &r, ERROR_BODY_MAX, err);
	if (ret == 0 && r.status != 201 && r.status != 200)
		ret = status_error(s, "manifest upload", &r, err);
	response_clear(&r);
	return ret;
}
