#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/json.h"
#include "base/strv.h"
#include "base/toml.h"

void registry_config_free(struct registry_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_entries; i++) {
		free(c->entries[i].prefix);
		free(c->entries[i].location);
	}
	free(c->entries);
	strv_free(c->search);
	free(c);
}

static struct registry_entry *entry_for(struct registry_config *c, const char *prefix)
{
	for (size_t i = 0; i < c->n_entries; i++)
		if (strcmp(c->entries[i].prefix, prefix) == 0)
			return &c->entries[i];
	struct registry_entry *n = realloc(c->entries, (c->n_entries + 1) * sizeof(*n));
	if (!n)
		return NULL;
	c->entries = n;
	struct registry_entry *e = &n[c->n_entries];
	*e = (struct registry_entry){.prefix = strdup(prefix)};
	if (!e->prefix)
		return NULL;
	c->n_entries++;
	return e;
}

static int strings_of(json_t *arr, const char *what, const char *key, cell_error **err)
{
	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return cell_error_set(err, EINVAL, "%s: %s must be an array of strings", what, key);
	size_t i;
	json_t *v;
	json_array_foreach (arr, i, v)
		if (!json_is_string(v))
			return cell_error_set(err, EINVAL, "%s: %s[%zu] must be a string", what, key, i);
	return 0;
}

static int apply_v1(struct registry_config *c, json_t *regs, const char *what, cell_error **err)
{
	static const char *const kinds[] = {"search", "insecure", "block"};
	for (size_t k = 0; k < 3; k++) {
		json_t *list = json_object_get(json_object_get(regs, kinds[k]), "registries");
		char key[64];
		snprintf(key, sizeof(key), "registries.%s.registries", kinds[k]);
		int r = strings_of(list, what, key, err);
		if (r < 0)
			return r;
		size_t i;
		json_t *v;
		json_array_foreach (list, i, v) {
			if (k == 0) {
				if (strv_push(&c->search, json_string_value(v)) < 0)
					return cell_error_set(err, ENOMEM, "out of memory");
				continue;
			}
			struct registry_entry *e = entry_for(c, json_string_value(v));
			if (!e)
				return cell_error_set(err, ENOMEM, "out of memory");
			if (k == 1)
				e->insecure = true;
			else
				e->blocked = true;
		}
	}
	return 0;
}

static int apply_v2(struct registry_config *c, json_t *regs, const char *what, cell_error **err)
{
	if (!json_is_array(regs))
		return cell_error_set(err, EINVAL, "%s: registry must be an array of tables ([[registry]])",
				      what);
	size_t i;
	json_t *t;
	json_array_foreach (regs, i, t) {
		char where[64];
		snprintf(where, sizeof(where), "registry[%zu]", i);
		const char *prefix = NULL, *location = NULL;
		bool insecure = false, blocked = false;
		int r;
		if ((r = json_get_string(t, where, "prefix", false, &prefix, err)) < 0 ||
		    (r = json_get_string(t, where, "location", false, &location, err)) < 0 ||
		    (r = json_get_bool(t, where, "insecure", false, &insecure, err)) < 0 ||
		    (r = json_get_bool(t, where, "blocked", false, &blocked, err)) < 0)
			return cell_error_prefix(err, "%s", what);
		if (!prefix && !location)
			return cell_error_set(err, EINVAL, "%s: %s needs a prefix or a location", what,
					      where);
		struct registry_entry *e = entry_for(c, prefix ? prefix : location);
		if (!e)
			return cell_error_set(err, ENOMEM, "out of memory");
		free(e->location);
		e->location = location && prefix && strcmp(location, prefix) != 0 ? strdup(location) : NULL;
		e->insecure = insecure;
		e->blocked = blocked;
	}
	return 0;
}

static int apply_file(struct registry_config *c, const char *path, cell_error **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = read_file_at(AT_FDCWD, path, 4 << 20, &buf, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return cell_error_errno(err, r, "read %s", path);
	_cleanup_json_ json_t *j = NULL;
	if ((r = toml_parse(buf, len, path, &j, err)) < 0)
		return r;
	json_t *search = json_object_get(j, "unqualified-search-registries");
	if ((r = strings_of(search, path, "unqualified-search-registries", err)) < 0)
		return r;
	if (search) {
		strv_free(c->search);
		c->search = NULL;
		size_t i;
		json_t *v;
		json_array_foreach (search, i, v)
			if (strv_push(&c->search, json_string_value(v)) < 0)
				return cell_error_set(err, ENOMEM, "out of memory");
	}
	json_t *v1 = json_object_get(j, "registries");
	if (v1 && (r = apply_v1(c, v1, path, err)) < 0)
		return r;
	json_t *v2 = json_object_get(j, "registry");
	if (v2 && (r = apply_v2(c, v2, path, err)) < 0)
		return r;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int registry_config_load(const char *const *paths, struct registry_config **out, cell_error **err)
{
	struct registry_config *c = calloc(1, sizeof(*c));
	if (!c)
		return cell_error_set(err, ENOMEM, "out of memory");
	int r = 0;
	if (paths) {
		for (size_t i = 0; r == 0 && paths[i]; i++)
			r = apply_file(c, paths[i], err);
	} else {
		const char *main_conf = getenv("CONTAINERS_REGISTRIES_CONF");
		r = apply_file(c, main_conf && *main_conf ? main_conf : "/etc/containers/registries.conf",
			       err);
		/* drop-ins in lexical order */
		DIR *d = opendir("/etc/containers/registries.conf.d");
		char **names = NULL;
		struct dirent *de;
		while (r == 0 && d && (de = readdir(d))) {
			size_t n = strlen(de->d_name);
			if (n > 5 && strcmp(de->d_name + n - 5, ".conf") == 0 &&
			    strv_push(&names, de->d_name) < 0)
				r = cell_error_set(err, ENOMEM, "out of memory");
		}
		if (d)
			closedir(d);
		if (names)
			qsort(names, strv_length(names), sizeof(char *), cmp_str);
		for (size_t i = 0; r == 0 && names && names[i]; i++) {
			char path[4096];
			snprintf(path, sizeof(path), "/etc/containers/registries.conf.d/%s", names[i]);
			r = apply_file(c, path, err);
		}
		strv_free(names);
		if (r == 0)
			r = apply_file(c, "/etc/cell/registries.conf", err);
	}
	if (r < 0) {
		registry_config_free(c);
		return r;
	}
	*out = c;
	return 0;
}

const struct registry_entry *registry_config_find(const struct registry_config *c, const char *name)
{
	const struct registry_entry *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i < c->n_entries; i++) {
		const char *p = c->entries[i].prefix;
		size_t n = strlen(p);
		/* whole components only: "a.io/x" matches "a.io/x/y", not "a.io/xy" */
		if (strncmp(name, p, n) != 0 ||
		    (name[n] != '\0' && name[n] != '/' && name[n] != ':' && name[n] != '@'))
			continue;
		if (n > best_len) {
			best = &c->entries[i];
			best_len = n;
		}
	}
	return best;
}
