#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"

void image_config_clear(struct image_config *c)
{
	free(c->entrypoint);
	free(c->cmd);
	free(c->env);
	free(c->volumes);
	free(c->exposed_ports);
	free(c->diff_ids);
	free(c->history);
	json_decref(c->json);
	memset(c, 0, sizeof(*c));
}

/* Volumes and ExposedPorts are objects whose keys are the values. */
static int keys_of(const json_t *obj, const char *where, const char *key, const char ***out, cell_error **err)
{
	json_t *o = NULL;
	if (json_get_object(obj, where, key, false, &o, err) < 0)
		return -EINVAL;
	if (!o)
		return 0;
	const char **v = calloc(json_object_size(o) + 1, sizeof(char *));
	if (!v)
		return cell_error_set(err, ENOMEM, "out of memory");
	size_t n = 0;
	const char *k;
	json_t *val;
	json_object_foreach (o, k, val)
		v[n++] = k;
	*out = v;
	return 0;
}

static int parse_run_config(const json_t *cfg, struct image_config *c, cell_error **err)
{
	const char *w = "config";
	if (json_get_strv(cfg, w, "Entrypoint", false, &c->entrypoint, err) < 0 ||
	    json_get_strv(cfg, w, "Cmd", false, &c->cmd, err) < 0 ||
	    json_get_strv(cfg, w, "Env", false, &c->env, err) < 0 ||
	    json_get_string(cfg, w, "WorkingDir", false, &c->working_dir, err) < 0 ||
	    json_get_string(cfg, w, "User", false, &c->user, err) < 0 ||
	    json_get_string(cfg, w, "StopSignal", false, &c->stop_signal, err) < 0 ||
	    keys_of(cfg, w, "Volumes", &c->volumes, err) < 0 ||
	    keys_of(cfg, w, "ExposedPorts", &c->exposed_ports, err) < 0 ||
	    json_get_object(cfg, w, "Labels", false, &c->labels, err) < 0)
		return -EINVAL;
	for (size_t i = 0; c->env && c->env[i]; i++)
		if (!strchr(c->env[i], '=') || c->env[i][0] == '=')
			return cell_error_set(err, EINVAL, "config.Env[%zu]: \"%s\" is not NAME=VALUE", i,
					      c->env[i]);
	const char *k;
	json_t *v;
	json_object_foreach (c->labels, k, v)
		if (!json_is_string(v))
			return cell_error_set(err, EINVAL, "config.Labels.%s: must be a string", k);
	return 0;
}

static int parse_history(const json_t *doc, struct image_config *c, cell_error **err)
{
	json_t *h = NULL;
	if (json_get_array(doc, "", "history", false, &h, err) < 0)
		return -EINVAL;
	size_t n = h ? json_array_size(h) : 0;
	c->history = calloc(n ? n : 1, sizeof(*c->history));
	if (!c->history)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		char w[64];
		json_t *e = json_array_get(h, i);
		struct image_history *x = &c->history[i];
		json_path_index(w, sizeof(w), "", "history", i);
		if (!json_is_object(e))
			return cell_error_set(err, EINVAL, "%s: must be an object", w);
		if (json_get_string(e, w, "created", false, &x->created, err) < 0 ||
		    json_get_string(e, w, "created_by", false, &x->created_by, err) < 0 ||
		    json_get_string(e, w, "comment", false, &x->comment, err) < 0 ||
		    json_get_string(e, w, "author", false, &x->author, err) < 0 ||
		    json_get_bool(e, w, "empty_layer", false, &x->empty_layer, err) < 0)
			return -EINVAL;
	}
	c->n_history = n;
	return 0;
}

int image_config_parse(const char *buf, size_t len, const char *what, struct image_config *out,
		       cell_error **err)
{
	memset(out, 0, sizeof(*out));
	json_t *doc = NULL;
	int r = json_load_buffer(buf, len, what, &doc, err);
	if (r < 0)
		return r;
	out->json = doc;
	if (!json_is_object(doc)) {
		image_config_clear(out);
		return cell_error_set(err, EINVAL, "%s: must be a JSON object", what);
	}
	json_t *cfg = NULL, *rootfs = NULL, *ids = NULL;
	const char *type = NULL;
	r = 0;
	if (json_get_string(doc, "", "architecture", true, &out->architecture, err) < 0 ||
	    json_get_string(doc, "", "os", true, &out->os, err) < 0 ||
	    json_get_string(doc, "", "variant", false, &out->variant, err) < 0 ||
	    json_get_string(doc, "", "created", false, &out->created, err) < 0 ||
	    json_get_string(doc, "", "author", false, &out->author, err) < 0 ||
	    json_get_object(doc, "", "config", false, &cfg, err) < 0 ||
	    json_get_object(doc, "", "rootfs", true, &rootfs, err) < 0 ||
	    json_get_string(rootfs, "rootfs", "type", true, &type, err) < 0 ||
	    json_get_array(rootfs, "rootfs", "diff_ids", true, &ids, err) < 0)
		r = -EINVAL;
	if (r == 0 && strcmp(type, "layers") != 0)
		r = cell_error_set(err, EINVAL, "rootfs.type: must be \"layers\", not \"%s\"", type);
	if (r == 0 && cfg)
		r = parse_run_config(cfg, out, err);
	if (r == 0) {
		size_t n = json_array_size(ids);
		out->diff_ids = calloc(n ? n : 1, DIGEST_BUF);
		if (!out->diff_ids)
			r = cell_error_set(err, ENOMEM, "out of memory");
		for (size_t i = 0; r == 0 && i < n; i++) {
			const char *d = json_string_value(json_array_get(ids, i));
			if (!d || !digest_valid(d))
				r = cell_error_set(err, EINVAL, "rootfs.diff_ids[%zu]: not a sha256 digest",
						   i);
			else
				memcpy(out->diff_ids[i], d, DIGEST_BUF);
		}
		out->n_diff_ids = n;
	}
	if (r == 0)
		r = parse_history(doc, out, err);
	if (r < 0) {
		image_config_clear(out);
		return r;
	}
	return 0;
}
