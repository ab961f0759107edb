#include "mountspec.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/path.h"
#include "base/strv.h"
#include "options.h"

void mount_spec_clear(struct mount_spec *m)
{
	free(m->source);
	free(m->target);
	free(m->propagation);
	strv_free(m->options);
	memset(m, 0, sizeof(*m));
}

bool volume_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 128 || !isalnum((unsigned char)name[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_' && name[i] != '.' && name[i] != '-')
			return false;
	return true;
}

static const char *const propagations[] = {"private", "rprivate", "shared", "rshared", "slave", "rslave"};

static bool is_propagation(const char *s)
{
	for (size_t i = 0; i < sizeof(propagations) / sizeof(propagations[0]); i++)
		if (strcmp(s, propagations[i]) == 0)
			return true;
	return false;
}

/* An absolute container path, normalised; ".." is refused: the runtime
 * resolves targets inside the root, and a path that climbs is a mistake. */
static int set_target(struct mount_spec *m, const char *flag, const char *t, size_t len, cell_error **err)
{
	if (len == 0)
		return cell_error_set(err, EINVAL, "%s: the container path is empty", flag);
	_cleanup_free_ char *raw = strndup(t, len);
	if (!raw)
		return cell_error_set(err, ENOMEM, "out of memory");
	if (raw[0] != '/')
		return cell_error_set(err, EINVAL, "%s: the container path \"%s\" is not absolute", flag,
				      raw);
	if (strcmp(raw, "/") == 0)
		return cell_error_set(err, EINVAL, "%s: cannot mount over the container's root", flag);
	for (const char *p = raw; (p = strstr(p, "..")); p += 2)
		if ((p == raw || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
			return cell_error_set(err, EINVAL, "%s: the container path \"%s\" has a \"..\"", flag,
					      raw);
	free(m->target);
	m->target = path_normalize(raw);
	return m->target ? 0 : cell_error_set(err, ENOMEM, "out of memory");
}

static int add_option(struct mount_spec *m, const char *o, cell_error **err)
{
	return strv_push(&m->options, o) < 0 ? cell_error_set(err, ENOMEM, "out of memory") : 0;
}

/* A tmpfs option: size= (Docker's sizes), mode= (octal), and the flags. */
static int tmpfs_option(struct mount_spec *m, const char *flag, const char *o, cell_error **err)
{
	static const char *const flags[] = {"nosuid", "suid", "nodev",   "dev",      "noexec",     "exec",
					    "ro",     "rw",   "noatime", "relatime", "strictatime"};
	if (strncmp(o, "size=", 5) == 0 || strncmp(o, "tmpfs-size=", 11) == 0) {
		const char *v = strchr(o, '=') + 1;
		int64_t bytes;
		if (opt_parse_size(v, flag, &bytes, err) < 0)
			return -EINVAL;
		char buf[48];
		snprintf(buf, sizeof(buf), "size=%lld", (long long)bytes);
		return add_option(m, buf, err);
	}
	if (strncmp(o, "mode=", 5) == 0 || strncmp(o, "tmpfs-mode=", 11) == 0) {
		const char *v = strchr(o, '=') + 1;
		char *end;
		errno = 0;
		long mode = strtol(v, &end, 8);
		if (!*v || *end || errno || mode < 0 || mode > 07777)
			return cell_error_set(err, EINVAL, "%s: mode \"%s\" is not an octal mode", flag, v);
		char buf[32];
		snprintf(buf, sizeof(buf), "mode=%lo", mode);
		return add_option(m, buf, err);
	}
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strcmp(o, flags[i]) == 0) {
			if (strcmp(o, "ro") == 0 || strcmp(o, "rw") == 0) {
				m->readonly = o[1] == 'o';
				return 0;
			}
			return add_option(m, o, err);
		}
	return cell_error_set(err, EINVAL, "%s: unknown tmpfs option \"%s\"", flag, o);
}

/* The options of -v: ro/rw, propagation, nocopy, SELinux's z/Z (no SELinux
 * here: accepted and ignored, as Docker does without it), and the
 * suid/dev/exec flags. */
static int volume_options(struct mount_spec *m, const char *opts, cell_error **err)
{
	_cleanup_free_ char *copy = strdup(opts);
	if (!copy)
		return cell_error_set(err, ENOMEM, "out of memory");
	char *save = NULL;
	for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		if (strcmp(o, "ro") == 0 || strcmp(o, "rw") == 0)
			m->readonly = o[1] == 'o';
		else if (is_propagation(o)) {
			if (m->kind != MOUNT_SPEC_BIND)
				return cell_error_set(err, EINVAL,
						      "--volume: propagation %s is for bind mounts", o);
			free(m->propagation);
			if (!(m->propagation = strdup(o)))
				return cell_error_set(err, ENOMEM, "out of memory");
		} else if (strcmp(o, "nocopy") == 0)
			m->nocopy = true;
		else if (strcmp(o, "z") == 0 || strcmp(o, "Z") == 0)
			continue;
		else if (strcmp(o, "nosuid") == 0 || strcmp(o, "suid") == 0 || strcmp(o, "nodev") == 0 ||
			 strcmp(o, "dev") == 0 || strcmp(o, "noexec") == 0 || strcmp(o, "exec") == 0) {
			if (add_option(m, o, err) < 0)
				return -ENOMEM;
		} else
			return cell_error_set(err, EINVAL, "--volume: unknown option \"%s\"", o);
	}
	return 0;
}

int mount_spec_parse_volume(const char *s, struct mount_spec *out, cell_error **err)
{
	struct mount_spec m = {0};
	const char *c1 = strchr(s, ':');
	const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	int r;
	if (!*s)
		return cell_error_set(err, EINVAL, "--volume: empty");
	if (c2 && strchr(c2 + 1, ':'))
		return cell_error_set(err, EINVAL, "--volume \"%s\": too many colons (SRC:DST[:OPTIONS])", s);
	if (!c1) {
		/* An anonymous volume at DST. */
		m.kind = MOUNT_SPEC_VOLUME;
		if ((r = set_target(&m, "--volume", s, strlen(s), err)) < 0) {
			mount_spec_clear(&m);
			return r;
		}
		*out = m;
		return 0;
	}
	size_t sl = (size_t)(c1 - s);
	const char *dst = c1 + 1;
	size_t dl = c2 ? (size_t)(c2 - dst) : strlen(dst);
	if (sl == 0)
		return cell_error_set(err, EINVAL, "--volume \"%s\": the source is empty", s);
	m.source = strndup(s, sl);
	if (!m.source)
		return cell_error_set(err, ENOMEM, "out of memory");
	if (m.source[0] == '/') {
		m.kind = MOUNT_SPEC_BIND;
		char *n = path_normalize(m.source);
		free(m.source);
		m.source = n;
		if (!n)
			r = cell_error_set(err, ENOMEM, "out of memory");
		else
			r = 0;
	} else if (m.source[0] == '.' || strchr(m.source, '/')) {
		r = cell_error_set(
		    err, EINVAL, "--volume \"%s\": \"%s\" is neither an absolute host path nor a volume name",
		    s, m.source);
	} else if (!volume_name_valid(m.source)) {
		r = cell_error_set(
		    err, EINVAL,
		    "--volume \"%s\": \"%s\" is not a valid volume name ([A-Za-z0-9][A-Za-z0-9_.-]*)", s,
		    m.source);
	} else {
		m.kind = MOUNT_SPEC_VOLUME;
		r = 0;
	}
	if (r == 0)
		r = set_target(&m, "--volume", dst, dl, err);
	if (r == 0 && c2)
		r = volume_options(&m, c2 + 1, err);
	if (r < 0) {
		mount_spec_clear(&m);
		return r;
	}
	*out = m;
	return 0;
}

static int parse_bool_value(const char *key, const char *v, bool *out, cell_error **err)
{
	if (!v || strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
		*out = false;
		return 0;
	}
	return cell_error_set(err, EINVAL, "--mount: %s=\"%s\" must be true or false", key, v);
}

/* One KEY[=VALUE] of --mount. */
static int mount_field(struct mount_spec *m, const char *key, const char *v, bool *has_target,
		       cell_error **err)
{
	if (strcmp(key, "source") == 0 || strcmp(key, "src") == 0) {
		if (!v || !*v)
			return cell_error_set(err, EINVAL, "--mount: %s needs a value", key);
		free(m->source);
		m->source = strdup(v);
		return m->source ? 0 : cell_error_set(err, ENOMEM, "out of memory");
	}
	if (strcmp(key, "target") == 0 || strcmp(key, "destination") == 0 || strcmp(key, "dst") == 0) {
		*has_target = true;
		return set_target(m, "--mount", v ? v : "", v ? strlen(v) : 0, err);
	}
	if (strcmp(key, "readonly") == 0 || strcmp(key, "ro") == 0)
		return parse_bool_value(key, v, &m->readonly, err);
	if (strcmp(key, "bind-propagation") == 0) {
		if (!v || !is_propagation(v))
			return cell_error_set(err, EINVAL,
					      "--mount: bind-propagation \"%s\" is not one of "
					      "private, rprivate, shared, rshared, slave, rslave",
					      v ? v : "");
		free(m->propagation);
		m->propagation = strdup(v);
		return m->propagation ? 0 : cell_error_set(err, ENOMEM, "out of memory");
	}
	if (strcmp(key, "volume-nocopy") == 0)
		return parse_bool_value(key, v, &m->nocopy, err);
	if (strcmp(key, "tmpfs-size") == 0 || strcmp(key, "tmpfs-mode") == 0) {
		char buf[128];
		snprintf(buf, sizeof(buf), "%s=%s", key, v ? v : "");
		return tmpfs_option(m, "--mount", buf, err);
	}
	if (strcmp(key, "consistency") == 0 || strcmp(key, "bind-nonrecursive") == 0)
		return 0; /* macOS's and a Docker detail without effect here */
	return cell_error_set(err, EINVAL, "--mount: unknown key \"%s\"", key);
}

int mount_spec_parse_mount(const char *s, struct mount_spec *out, cell_error **err)
{
	struct mount_spec m = {0};
	_cleanup_free_ char *copy = strdup(s);
	if (!copy)
		return cell_error_set(err, ENOMEM, "out of memory");
	/* The type decides how the other keys read: find it first. */
	bool typed = false;
	char *save = NULL;
	_cleanup_free_ char *scan = strdup(s);
	if (!scan)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (char *f = strtok_r(scan, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		if (strncmp(f, "type=", 5) != 0)
			continue;
		if (typed)
			return cell_error_set(err, EINVAL, "--mount \"%s\": type given twice", s);
		typed = true;
		if (strcmp(f + 5, "bind") == 0)
			m.kind = MOUNT_SPEC_BIND;
		else if (strcmp(f + 5, "volume") == 0)
			m.kind = MOUNT_SPEC_VOLUME;
		else if (strcmp(f + 5, "tmpfs") == 0)
			m.kind = MOUNT_SPEC_TMPFS;
		else
			return cell_error_set(err, EINVAL,
					      "--mount \"%s\": type must be bind, volume or tmpfs", s);
	}
	if (!typed)
		m.kind = MOUNT_SPEC_VOLUME; /* Docker's default */
	bool has_target = false;
	int r = 0;
	save = NULL;
	for (char *f = strtok_r(copy, ",", &save); f && r == 0; f = strtok_r(NULL, ",", &save)) {
		if (strncmp(f, "type=", 5) == 0)
			continue;
		char *eq = strchr(f, '=');
		if (eq)
			*eq = '\0';
		r = mount_field(&m, f, eq ? eq + 1 : NULL, &has_target, err);
	}
	if (r == 0 && !has_target)
		r = cell_error_set(err, EINVAL, "--mount \"%s\": target is missing", s);
	if (r == 0 && m.kind == MOUNT_SPEC_BIND) {
		if (!m.source || m.source[0] != '/')
			r = cell_error_set(err, EINVAL,
					   "--mount \"%s\": a bind mount needs an absolute source", s);
	} else if (r == 0 && m.kind == MOUNT_SPEC_VOLUME) {
		if (m.source && !volume_name_valid(m.source))
			r = cell_error_set(err, EINVAL, "--mount \"%s\": \"%s\" is not a valid volume name",
					   s, m.source);
	} else if (r == 0 && m.kind == MOUNT_SPEC_TMPFS && m.source) {
		r = cell_error_set(err, EINVAL, "--mount \"%s\": a tmpfs has no source", s);
	}
	if (r == 0 && m.kind != MOUNT_SPEC_TMPFS && m.options) {
		for (size_t i = 0; m.options[i]; i++)
			if (strncmp(m.options[i], "size=", 5) == 0 || strncmp(m.options[i], "mode=", 5) == 0)
				r = cell_error_set(err, EINVAL,
						   "--mount \"%s\": tmpfs options need type=tmpfs", s);
	}
	if (r == 0 && m.propagation && m.kind != MOUNT_SPEC_BIND)
		r = cell_error_set(err, EINVAL, "--mount \"%s\": bind-propagation needs type=bind", s);
	if (r < 0) {
		mount_spec_clear(&m);
		return r;
	}
	if (m.kind == MOUNT_SPEC_BIND) {
		m.must_exist = true;
		char *n = path_normalize(m.source);
		free(m.source);
		m.source = n;
		if (!n) {
			mount_spec_clear(&m);
			return cell_error_set(err, ENOMEM, "out of memory");
		}
	}
	*out = m;
	return 0;
}

int mount_spec_parse_tmpfs(const char *s, struct mount_spec *out, cell_error **err)
{
	struct mount_spec m = {.kind = MOUNT_SPEC_TMPFS};
	const char *colon = strchr(s, ':');
	int r = set_target(&m, "--tmpfs", s, colon ? (size_t)(colon - s) : strlen(s), err);
	if (r == 0 && colon) {
		_cleanup_free_ char *copy = strdup(colon + 1);
		char *save = NULL;
		if (!copy)
			r = cell_error_set(err, ENOMEM, "out of memory");
		for (char *o = copy ? strtok_r(copy, ",", &save) : NULL; o && r == 0;
		     o = strtok_r(NULL, ",", &save))
			r = tmpfs_option(&m, "--tmpfs", o, err);
	}
	if (r < 0) {
		mount_spec_clear(&m);
		return r;
	}
	*out = m;
	return 0;
}

json_t *mount_spec_to_json(const struct mount_spec *m, const char *source_path)
{
	static const char *const kinds[] = {"bind", "volume", "tmpfs"};
	json_t *j = json_pack("{s:s, s:s, s:s, s:b, s:s, s:b}", "Type", kinds[m->kind], "Source",
			      source_path ? source_path : "", "Destination", m->target, "RW", !m->readonly,
			      "Propagation", m->propagation ? m->propagation : "", "NoCopy", m->nocopy);
	if (!j)
		return NULL;
	if (m->kind == MOUNT_SPEC_VOLUME && m->source)
		json_object_set_new(j, "Name", json_string(m->source));
	json_t *o = json_array();
	for (size_t i = 0; m->options && m->options[i]; i++)
		json_array_append_new(o, json_string(m->options[i]));
	json_object_set_new(j, "Options", o);
	return j;
}
