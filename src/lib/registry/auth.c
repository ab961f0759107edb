#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base64.h"
#include "base/file.h"
#include "base/json.h"
#include "base/path.h"

void credentials_clear(struct credentials *c)
{
	if (c->password)
		explicit_bzero(c->password, strlen(c->password));
	free(c->username);
	free(c->password);
	*c = (struct credentials){0};
}

char *auth_file_path(void)
{
	const char *env = getenv("REGISTRY_AUTH_FILE");
	char *s = NULL;
	if (env && *env)
		return strdup(env);
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (xdg && *xdg && asprintf(&s, "%s/containers/auth.json", xdg) >= 0)
		return s;
	if (asprintf(&s, "/run/containers/%u/auth.json", (unsigned)getuid()) < 0)
		return NULL;
	return s;
}

/* Docker writes keys as URLs ("https://index.docker.io/v1/"); compare them
 * as host[/path]. */
static void normalize_key(const char *key, char *out, size_t len)
{
	const char *k = key;
	if (strncmp(k, "https://", 8) == 0)
		k += 8;
	else if (strncmp(k, "http://", 7) == 0)
		k += 7;
	snprintf(out, len, "%s", k);
	size_t n = strlen(out);
	if (n >= 3 && strcmp(out + n - 3, "/v1") == 0)
		out[n - 3] = '\0';
	else if (n >= 4 && strcmp(out + n - 4, "/v1/") == 0)
		out[n - 4] = '\0';
	n = strlen(out);
	while (n > 0 && out[n - 1] == '/')
		out[--n] = '\0';
	if (strcmp(out, "index.docker.io") == 0 || strcmp(out, "registry-1.docker.io") == 0)
		snprintf(out, len, "docker.io");
}

