#include "challenge.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void challenge_clear(struct challenge *c)
{
	free(c->realm);
	free(c->service);
	free(c->scope);
	*c = (struct challenge){0};
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A token ([!#$%&'*+-.^_`|~0-9A-Za-z]+) at p; returns its end. */
static const char *token_end(const char *p)
{
	while (*p && (isalnum((unsigned char)*p) || strchr("!#$%&'*+-.^_`|~", *p)))
		p++;
	return p;
}

/* A quoted string or a token at p into a new string; *end after it. */
static char *value_at(const char *p, const char **end)
{
	if (*p == '"') {
		p++;
		size_t cap = strlen(p) + 1, n = 0;
		char *out = malloc(cap);
		if (!out)
			return NULL;
		while (*p && *p != '"') {
			if (*p == '\\' && p[1])
				p++;
			out[n++] = *p++;
		}
		if (*p != '"') {
			free(out);
			return NULL;
		}
		out[n] = '\0';
		*end = p + 1;
		return out;
	}
	const char *e = token_end(p);
	if (e == p)
		return NULL;
	*end = e;
	return strndup(p, (size_t)(e - p));
}

int challenge_parse(const char *header, struct challenge *out, cell_error **err)
{
	struct challenge best = {0}, cur = {0};
	const char *p = header;
	*out = (struct challenge){0};
	if (!header)
		return cell_error_set(err, EINVAL, "no WWW-Authenticate challenge");
	while (*(p = skip_ws(p))) {
		const char *se = token_end(p);
		if (se == p) {
			challenge_clear(&best);
			challenge_clear(&cur);
			return cell_error_set(err, EBADMSG, "malformed WWW-Authenticate header \"%s\"",
					      header);
		}
		/* A scheme is a token followed by a space (or the end); a
		 * parameter is a token followed by '='. */
		const char *after = skip_ws(se);
		if (*after != '=') {
			if (cur.scheme != AUTH_NONE && cur.scheme >= best.scheme) {
				challenge_clear(&best);
				best = cur;
			} else {
				challenge_clear(&cur);
			}
			cur = (struct challenge){0};
			size_t n = (size_t)(se - p);
			if (n == 6 && strncasecmp(p, "bearer", 6) == 0)
				cur.scheme = AUTH_BEARER;
			else if (n == 5 && strncasecmp(p, "basic", 5) == 0)
				cur.scheme = AUTH_BASIC;
			else
				cur.scheme = AUTH_NONE; /* unknown: its parameters are skipped */
			p = after;
			continue;
		}
		size_t klen = (size_t)(se - p);
		const char *key = p;
		p = skip_ws(after + 1);
		const char *vend = p;
		char *val = value_at(p, &vend);
		if (!val) {
			challenge_clear(&best);
			challenge_clear(&cur);
			return cell_error_set(err, EBADMSG, "malformed WWW-Authenticate header \"%s\"",
					      header);
		}
		char **slot = NULL;
		if (klen == 5 && strncasecmp(key, "realm", 5) == 0)
			slot = &cur.realm;
		else if (klen == 7 && strncasecmp(key, "service", 7) == 0)
			slot = &cur.service;
		else if (klen == 5 && strncasecmp(key, "scope", 5) == 0)
			slot = &cur.scope;
		if (slot) {
			free(*slot);
			*slot = val;
		} else {
			free(val);
		}
		p = skip_ws(vend);
		if (*p == ',')
			p++;
	}
	if (cur.scheme != AUTH_NONE && cur.scheme >= best.scheme) {
		challenge_clear(&best);
		best = cur;
	} else {
		challenge_clear(&cur);
	}
	if (best.scheme == AUTH_NONE)
		return cell_error_set(err, ENOTSUP, "no supported authentication scheme in \"%s\"", header);
	if (best.scheme == AUTH_BEARER && !best.realm) {
		challenge_clear(&best);
		return cell_error_set(err, EBADMSG, "Bearer challenge without a realm: \"%s\"", header);
	}
	*out = best;
	return 0;
}
