/* `cell import`: a root file system tarball becomes a one-layer image. The
 * tarball is stored uncompressed (its digest is then its diffID), and
 * --change instructions shape the config as a Dockerfile would. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "base/json.h"
#include "base/log.h"
#include "base/signal.h"
#include "base/strv.h"
#include "base/timefmt.h"
#include "reference.h"
#include "runspec.h"
#include "storage/stream.h"

/* Split on blanks, honouring "double quotes" and backslash escapes. */
static int split_words(const char *s, char ***out)
{
	_cleanup_strv_ char **v = NULL;
	while (*s) {
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		size_t cap = strlen(s) + 1, o = 0;
		char *w = malloc(cap);
		if (!w)
			return -ENOMEM;
		bool quoted = false;
		for (; *s && (quoted || !isspace((unsigned char)*s)); s++) {
			if (*s == '"') {
				quoted = !quoted;
				continue;
			}
			if (*s == '\\' && s[1])
				s++;
			w[o++] = *s;
		}
		w[o] = '\0';
		if (quoted) {
			free(w);
			return -EINVAL;
		}
		if (strv_push_take(&v, w) < 0)
			return -ENOMEM;
	}
	if (!v && !(v = calloc(1, sizeof(char *))))
		return -ENOMEM;
	*out = TAKE_PTR(v);
	return 0;
}

/* CMD/ENTRYPOINT/VOLUME: a JSON array of strings, or else a shell form. */
static int exec_form(const char *rest, bool shell, const char *what, json_t **out, cell_error **err)
{
	if (rest[0] == '[') {
		json_t *a = NULL;
		if (json_load_buffer(rest, strlen(rest), what, &a, err) < 0)
			return -EINVAL;
		size_t i;
		json_t *v;
		bool ok = json_is_array(a);
		json_array_foreach (a, i, v)
			ok = ok && json_is_string(v);
		if (!ok) {
			json_decref(a);
			return cell_error_set(err, EINVAL, "%s: must be a JSON array of strings", what);
		}
		*out = a;
		return 0;
	}
	if (shell) {
		*out = json_pack("[s, s, s]", "/bin/sh", "-c", rest);
		return *out ? 0 : cell_error_set(err, ENOMEM, "out of memory");
	}
	_cleanup_strv_ char **words = NULL;
	if (split_words(rest, &words) < 0)
		return cell_error_set(err, EINVAL, "%s: unbalanced quotes", what);
	json_t *a = json_array();
	for (size_t i = 0; a && words[i]; i++)
		json_array_append_new(a, json_string(words[i]));
	*out = a;
	return a ? 0 : cell_error_set(err, ENOMEM, "out of memory");
}

static int set_env(json_t *config, const char *key, const char *value)
{
	json_t *env = json_object_get(config, "Env");
	if (!json_is_array(env)) {
		env = json_array();
		json_object_set_new(config, "Env", env);
	}
	char *kv = NULL;
	if (asprintf(&kv, "%s=%s", key, value) < 0)
		return -ENOMEM;
	size_t kl = strlen(key), i;
	json_t *v;
	json_array_foreach (env, i, v) {
		const char *s = json_string_value(v);
		if (s && strncmp(s, key, kl) == 0 && s[kl] == '=') {
			json_array_set_new(env, i, json_string(kv));
			free(kv);
			return 0;
		}
	}
	json_array_append_new(env, json_string(kv));
	free(kv);
	return 0;
}

/* KEY=VALUE pairs (ENV, LABEL), or ENV's older "KEY VALUE". */
static int pairs(json_t *config, const char *instr, const char *rest, bool is_env, cell_error **err)
{
	_cleanup_strv_ char **words = NULL;
	if (split_words(rest, &words) < 0 || !words[0])
		return cell_error_set(err, EINVAL, "--change %s: expects KEY=VALUE", instr);
	if (is_env && !strchr(words[0], '=')) {
		const char *value = rest + strlen(words[0]);
		while (isspace((unsigned char)*value))
			value++;
		return set_env(config, words[0], value) < 0 ? cell_error_set(err, ENOMEM, "out of memory")
							    : 0;
	}
	for (size_t i = 0; words[i]; i++) {
		char *eq = strchr(words[i], '=');
		if (!eq || eq == words[i])
			return cell_error_set(err, EINVAL, "--change %s: \"%s\" is not KEY=VALUE", instr,
					      words[i]);
		*eq = '\0';
		if (is_env) {
			if (set_env(config, words[i], eq + 1) < 0)
				return cell_error_set(err, ENOMEM, "out of memory");
		} else {
			json_t *labels = json_object_get(config, "Labels");
			if (!json_is_object(labels)) {
				labels = json_object();
				json_object_set_new(config, "Labels", labels);
			}
			json_object_set_new(labels, words[i], json_string(eq + 1));
		}
	}
	return 0;
}