static int decode_entry(json_t *entry, const char *file, const char *key, struct credentials *out,
			cell_error **err)
{
	const char *auth = json_string_value(json_object_get(entry, "auth"));
	if (!auth || !*auth)
		return -ENOENT;
	_cleanup_free_ char *plain = NULL;
	if (base64_decode(auth, &plain, NULL) < 0)
		return cell_error_set(err, EINVAL, "%s: auths.%s.auth is not base64", file, key);
	char *colon = strchr(plain, ':');
	if (!colon)
		return cell_error_set(err, EINVAL, "%s: auths.%s.auth is not user:password", file, key);
	*colon = '\0';
	out->username = strdup(plain);
	out->password = strdup(colon + 1);
	explicit_bzero(plain, strlen(colon + 1) + strlen(plain) + 1);
	if (!out->username || !out->password) {
		credentials_clear(out);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

static int lookup_in(const char *file, const char *name, struct credentials *out, cell_error **err)
{
	_cleanup_json_ json_t *j = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = read_file_at(AT_FDCWD, file, 1 << 20, &buf, &len);
	if (r == -ENOENT || r == -ENOTDIR || r == -EACCES)
		return -ENOENT;
	if (r < 0)
		return cell_error_errno(err, r, "read %s", file);
	if ((r = json_load_buffer(buf, len, file, &j, err)) < 0)
		return r;
	json_t *auths = json_object_get(j, "auths");
	if (!json_is_object(auths))
		return -ENOENT;
	const char *key, *best = NULL;
	json_t *entry, *best_entry = NULL;
	size_t best_len = 0;
	json_object_foreach (auths, key, entry) {
		char k[1024];
		normalize_key(key, k, sizeof(k));
		size_t n = strlen(k);
		if (strncmp(name, k, n) != 0 || (name[n] != '\0' && name[n] != '/'))
			continue;
		if (n > best_len) {
			best = key;
			best_entry = entry;
			best_len = n;
		}
	}
	if (!best)
		return -ENOENT;
	return decode_entry(best_entry, file, best, out, err);
}

int auth_lookup_in(const char *file, const char *name, struct credentials *out, cell_error **err)
{
	*out = (struct credentials){0};
	return lookup_in(file, name, out, err);
}

int auth_lookup(const char *name, struct credentials *out, cell_error **err)
{
	*out = (struct credentials){0};
	char *files[4] = {0};
	const char *home = getenv("HOME");
	const char *cfg = getenv("XDG_CONFIG_HOME");
	files[0] = auth_file_path();
	if (cfg && *cfg) {
		if (asprintf(&files[1], "%s/containers/auth.json", cfg) < 0)
			files[1] = NULL;
	} else if (home && asprintf(&files[1], "%s/.config/containers/auth.json", home) < 0) {
		files[1] = NULL;
	}
	if (home && asprintf(&files[2], "%s/.docker/config.json", home) < 0)
		files[2] = NULL;
	int r = -ENOENT;
	for (size_t i = 0; i < 3 && r == -ENOENT; i++)
		if (files[i])
			r = lookup_in(files[i], name, out, err);
	for (size_t i = 0; i < 3; i++)
		free(files[i]);
	return r;
}

/* Read the primary file (or start an empty one), let change edit it, write it back. */
static int edit_file(int (*change)(json_t *auths, const void *arg), const void *arg, cell_error **err)
{
	_cleanup_free_ char *path = auth_file_path();
	if (!path)
		return cell_error_set(err, ENOMEM, "out of memory");
	_cleanup_free_ char *dir = strdup(path);
	if (!dir)
		return cell_error_set(err, ENOMEM, "out of memory");
	char *slash = strrchr(dir, '/');
	const char *name = path;
	if (slash) {
		*slash = '\0';
		name = slash + 1;
		int r = mkdir_parents(*dir ? dir : "/", 0700);
		if (r < 0)
			return cell_error_errno(err, r, "create %s", dir);
	}
	_cleanup_json_ json_t *j = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = read_file_at(AT_FDCWD, path, 1 << 20, &buf, &len);
	if (r == 0 && (r = json_load_buffer(buf, len, path, &j, err)) < 0)
		return r;
	if (r == -ENOENT)
		r = 0;
	if (r < 0)
		return cell_error_errno(err, r, "read %s", path);
	if (!j)
		j = json_object();
	if (!json_is_object(j))
		return cell_error_set(err, EINVAL, "%s: not a JSON object", path);
	json_t *auths = json_object_get(j, "auths");
	if (!auths) {
		auths = json_object();
		json_object_set_new(j, "auths", auths);
	}
	if (!json_is_object(auths))
		return cell_error_set(err, EINVAL, "%s: auths is not an object", path);
	r = change(auths, arg);
	if (r < 0)
		return r == -ENOENT ? cell_error_set(err, ENOENT, "not logged in")
				    : cell_error_errno(err, r, "update %s", path);
	_cleanup_free_ char *text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (!text)
		return cell_error_set(err, ENOMEM, "out of memory");
	_cleanup_close_ int dfd = open(slash ? (*dir ? dir : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return cell_error_errno(err, errno, "open %s", dir);
	r = write_file_atomic(dfd, name, text, strlen(text), 0600);
	explicit_bzero(text, strlen(text));
	if (r < 0)
		return cell_error_errno(err, r, "write %s", path);
	return 0;
}

struct store_arg {
	const char *key, *user, *pass;
};

static int do_store(json_t *auths, const void *arg)
{
	const struct store_arg *a = arg;
	_cleanup_free_ char *plain = NULL;
	if (asprintf(&plain, "%s:%s", a->user, a->pass) < 0)
		return -ENOMEM;
	char *enc = base64_encode(plain, strlen(plain));
	explicit_bzero(plain, strlen(plain));
	if (!enc)
		return -ENOMEM;
	json_t *e = json_pack("{s:s}", "auth", enc);
	explicit_bzero(enc, strlen(enc));
	free(enc);
	if (!e)
		return -ENOMEM;
	return json_object_set_new(auths, a->key, e) == 0 ? 0 : -ENOMEM;
}

int auth_store(const char *key, const char *username, const char *password, cell_error **err)
{
	if (strchr(username, ':'))
		return cell_error_set(err, EINVAL, "user name \"%s\" must not contain ':'", username);
	struct store_arg a = {key, username, password};
	return edit_file(do_store, &a, err);
}

static int do_remove(json_t *auths, const void *arg)
{
	const char *key = arg;
	if (!json_object_get(auths, key))
		return -ENOENT;
	json_object_del(auths, key);
	return 0;
}

int auth_remove(const char *key, cell_error **err)
{
	int r = edit_file(do_remove, key, err);
	if (r == -ENOENT)
		return cell_error_set(err, ENOENT, "not logged in to %s", key);
	return r;
}

static int do_clear(json_t *auths, const void *arg)
{
	json_object_clear(auths);
	return 0;
}

int auth_remove_all(cell_error **err)
{
	return edit_file(do_clear, NULL, err);
}
