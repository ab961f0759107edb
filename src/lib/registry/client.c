#include "client.h"

#include <curl/curl.h>
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

#define MANIFEST_MAX   (4u << 20)
#define ERROR_BODY_MAX (64u << 10)
#define ATTEMPTS       5

struct registry_session {
	char *domain;  /* the host[:port] we talk to */
	char *path;    /* the repository on it */
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

/* The system's CAs plus *.crt from certs.d/HOST, as one PEM blob; *.cert and
 * *.key there are the client's certificate. */
static int load_certs(struct registry_session *s, const char *certs_dir, cell_error **err)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/%s", certs_dir ? certs_dir : "/etc/containers/certs.d", s->domain);
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	char *blob = NULL;
	size_t len = 0;
	_cleanup_free_ char *system = NULL;
	size_t slen = 0;
	if (read_file_at(AT_FDCWD, "/etc/ssl/certs/ca-certificates.crt", 16 << 20, &system, &slen) == 0) {
		blob = TAKE_PTR(system);
		len = slen;
	}
	struct dirent *de;
	int r = 0;
	while (r == 0 && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char path[8192];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (n > 4 && strcmp(de->d_name + n - 4, ".crt") == 0) {
			_cleanup_free_ char *pem = NULL;
			size_t plen = 0;
			r = read_file_at(AT_FDCWD, path, 1 << 20, &pem, &plen);
			if (r < 0) {
				r = cell_error_errno(err, r, "read CA certificate %s", path);
				break;
			}
			char *nb = realloc(blob, len + plen + 2);
			if (!nb) {
				r = cell_error_set(err, ENOMEM, "out of memory");
				break;
			}
			blob = nb;
			memcpy(blob + len, pem, plen);
			len += plen;
			blob[len++] = '\n';
		} else if (n > 5 && strcmp(de->d_name + n - 5, ".cert") == 0) {
			free(s->client_cert);
			s->client_cert = strdup(path);
		} else if (n > 4 && strcmp(de->d_name + n - 4, ".key") == 0) {
			free(s->client_key);
			s->client_key = strdup(path);
		}
	}
	closedir(d);
	if (r < 0) {
		free(blob);
		return r;
	}
	s->ca_blob = blob;
	s->ca_len = len;
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
		s->path = strdup(ref->path);
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
		r = auth_lookup(name, &s->creds, err);
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
	if (r->len + n > r->max)
		return 0; /* more than we accept: abort the transfer */
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
		r->content_type = r->digest = r->location = NULL;
		return n;
	}
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
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

/* The server's explanation from an error body ({"errors": [{"message"}]}),
 * else the body's first line. */
static void server_words(const struct response *r, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!r->body || !r->len)
		return;
	json_t *j = json_loadb(r->body, r->len, 0, NULL);
	json_t *e0 = json_array_get(json_object_get(j, "errors"), 0);
	const char *msg = json_string_value(json_object_get(e0, "message"));
	const char *code = json_string_value(json_object_get(e0, "code"));
	if (msg)
		snprintf(buf, len, "%s%s%s", code ? code : "", code ? ": " : "", msg);
	else
		snprintf(buf, len, "%.*s", (int)strcspn(r->body, "\r\n"), r->body);
	json_decref(j);
}

static int status_error(struct registry_session *s, const char *what, const struct response *r,
			cell_error **err)
{
	char words[512];
	server_words(r, words, sizeof(words));
	int code = r->status == 401 || r->status == 403   ? EACCES
		   : r->status == 404                     ? ENOENT
		   : r->status == 429 || r->status >= 500 ? EAGAIN
							  : EBADMSG;
	return cell_error_set(err, code, "%s: %s answered HTTP %ld%s%s", what, s->base, r->status,
			      *words ? ": " : "", words);
}

static int fetch_token(struct registry_session *s, cell_error **err);

struct upload {
	const char *buf;
	size_t len, off;
	registry_source source;
	void *ctx;
	uint64_t left; /* for a source: bytes still to send in this request */
	int err;
};