static int object_keys(json_t *config, const char *field, json_t *keys)
{
	json_t *o = json_object_get(config, field);
	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(config, field, o);
	}
	size_t i;
	json_t *v;
	json_array_foreach (keys, i, v)
		json_object_set_new(o, json_string_value(v), json_object());
	return 0;
}

int image_apply_change(json_t *config, const char *change, cell_error **err)
{
	while (isspace((unsigned char)*change))
		change++;
	size_t kl = 0;
	while (change[kl] && !isspace((unsigned char)change[kl]))
		kl++;
	char instr[32];
	if (kl == 0 || kl >= sizeof(instr))
		return cell_error_set(err, EINVAL, "--change \"%s\": expected an instruction", change);
	for (size_t i = 0; i < kl; i++)
		instr[i] = (char)toupper((unsigned char)change[i]);
	instr[kl] = '\0';
	const char *rest = change + kl;
	while (isspace((unsigned char)*rest))
		rest++;
	char what[64];
	snprintf(what, sizeof(what), "--change %s", instr);
	if (!*rest)
		return cell_error_set(err, EINVAL, "%s: needs an argument", what);

	json_t *v = NULL;
	if (strcmp(instr, "CMD") == 0 || strcmp(instr, "ENTRYPOINT") == 0) {
		if (exec_form(rest, true, what, &v, err) < 0)
			return -EINVAL;
		json_object_set_new(config, instr[0] == 'C' ? "Cmd" : "Entrypoint", v);
		return 0;
	}
	if (strcmp(instr, "ENV") == 0 || strcmp(instr, "LABEL") == 0)
		return pairs(config, instr, rest, instr[0] == 'E', err);
	if (strcmp(instr, "USER") == 0 || strcmp(instr, "STOPSIGNAL") == 0) {
		if (instr[0] == 'S' && signal_parse(rest) < 0)
			return cell_error_set(err, EINVAL, "%s: \"%s\" is not a signal", what, rest);
		json_object_set_new(config, instr[0] == 'U' ? "User" : "StopSignal", json_string(rest));
		return 0;
	}
	if (strcmp(instr, "WORKDIR") == 0) {
		if (rest[0] != '/')
			return cell_error_set(err, EINVAL, "%s: \"%s\" is not an absolute path", what, rest);
		json_object_set_new(config, "WorkingDir", json_string(rest));
		return 0;
	}
	if (strcmp(instr, "VOLUME") == 0 || strcmp(instr, "EXPOSE") == 0) {
		if (exec_form(rest, false, what, &v, err) < 0)
			return -EINVAL;
		size_t i;
		json_t *e;
		json_array_foreach (v, i, e) {
			const char *s = json_string_value(e);
			if (instr[0] == 'V' && s[0] != '/') {
				int r = cell_error_set(err, EINVAL, "%s: \"%s\" is not an absolute path",
						       what, s);
				json_decref(v);
				return r;
			}
			if (instr[0] == 'E') {
				char *end;
				long port = strtol(s, &end, 10);
				if (end == s || port < 1 || port > 65535 ||
				    (*end && strcmp(end, "/tcp") && strcmp(end, "/udp") &&
				     strcmp(end, "/sctp"))) {
					int r = cell_error_set(err, EINVAL, "%s: \"%s\" is not PORT[/PROTO]",
							       what, s);
					json_decref(v);
					return r;
				}
				if (!*end) {
					char p[32];
					snprintf(p, sizeof(p), "%ld/tcp", port);
					json_array_set_new(v, i, json_string(p));
				}
			}
		}
		object_keys(config, instr[0] == 'V' ? "Volumes" : "ExposedPorts", v);
		json_decref(v);
		return 0;
	}
	return cell_error_set(
	    err, EINVAL,
	    "--change: instruction %s is not supported (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, "
	    "STOPSIGNAL, USER, VOLUME, WORKDIR)",
	    instr);
}

/* The tarball, uncompressed, into the blob store. */
static int store_layer(struct image_store *s, int fd, const char *what, char *digest, int64_t *size,
		       cell_error **err)
{
	_cleanup_(layer_stream_freep) struct layer_stream *st = NULL;
	_cleanup_(blob_writer_freep) struct blob_writer *w = NULL;
	int r = layer_stream_open(fd, what, &st, err);
	if (r == 0)
		r = blob_writer_new(s->blobs, &w, err);
	while (r == 0) {
		const void *b;
		ssize_t n = layer_stream_read(st, &b, err);
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		r = blob_writer_write(w, b, (size_t)n, err);
	}
	if (r == 0 && layer_stream_size(st) == 0)
		return cell_error_set(err, EINVAL, "%s: empty", what);
	if (r == 0) {
		*size = (int64_t)blob_writer_size(w);
		r = blob_writer_commit(w, layer_stream_digest(st), -1, digest, err);
	}
	return r;
}

