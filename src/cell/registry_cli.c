/* What pull, push and login share: their registry flags, and progress on
 * stderr: on a terminal, one line per layer redrawn in place as Docker shows
 * it (state, a bar, bytes and rate); otherwise one line per layer when its
 * state changes, without the byte counts; nothing at all when quiet. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/digest.h"
#include "commands.h"

#define REDRAW_MS 100
#define BAR_WIDTH 30

struct progress_line {
	size_t key;
	char id[16];
	char state[48];
	uint64_t done, size;
	bool bar;
	int64_t t0; /* when the bytes began */
};

struct progress {
	bool quiet, tty;
	struct progress_line *lines;
	size_t n;
	size_t drawn; /* lines on the screen that a redraw overwrites */
	int64_t last;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct progress *progress_new(bool quiet)
{
	struct progress *p = calloc(1, sizeof(*p));
	if (p) {
		p->quiet = quiet;
		p->tty = isatty(STDERR_FILENO) && getenv("TERM") && strcmp(getenv("TERM"), "dumb") != 0;
	}
	return p;
}

void progress_free(struct progress *p)
{
	if (!p)
		return;
	free(p->lines);
	free(p);
}

static void format_line(const struct progress_line *l, char *buf, size_t len)
{
	if (!l->bar || l->size == 0) {
		snprintf(buf, len, "%s: %s", l->id, l->state);
		return;
	}
	char bar[BAR_WIDTH + 1], done[16], size[16], rate[16];
	size_t fill = (size_t)((double)l->done / (double)l->size * BAR_WIDTH);
	if (fill > BAR_WIDTH)
		fill = BAR_WIDTH;
	for (size_t i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
	bar[BAR_WIDTH] = '\0';
	cli_human_size(l->done, done, sizeof(done));
	cli_human_size(l->size, size, sizeof(size));
	int64_t ms = now_ms() - l->t0;
	cli_human_size(ms > 0 ? (uint64_t)((double)l->done * 1000.0 / (double)ms) : 0, rate, sizeof(rate));
	snprintf(buf, len, "%s: %s [%s] %8s/%-8s %8s/s", l->id, l->state, bar, done, size, rate);
}

static void redraw(struct progress *p)
{
	char buf[256];
	if (p->drawn)
		fprintf(stderr, "\033[%zuA", p->drawn);
	for (size_t i = 0; i < p->n; i++) {
		format_line(&p->lines[i], buf, sizeof(buf));
		fprintf(stderr, "\r\033[2K%s\n", buf);
	}
	p->drawn = p->n;
	p->last = now_ms();
	fflush(stderr);
}

void progress_text(struct progress *p, const char *fmt, ...)
{
	if (!p || p->quiet)
		return;
	if (p->tty && p->drawn)
		redraw(p);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	/* Text goes below the lines drawn so far; new lines start a new table. */
	p->n = 0;
	p->drawn = 0;
}

void progress_set(struct progress *p, size_t key, const char *digest, const char *state, uint64_t done,
		  uint64_t size, bool bar)
{
	if (!p || p->quiet)
		return;
	struct progress_line *l = NULL;
	for (size_t i = 0; i < p->n && !l; i++)
		if (p->lines[i].key == key)
			l = &p->lines[i];
	if (!l) {
		struct progress_line *v = realloc(p->lines, (p->n + 1) * sizeof(*v));
		if (!v)
			return;
		p->lines = v;
		l = &v[p->n++];
		memset(l, 0, sizeof(*l));
		l->key = key;
	}
	bool changed = strcmp(l->state, state) != 0;
	if (digest && digest_valid(digest))
		snprintf(l->id, sizeof(l->id), "%.12s", digest_hex(digest));
	if (bar && !l->bar)
		l->t0 = now_ms();
	snprintf(l->state, sizeof(l->state), "%s", state);
	l->done = done;
	l->size = size;
	l->bar = bar;
	if (p->tty) {
		if (changed || now_ms() - p->last >= REDRAW_MS)
			redraw(p);
	} else if (changed && !bar) {
		fprintf(stderr, "%s: %s\n", l->id, l->state);
	}
}

void progress_all(struct progress *p, const char *from, const char *to)
{
	if (!p || p->quiet)
		return;
	for (size_t i = 0; i < p->n; i++) {
		struct progress_line *l = &p->lines[i];
		if (!from || strcmp(l->state, from) == 0) {
			snprintf(l->state, sizeof(l->state), "%s", to);
			l->bar = false;
			if (!p->tty)
				fprintf(stderr, "%s: %s\n", l->id, l->state);
		}
	}
	if (p->tty)
		redraw(p);
}

int cli_bool_arg(const char *flag, const char *arg, bool *out)
{
	if (!arg || strcmp(arg, "true") == 0 || strcmp(arg, "1") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(arg, "false") == 0 || strcmp(arg, "0") == 0) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

void cli_registry_flags_clear(struct cli_registry_flags *f)
{
	if (f->creds)
		explicit_bzero(f->creds, f->creds_len);
	free(f->creds);
	f->creds = NULL;
}

int cli_registry_flag(const char *cmd, int opt, const char *arg, struct cli_registry_flags *f)
{
	bool b = false;
	switch (opt) {
	case CLI_OPT_TLS_VERIFY:
		if (cli_bool_arg("--tls-verify", arg, &b) < 0)
			return cli_usage_error(cmd, "--tls-verify: \"%s\" is not true or false", arg);
		f->registry.tls_verify = b ? TLS_VERIFY_YES : TLS_VERIFY_NO;
		return 0;
	case CLI_OPT_CERT_DIR:
		f->registry.certs_dir = arg;
		return 0;
	case CLI_OPT_AUTHFILE:
		f->registry.authfile = arg;
		return 0;
	case CLI_OPT_CREDS: {
		/* USER[:PASSWORD] */
		free(f->creds);
		f->creds = strdup(arg);
		if (!f->creds)
			return cli_usage_error(cmd, "out of memory");
		f->creds_len = strlen(arg);
		char *colon = strchr(f->creds, ':');
		if (colon)
			*colon = '\0';
		if (!*f->creds)
			return cli_usage_error(cmd, "--creds: USER[:PASSWORD] needs a user name");
		f->registry.username = f->creds;
		f->registry.password = colon ? colon + 1 : "";
		return 0;
	}
	default:
		return cli_usage_error(cmd, "unknown option");
	}
}

const char *const cli_registry_help =
    "      --authfile FILE       credentials from FILE (default: cell login's)\n"
    "      --cert-dir DIR        CA certificates (*.crt) and client keys for the registry\n"
    "      --creds USER[:PASS]   credentials for the registry\n"
    "      --tls-verify[=BOOL]   verify the registry's certificate, and use https only "
    "(default: as registries.conf says)\n";

void cli_pull_event(void *ctx, const struct pull_event *ev)
{
	struct progress *p = ctx;
	/* The config is small and not a layer: Docker does not show it either. */
	if (ev->config)
		return;
	switch (ev->kind) {
	case PULL_EVENT_TRYING:
		progress_text(p, "Trying to pull %s...", ev->name);
		break;
	case PULL_EVENT_BLOB_EXISTS:
		progress_set(p, ev->index, ev->digest, "Already exists", 0, 0, false);
		break;
	case PULL_EVENT_BLOB_START:
	case PULL_EVENT_BLOB_DATA:
		progress_set(p, ev->index, ev->digest, "Downloading", ev->received, ev->size, true);
		break;
	case PULL_EVENT_BLOB_DONE:
		progress_set(p, ev->index, ev->digest, "Download complete", ev->size, ev->size, false);
		break;
	case PULL_EVENT_COMMIT:
		progress_all(p, "Download complete", "Extracting");
		break;
	case PULL_EVENT_DONE:
		progress_all(p, "Extracting", "Pull complete");
		progress_text(p, "Digest: %s", ev->digest);
		break;
	case PULL_EVENT_MANIFEST:
	default:
		break;
	}
}