static size_t on_read(char *out, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb;
	if (u->source) {
		if (u->left == 0)
			return 0;
		if (n > u->left)
			n = (size_t)u->left;
		long got = u->source(u->ctx, out, n);
		if (got < 0) {
			u->err = (int)got;
			return CURL_READFUNC_ABORT;
		}
		u->left -= (uint64_t)got;
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
	       c == CURLE_PARTIAL_FILE || c == CURLE_OPERATION_TIMEDOUT || c == CURLE_GOT_NOTHING;
}

/* One HTTP exchange, no retries, no auth handling. */
static CURLcode perform(struct registry_session *s, const char *method, const char *url, char *const *headers,
			struct upload *up, uint64_t upload_size, uint64_t range_from, struct response *r)
{
	CURL *c = s->curl;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "cell/0.1");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	/* give up on a transfer stalled below 1 KiB/s for 60 s */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION,
			 strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, s->insecure ? "http,https" : "https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
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
	struct curl_slist *h = NULL;
	for (size_t i = 0; headers && headers[i]; i++)
		h = curl_slist_append(h, headers[i]);
	char auth[8192];
	if (s->challenge.scheme == AUTH_BEARER && s->token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", s->token);
		h = curl_slist_append(h, auth);
	} else if (s->challenge.scheme == AUTH_BASIC && s->creds.username) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, s->creds.username);
		curl_easy_setopt(c, CURLOPT_PASSWORD, s->creds.password);
	}
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
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	return rc;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
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
		struct upload up = {.buf = body, .len = body_len};
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
			return cell_error_set(
			    err,
			    rc == CURLE_COULDNT_CONNECT      ? ECONNREFUSED
			    : rc == CURLE_OPERATION_TIMEDOUT ? ETIMEDOUT
			    : rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR ? EPROTO
												    : EIO,
			    "%s %s: %s", method, url, curl_easy_strerror(rc));
		}
		s->probed = true;
		if (r->status == 401 && !authed) {
			authed = true;
			struct challenge ch = {0};
			int e = challenge_parse(r->www_auth, &ch, err);
			if (e < 0)
				return cell_error_prefix(err, "%s %s: authentication required", method, url);
			challenge_clear(&s->challenge);
			s->challenge = ch;
			if (ch.scheme == AUTH_BASIC && !s->creds.username)
				return cell_error_set(err, EACCES,
						      "%s: authentication required (cell login %s)", s->base,
						      s->domain);
			if (ch.scheme == AUTH_BEARER && (e = fetch_token(s, err)) < 0)
				return e;
			continue;
		}
		if ((r->status == 429 || r->status >= 500) && attempt + 1 < ATTEMPTS) {
			sleep_ms(200L << attempt);
			continue;
		}
		return 0;
	}
}

static char *url_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *out = e ? strdup(e) : NULL;
	curl_free(e);
	return out;
}

/* Bearer: ask the realm for a token for our scope, with our credentials if
 * we have them (anonymous otherwise). */
static int fetch_token(struct registry_session *s, cell_error **err)
{
	_cleanup_free_ char *scope = NULL, *esc_scope = NULL, *esc_service = NULL, *url = NULL;
	if (asprintf(&scope, "repository:%s:%s", s->path, s->push ? "pull,push" : "pull") < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	esc_scope = url_escape(scope);
	esc_service = s->challenge.service ? url_escape(s->challenge.service) : NULL;
	if (!esc_scope || asprintf(&url, "%s%sscope=%s%s%s", s->challenge.realm,
				   strchr(s->challenge.realm, '?') ? "&" : "?", esc_scope,
				   esc_service ? "&service=" : "", esc_service ? esc_service : "") < 0)
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
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, s->verify ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, s->verify ? 2L : 0L);
	if (s->ca_blob) {
		struct curl_blob blob = {.data = s->ca_blob, .len = s->ca_len, .flags = CURL_BLOB_NOCOPY};
		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (s->creds.username) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, s->creds.username);
		curl_easy_setopt(c, CURLOPT_PASSWORD, s->creds.password);
	}
	CURLcode rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	int ret;
	if (rc != CURLE_OK) {
		ret =
		    cell_error_set(err, EIO, "token from %s: %s", s->challenge.realm, curl_easy_strerror(rc));
	} else if (r.status != 200) {
		char words[512];
		server_words(&r, words, sizeof(words));
		ret = cell_error_set(err, r.status == 401 || r.status == 403 ? EACCES : EBADMSG,
				     "token from %s: HTTP %ld%s%s", s->challenge.realm, r.status,
				     *words ? ": " : "", words);
	} else {
		json_t *j = json_loadb(r.body ? r.body : "", r.len, 0, NULL);
		const char *tok = json_string_value(json_object_get(j, "token"));
		if (!tok)
			tok = json_string_value(json_object_get(j, "access_token"));
		json_int_t ttl = json_integer_value(json_object_get(j, "expires_in"));
		if (!tok || !*tok) {
			ret = cell_error_set(err, EBADMSG, "token from %s: no token in the answer",
					     s->challenge.realm);
		} else {
			free(s->token);
			s->token = strdup(tok);
			/* the spec's default lifetime is 60 s; renew a little early */
			s->token_expiry = time(NULL) + (ttl > 0 ? ttl : 60) - 5;
			ret = s->token ? 0 : cell_error_set(err, ENOMEM, "out of memory");
		}
		json_decref(j);
	}
	response_clear(&r);
	return ret;
}

