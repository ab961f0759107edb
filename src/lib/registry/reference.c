#include "reference.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_TOTAL_MAX 255
#define TAG_MAX        128

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* A path component: [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)* */
static bool valid_component(const char *s, size_t n)
{
	size_t i = 0;
	if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	while (i < n) {
		if (is_lower_alnum(s[i])) {
			i++;
			continue;
		}
		/* a separator: ".", "_", "__" or a run of "-" */
		size_t j = i;
		if (s[i] == '.') {
			j++;
		} else if (s[i] == '_') {
			j++;
			if (j < n && s[j] == '_')
				j++;
		} else if (s[i] == '-') {
			while (j < n && s[j] == '-')
				j++;
		} else {
			return false;
		}
		if (j >= n || !is_lower_alnum(s[j]))
			return false;
		i = j;
	}
	return true;
}

/* A domain: host components separated by '.', an optional :port, or an
 * IPv6 literal in brackets. */
static bool valid_domain(const char *s)
{
	const char *colon = NULL;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || end == s + 1)
			return false;
		for (const char *p = s + 1; p < end; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
				return false;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (!colon && end[1])
			return false;
	} else {
		colon = strchr(s, ':');
		size_t n = colon ? (size_t)(colon - s) : strlen(s);
		if (n == 0)
			return false;
		size_t start = 0;
		for (size_t i = 0; i <= n; i++) {
			if (i == n || s[i] == '.') {
				size_t len = i - start;
				if (len == 0 || !isalnum((unsigned char)s[start]) ||
				    !isalnum((unsigned char)s[i - 1]))
					return false;
				for (size_t k = start; k < i; k++)
					if (!isalnum((unsigned char)s[k]) && s[k] != '-')
						return false;
				start = i + 1;
			}
		}
	}
	if (colon) {
		const char *port = colon + 1;
		if (!*port || strlen(port) > 5)
			return false;
		for (const char *p = port; *p; p++)
			if (!isdigit((unsigned char)*p))
				return false;
	}
	return true;
}

static bool valid_tag(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > TAG_MAX)
		return false;
	if (!(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
			return false;
	return true;
}

static bool valid_digest(const char *d)
{
	const char *colon = strchr(d, ':');
	if (!colon || colon == d)
		return false;
	for (const char *p = d; p < colon; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '+' || *p == '.' ||
		      *p == '_' || *p == '-'))
			return false;
	const char *hex = colon + 1;
	size_t n = strlen(hex);
	if (strncmp(d, "sha256:", 7) == 0 && n != 64)
		return false;
	if (strncmp(d, "sha512:", 7) == 0 && n != 128)
		return false;
	if (n < 32)
		return false;
	for (const char *p = hex; *p; p++)
		if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
			return false;
	return true;
}

bool reference_has_domain(const char *s)
{
	const char *slash = strchr(s, '/');
	if (!slash)
		return false;
	size_t n = (size_t)(slash - s);
	if (memchr(s, '.', n) || memchr(s, ':', n) || (n == 9 && strncmp(s, "localhost", 9) == 0))
		return true;
	/* An upper-case letter cannot be in a repository path: it is a host. */
	for (size_t i = 0; i < n; i++)
		if (isupper((unsigned char)s[i]))
			return true;
	return false;
}

void reference_clear(struct reference *r)
{
	free(r->domain);
	free(r->path);
	free(r->tag);
	free(r->digest);
	*r = (struct reference){0};
}

int reference_parse(const char *s, const char *default_domain, struct reference *out, cell_error **err)
{
	struct reference r = {0};
	if (!s || !*s)
		return cell_error_set(err, EINVAL, "invalid reference: empty");
	if (strlen(s) > 1024)
		return cell_error_set(err, EINVAL, "invalid reference: longer than 1024 characters");
	_cleanup_free_ char *buf = strdup(s);
	if (!buf)
		return cell_error_set(err, ENOMEM, "out of memory");

	char *digest = strchr(buf, '@');
	if (digest) {
		*digest++ = '\0';
		if (!valid_digest(digest))
			return cell_error_set(err, EINVAL, "invalid reference \"%s\": bad digest \"%s\"", s,
					      digest);
	}
	/* A tag is after the last ':' that comes after the last '/'. */
	char *last_slash = strrchr(buf, '/');
	char *tag = strrchr(last_slash ? last_slash : buf, ':');
	if (tag) {
		*tag++ = '\0';
		if (!valid_tag(tag))
			return cell_error_set(err, EINVAL, "invalid reference \"%s\": bad tag \"%s\"", s,
					      tag);
	}
	char *name = buf;
	const char *domain = NULL;
	if (reference_has_domain(name)) {
		char *slash = strchr(name, '/');
		*slash = '\0';
		domain = name;
		name = slash + 1;
		if (!valid_domain(domain))
			return cell_error_set(err, EINVAL, "invalid reference \"%s\": bad registry \"%s\"", s,
					      domain);
	}
	if (!*name)
		return cell_error_set(err, EINVAL, "invalid reference \"%s\": no repository name", s);
	for (char *c = name, *e; *c; c = *e ? e + 1 : e) {
		e = strchrnul(c, '/');
		if (!valid_component(c, (size_t)(e - c))) {
			for (char *u = c; u < e; u++)
				if (isupper((unsigned char)*u))
					return cell_error_set(
					    err, EINVAL,
					    "invalid reference \"%s\": repository names must be lowercase",
					    s);
			return cell_error_set(
			    err, EINVAL, "invalid reference \"%s\": bad repository name component \"%.*s\"",
			    s, (int)(e - c), c);
		}
		if (!*e)
			break;
	}
	if (!domain)
		domain = default_domain ? default_domain : "docker.io";
	if (strcmp(domain, "index.docker.io") == 0)
		domain = "docker.io";
	int r1;
	if (strcmp(domain, "docker.io") == 0 && !strchr(name, '/'))
		r1 = asprintf(&r.path, "library/%s", name);
	else
		r1 = (r.path = strdup(name)) ? 0 : -1;
	r.domain = strdup(domain);
	if (r1 < 0 || !r.domain) {
		reference_clear(&r);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	if (strlen(r.domain) + 1 + strlen(r.path) > NAME_TOTAL_MAX) {
		reference_clear(&r);
		return cell_error_set(err, EINVAL, "invalid reference \"%s\": name longer than %d characters",
				      s, NAME_TOTAL_MAX);
	}
	if (tag)
		r.tag = strdup(tag);
	else if (!digest)
		r.tag = strdup("latest");
	if (digest)
		r.digest = strdup(digest);
	if ((tag || !digest) && !r.tag) {
		reference_clear(&r);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	*out = r;
	return 0;
}

char *reference_name(const struct reference *r)
{
	char *s = NULL;
	if (asprintf(&s, "%s/%s", r->domain, r->path) < 0)
		return NULL;
	return s;
}

char *reference_string(const struct reference *r)
{
	char *s = NULL;
	int n;
	if (r->tag && r->digest)
		n = asprintf(&s, "%s/%s:%s@%s", r->domain, r->path, r->tag, r->digest);
	else if (r->digest)
		n = asprintf(&s, "%s/%s@%s", r->domain, r->path, r->digest);
	else
		n = asprintf(&s, "%s/%s:%s", r->domain, r->path, r->tag ? r->tag : "latest");
	return n < 0 ? NULL : s;
}
