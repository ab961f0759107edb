#include "reference.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/digest.h"

#define NAME_MAX_TOTAL 255
#define TAG_MAX        128

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)* */
static bool path_component_valid(const char *s, size_t n)
{
	if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n;) {
		if (is_lower_alnum(s[i])) {
			i++;
			continue;
		}
		size_t j = i;
		while (j < n && !is_lower_alnum(s[j]))
			j++;
		size_t len = j - i;
		bool ok = (len == 1 && (s[i] == '.' || s[i] == '_' || s[i] == '-')) ||
			  (len == 2 && s[i] == '_' && s[i + 1] == '_');
		if (!ok) {
			ok = true;
			for (size_t k = i; k < j; k++)
				ok = ok && s[k] == '-';
		}
		if (!ok)
			return false;
		i = j;
	}
	return true;
}

/* A host name (labels of [A-Za-z0-9-]) or [IPv6], with an optional :port. */
static bool domain_valid(const char *s)
{
	const char *colon = NULL;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || end == s + 1)
			return false;
		for (const char *p = s + 1; p < end; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':')
				return false;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] && !colon)
			return false;
	} else {
		colon = strchr(s, ':');
		size_t n = colon ? (size_t)(colon - s) : strlen(s);
		if (n == 0)
			return false;
		for (size_t i = 0; i < n; i++) {
			char c = s[i];
			if (!isalnum((unsigned char)c) && c != '-' && c != '.')
				return false;
			if ((c == '-' || c == '.') && (i == 0 || i == n - 1))
				return false;
		}
	}
	if (colon) {
		if (!colon[1])
			return false;
		for (const char *p = colon + 1; *p; p++)
			if (!isdigit((unsigned char)*p))
				return false;
	}
	return true;
}

static bool tag_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > TAG_MAX)
		return false;
	if (!isalnum((unsigned char)s[0]) && s[0] != '_')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

bool image_ref_is_short(const char *s)
{
	const char *slash = strchr(s, '/');
	if (!slash)
		return true;
	size_t n = (size_t)(slash - s);
	if (n == 9 && strncmp(s, "localhost", 9) == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '.' || s[i] == ':' || isupper((unsigned char)s[i]))
			return false;
	return true;
}

void image_ref_clear(struct image_ref *r)
{
	free(r->domain);
	free(r->path);
	free(r->tag);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}

int image_ref_parse(const char *s, enum image_ref_default def, struct image_ref *out, cell_error **err)
{
	memset(out, 0, sizeof(*out));
	if (!s || !*s)
		return cell_error_set(err, EINVAL, "empty image name");
	if (strlen(s) > NAME_MAX_TOTAL + TAG_MAX + DIGEST_BUF + 2)
		return cell_error_set(err, EINVAL, "image name too long");
	_cleanup_free_ char *buf = strdup(s);
	if (!buf)
		return cell_error_set(err, ENOMEM, "out of memory");
	struct image_ref r = {0};

	char *at = strchr(buf, '@');
	if (at) {
		*at = '\0';
		if (!digest_valid(at + 1))
			return cell_error_set(err, EINVAL, "image name \"%s\": \"%s\" is not a sha256 digest",
					      s, at + 1);
		r.digest = strdup(at + 1);
	}
	char *last_slash = strrchr(buf, '/');
	char *colon = strrchr(last_slash ? last_slash : buf, ':');
	if (colon) {
		*colon = '\0';
		if (!tag_valid(colon + 1)) {
			image_ref_clear(&r);
			return cell_error_set(err, EINVAL, "image name \"%s\": invalid tag \"%s\"", s,
					      colon + 1);
		}
		r.tag = strdup(colon + 1);
	}
	char *rest = buf;
	if (!image_ref_is_short(buf)) {
		char *slash = strchr(buf, '/');
		*slash = '\0';
		if (!domain_valid(buf)) {
			image_ref_clear(&r);
			return cell_error_set(err, EINVAL, "image name \"%s\": invalid registry \"%s\"", s,
					      buf);
		}
		/* Docker Hub's other names are Docker Hub. */
		bool hub = strcmp(buf, "index.docker.io") == 0 || strcmp(buf, "registry-1.docker.io") == 0;
		r.domain = strdup(hub ? "docker.io" : buf);
		rest = slash + 1;
	} else if (def == IMAGE_REF_DOCKER) {
		r.domain = strdup("docker.io");
	} else {
		r.domain = strdup("localhost");
	}
	/* Docker Hub's official images live under library/. */
	bool library = strcmp(r.domain, "docker.io") == 0 && !strchr(rest, '/');
	for (char *p = rest;;) {
		char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (!path_component_valid(p, n)) {
			image_ref_clear(&r);
			return cell_error_set(
			    err, EINVAL,
			    "image name \"%s\": invalid repository name \"%s\" (lowercase letters, "
			    "digits and separators)",
			    s, rest);
		}
		if (!slash)
			break;
		p = slash + 1;
	}
	if (asprintf(&r.path, "%s%s", library ? "library/" : "", rest) < 0)
		r.path = NULL;
	if (!r.tag && !r.digest)
		r.tag = strdup("latest");
	if (!r.domain || !r.path || (!r.tag && !r.digest)) {
		image_ref_clear(&r);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	if (strlen(r.domain) + 1 + strlen(r.path) > NAME_MAX_TOTAL) {
		image_ref_clear(&r);
		return cell_error_set(err, EINVAL, "image name \"%s\": longer than %d characters", s,
				      NAME_MAX_TOTAL);
	}
	*out = r;
	return 0;
}

char *image_ref_repository(const struct image_ref *r)
{
	char *s = NULL;
	if (asprintf(&s, "%s/%s", r->domain, r->path) < 0)
		return NULL;
	return s;
}

char *image_ref_format(const struct image_ref *r)
{
	char *s = NULL;
	int n = r->tag ? asprintf(&s, "%s/%s:%s", r->domain, r->path, r->tag)
		       : asprintf(&s, "%s/%s@%s", r->domain, r->path, r->digest);
	return n < 0 ? NULL : s;
}