/* A Bearer token about to expire is renewed before the request. */
static int fresh_auth(struct registry_session *s, cell_error **err)
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
	char **headers = NULL;
	for (size_t i = 0; accept && accept[i]; i++) {
		char *h = NULL;
		if (asprintf(&h, "Accept: %s", accept[i]) < 0 || strv_push_take(&headers, h) < 0) {
			strv_free(headers);
			return cell_error_set(err, ENOMEM, "out of memory");
		}
	}
	struct response r = {0};
	int ret = fresh_auth(s, err);
	if (ret == 0)
		ret = request(s, "GET", path, headers, NULL, 0, &r, MANIFEST_MAX, err);
	strv_free(headers);
	if (ret == 0 && r.status != 200)
		ret = status_error(s, "manifest", &r, err);
	if (ret == 0) {
		*body = r.body ? r.body : strdup("");
		*len = r.len;
		r.body = NULL;
		*media_type = r.content_type ? strdup(r.content_type) : NULL;
		if (*media_type)
			(*media_type)[strcspn(*media_type, "; ")] = '\0';
		*digest = r.digest ? strdup(r.digest) : NULL;
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
	int ret = fresh_auth(s, err);
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
	int ret = fresh_auth(s, err);
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
		if (rc == CURLE_OK && r.status == 401 && attempt == 0 && s->challenge.scheme == AUTH_BEARER) {
			if ((ret = fetch_token(s, err)) < 0)
				break;
			continue;
		}
		if (rc == CURLE_OK && r.status != 429 && r.status < 500) {
			ret = status_error(s, "blob", &r, err);
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

/* Where the next upload request goes: the Location header, relative or absolute. */
static int next_location(struct registry_session *s, struct response *r, char **out, cell_error **err)
{
	if (!r->location || !*r->location)
		return cell_error_set(err, EBADMSG, "upload: %s gave no Location", s->base);
	*out = strdup(r->location);
	return *out ? 0 : cell_error_set(err, ENOMEM, "out of memory");
}

static char *with_query(const char *loc, const char *key, const char *value)
{
	char *s = NULL;
	_cleanup_free_ char *esc = url_escape(value);
	if (!esc || asprintf(&s, "%s%s%s=%s", loc, strchr(loc, '?') ? "&" : "?", key, esc) < 0)
		return NULL;
	return s;
}

int registry_mount_blob(struct registry_session *s, const char *digest, const char *from_path, bool *mounted,
			cell_error **err)
{
	char path[8192];
	_cleanup_free_ char *d = url_escape(digest), *f = url_escape(from_path);
	if (!d || !f)
		return cell_error_set(err, ENOMEM, "out of memory");
	snprintf(path, sizeof(path), "/v2/%s/blobs/uploads/?mount=%s&from=%s", s->path, d, f);
	struct response r = {0};
	int ret = fresh_auth(s, err);
	if (ret == 0)
		ret = request(s, "POST", path, NULL, NULL, 0, &r, ERROR_BODY_MAX, err);
	if (ret == 0) {
		*mounted = r.status == 201;
		if (r.status != 201 && r.status != 202)
			ret = status_error(s, "mount blob", &r, err);
	}
	response_clear(&r);
	return ret;
}

int registry_put_blob(struct registry_session *s, const char *digest, uint64_t size, registry_source source,
		      void *ctx, size_t chunk_size, cell_error **err)
{
	char path[4096];
	snprintf(path, sizeof(path), "/v2/%s/blobs/uploads/", s->path);
	struct response r = {0};
	_cleanup_free_ char *loc = NULL;
	int ret = fresh_auth(s, err);
	if (ret == 0)
		ret = request(s, "POST", path, NULL, NULL, 0, &r, ERROR_BODY_MAX, err);
	if (ret == 0 && r.status != 202)
		ret = status_error(s, "start upload", &r, err);
	if (ret == 0)
		ret = next_location(s, &r, &loc, err);

	uint64_t sent = 0;
	/* Chunked: PATCH pieces with Content-Range, each moving the Location. */
	while (ret == 0 && chunk_size && sent < size) {
		uint64_t n = size - sent < chunk_size ? size - sent : chunk_size;
		char range[96], *hdrs[3] = {range, "Content-Type: application/octet-stream", NULL};
		snprintf(range, sizeof(range), "Content-Range: %llu-%llu", (unsigned long long)sent,
			 (unsigned long long)(sent + n - 1));
		struct upload up = {.source = source, .ctx = ctx, .left = n};
		char url[8192];
		if (strncmp(loc, "http", 4) == 0)
			snprintf(url, sizeof(url), "%s", loc);
		else
			snprintf(url, sizeof(url), "%s%s", s->base, loc);
		response_clear(&r);
		r.max = ERROR_BODY_MAX;
		CURLcode rc = perform(s, "PATCH", url, hdrs, &up, n, 0, &r);
		if (up.err < 0)
			ret = cell_error_errno(err, up.err, "upload %s", digest);
		else if (rc != CURLE_OK)
			ret = cell_error_set(err, EIO, "upload %s: %s", digest, curl_easy_strerror(rc));
		else if (r.status != 202)
			ret = status_error(s, "upload chunk", &r, err);
		if (ret == 0) {
			free(loc);
			loc = NULL;
			ret = next_location(s, &r, &loc, err);
		}
		sent += n;
	}
	/* The end: PUT ?digest=, with the rest of the bytes when monolithic. */
	if (ret == 0) {
		_cleanup_free_ char *put = with_query(loc, "digest", digest);
		char url[8192];
		if (!put)
			ret = cell_error_set(err, ENOMEM, "out of memory");
		else if (strncmp(put, "http", 4) == 0)
			snprintf(url, sizeof(url), "%s", put);
		else
			snprintf(url, sizeof(url), "%s%s", s->base, put);
		if (ret == 0) {
			char *hdrs[] = {"Content-Type: application/octet-stream", NULL};
			struct upload up = {.source = source, .ctx = ctx, .left = size - sent};
			response_clear(&r);
			r.max = ERROR_BODY_MAX;
			CURLcode rc = perform(s, "PUT", url, hdrs, &up, size - sent, 0, &r);
			if (up.err < 0)
				ret = cell_error_errno(err, up.err, "upload %s", digest);
			else if (rc != CURLE_OK)
				ret =
				    cell_error_set(err, EIO, "upload %s: %s", digest, curl_easy_strerror(rc));
			else if (r.status != 201)
				ret = status_error(s, "finish upload", &r, err);
		}
	}
	response_clear(&r);
	return ret;
}

int registry_put_manifest(struct registry_session *s, const char *tag_or_digest, const char *media_type,
			  const char *body, size_t len, cell_error **err)
{
	char path[4096], ct[512];
	snprintf(path, sizeof(path), "/v2/%s/manifests/%s", s->path, tag_or_digest);
	snprintf(ct, sizeof(ct), "Content-Type: %s", media_type);
	char *hdrs[] = {ct, NULL};
	struct response r = {0};
	int ret = fresh_auth(s, err);
	if (ret == 0)
		ret = request(s, "PUT", path, hdrs, body, len, &r, ERROR_BODY_MAX, err);
	if (ret == 0 && r.status != 201 && r.status != 200)
		ret = status_error(s, "manifest upload", &r, err);
	response_clear(&r);
	return ret;
}
