#include "login.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "image/reference.h"

char *registry_login_key(const char *registry, cell_error **err)
{
	const char *r = registry;
	if (strncmp(r, "https://", 8) == 0)
		r += 8;
	else if (strncmp(r, "http://", 7) == 0)
		r += 7;
	else if (strncmp(r, "docker://", 9) == 0)
		r += 9;
	_cleanup_free_ char *key = strdup(r);
	if (!key) {
		cell_error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	size_t n = strlen(key);
	while (n > 0 && key[n - 1] == '/')
		key[--n] = '\0';
	if (!*key) {
		cell_error_set(err, EINVAL, "\"%s\" names no registry", registry);
		return NULL;
	}
	/* What it names must read as a registry (and namespace). */
	_cleanup_free_ char *probe = NULL;
	struct image_ref ref;
	if (asprintf(&probe, "%s%s", key, strchr(key, '/') ? "" : "/x") < 0) {
		cell_error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	if (image_ref_is_short(probe) || image_ref_parse(probe, IMAGE_REF_DOCKER, &ref, NULL) < 0) {
		cell_error_set(err, EINVAL, "\"%s\" is not a registry (host[:port][/namespace])", registry);
		return NULL;
	}
	bool hub = strcmp(ref.domain, "docker.io") == 0 && !strchr(key, '/');
	image_ref_clear(&ref);
	char *out = hub ? strdup("docker.io") : TAKE_PTR(key);
	if (!out)
		cell_error_set(err, ENOMEM, "out of memory");
	return out;
}

int registry_login(const char *registry, const struct registry_opts *o, cell_error **err)
{
	if (!o->username || !*o->username)
		return cell_error_set(err, EINVAL, "login %s: a user name is needed", registry);
	if (!o->password || !*o->password)
		return cell_error_set(err, EINVAL, "login %s: a password is needed", registry);
	_cleanup_free_ char *key = registry_login_key(registry, err);
	if (!key)
		return -EINVAL;
	/* The registry alone: /v2/ answers for all of it. */
	_cleanup_free_ char *domain = strndup(key, strcspn(key, "/"));
	if (!domain)
		return cell_error_set(err, ENOMEM, "out of memory");
	struct image_ref ref = {.domain = domain, .path = ""};
	struct registry_session *s = NULL;
	int r = registry_session_open(&ref, o, &s, err);
	if (r == 0)
		r = registry_ping(s, err);
	registry_session_free(s);
	if (r < 0)
		return cell_error_prefix(err, "login %s", key);
	return auth_store(key, o->username, o->password, err);
}

int registry_logout(const char *registry, bool all, cell_error **err)
{
	if (all)
		return auth_remove_all(err);
	_cleanup_free_ char *key = registry_login_key(registry, err);
	if (!key)
		return -EINVAL;
	return auth_remove(key, err);
}