static int build_config(const struct import_options *o, const char *diff_id, const char *source, char **out,
			cell_error **err)
{
	char created[64];
	rfc3339_now(created, sizeof(created));
	struct platform host;
	const struct platform *p = o->platform;
	if (!p) {
		platform_host(&host);
		p = &host;
	}
	_cleanup_json_ json_t *cfg = json_object();
	for (size_t i = 0; o->changes && o->changes[i]; i++)
		if (image_apply_change(cfg, o->changes[i], err) < 0)
			return -EINVAL;
	char by[4200];
	snprintf(by, sizeof(by), "cell import %s", source);
	_cleanup_json_ json_t *doc = json_pack(
	    "{s:s, s:s, s:s, s:O, s:{s:s, s:[s]}, s:[{s:s, s:s, s:s*}]}", "created", created, "architecture",
	    p->architecture, "os", p->os, "config", cfg, "rootfs", "type", "layers", "diff_ids", diff_id,
	    "history", "created", created, "created_by", by, "comment", o->message);
	if (doc && p->variant[0])
		json_object_set_new(doc, "variant", json_string(p->variant));
	*out = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	return *out ? 0 : cell_error_set(err, ENOMEM, "out of memory");
}

int image_import(struct image_store *s, const char *path, const struct import_options *o, char *id,
		 cell_error **err)
{
	bool is_stdin = !path || strcmp(path, "-") == 0;
	const char *what = is_stdin ? "standard input" : path;
	_cleanup_free_ char *name = NULL;
	if (o->name) {
		struct image_ref ref;
		int r = image_ref_parse(o->name, IMAGE_REF_LOCALHOST, &ref, err);
		if (r < 0)
			return r;
		if (!ref.tag) {
			image_ref_clear(&ref);
			return cell_error_set(err, EINVAL, "import: %s: a name with a digest cannot be given",
					      o->name);
		}
		name = image_ref_format(&ref);
		image_ref_clear(&ref);
		if (!name)
			return cell_error_set(err, ENOMEM, "out of memory");
	}
	/* Check the changes before reading anything. */
	_cleanup_json_ json_t *probe = json_object();
	for (size_t i = 0; o->changes && o->changes[i]; i++)
		if (image_apply_change(probe, o->changes[i], err) < 0)
			return -EINVAL;
	_cleanup_close_ int fd = is_stdin ? -EBADF : open(path, O_RDONLY | O_CLOEXEC);
	if (!is_stdin && fd < 0)
		return cell_error_errno(err, errno, "open %s", path);
	int r = image_store_lock(s, true, err);
	if (r < 0)
		return r;
	char layer[DIGEST_BUF], config[DIGEST_BUF], digest[DIGEST_BUF];
	int64_t lsize = 0;
	_cleanup_free_ char *ctext = NULL, *mtext = NULL;
	blob_store_defer_sync(s->blobs, true);
	r = store_layer(s, is_stdin ? STDIN_FILENO : fd, what, layer, &lsize, err);
	if (r == 0)
		r = build_config(o, layer, what, &ctext, err);
	if (r == 0)
		r = blob_store_put(s->blobs, ctext, strlen(ctext), NULL, config, err);
	if (r == 0) {
		_cleanup_json_ json_t *m =
		    json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[{s:s, s:s, s:I}]}", "schemaVersion", 2,
			      "mediaType", MT_OCI_MANIFEST, "config", "mediaType", MT_OCI_CONFIG, "digest",
			      config, "size", (json_int_t)strlen(ctext), "layers", "mediaType", MT_OCI_LAYER,
			      "digest", layer, "size", (json_int_t)lsize);
		mtext = m ? json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		if (!mtext)
			r = cell_error_set(err, ENOMEM, "out of memory");
	}
	const char *names[2] = {name, NULL};
	if (r == 0)
		r = image_store_commit(s, mtext, strlen(mtext), names, digest, err);
	if (r < 0) {
		_cleanup_error_ cell_error *gc_err = NULL;
		if (image_store_gc(s, &gc_err) < 0)
			log_warning("%s", gc_err->msg);
	}
	blob_store_defer_sync(s->blobs, false);
	image_store_unlock(s);
	if (r < 0)
		return cell_error_prefix(err, "import %s", what);
	memcpy(id, config, DIGEST_BUF);
	return 0;
}
