#include "runspec.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/signal.h"
#include "base/strv.h"
#include "user.h"

void image_run_clear(struct image_run *r)
{
	json_decref(r->process);
	json_decref(r->annotations);
	strv_free(r->volumes);
	strv_free(r->ports);
	memset(r, 0, sizeof(*r));
}

static json_t *strv_json(const char *const *v)
{
	json_t *a = json_array();
	for (size_t i = 0; a && v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

int image_run_from_config(const struct image_config *c, int rootfd, const struct image_run_overrides *o,
			  struct image_run *out, cell_error **err)
{
	static const struct image_run_overrides none = {0};
	if (!o)
		o = &none;
	memset(out, 0, sizeof(*out));
	struct image_run r = {0};

	const char *const *ep = o->entrypoint ? o->entrypoint : (const char *const *)c->entrypoint;
	/* A new entrypoint drops the image's Cmd, as Docker does. */
	const char *const *cmd = o->cmd ? o->cmd : o->entrypoint ? NULL : (const char *const *)c->cmd;
	json_t *args = strv_json(ep);
	json_t *tail = strv_json(cmd);
	if (args && tail)
		json_array_extend(args, tail);
	json_decref(tail);

	const char *user = o->user ? o->user : c->user ? c->user : "";
	struct image_user u;
	int rr = image_user_resolve(rootfd, user, &u, err);
	if (rr < 0) {
		json_decref(args);
		return cell_error_prefix(err, "image user");
	}
	json_t *juser = json_pack("{s:I, s:I}", "uid", (json_int_t)u.uid, "gid", (json_int_t)u.gid);
	if (juser && u.n_additional) {
		json_t *g = json_array();
		for (size_t i = 0; g && i < u.n_additional; i++)
			json_array_append_new(g, json_integer(u.additional_gids[i]));
		json_object_set_new(juser, "additionalGids", g);
	}
	const char *cwd = o->working_dir && *o->working_dir   ? o->working_dir
			  : c->working_dir && *c->working_dir ? c->working_dir
							      : "/";
	json_t *env = strv_json((const char *const *)c->env);
	if (env && !strv_env_get((char *const *)c->env, "HOME")) {
		char *home = NULL;
		if (asprintf(&home, "HOME=%s", u.home) >= 0)
			json_array_append_new(env, json_string(home));
		free(home);
	}
	image_user_clear(&u);
	r.process = json_pack("{s:o*, s:o*, s:s, s:o*}", "args", args, "env", env, "cwd", cwd, "user", juser);
	if (!r.process || cwd[0] != '/') {
		image_run_clear(&r);
		if (cwd[0] != '/')
			return cell_error_set(err, EINVAL, "image WorkingDir \"%s\" is not absolute", cwd);
		return cell_error_set(err, ENOMEM, "out of memory");
	}

	r.annotations = json_object();
	const char *k;
	json_t *v;
	json_object_foreach (c->labels, k, v)
		json_object_set(r.annotations, k, v);
	r.stop_signal = SIGTERM;
	if (c->stop_signal && *c->stop_signal) {
		int sig = signal_parse(c->stop_signal);
		if (sig < 0) {
			image_run_clear(&r);
			return cell_error_set(err, EINVAL, "image StopSignal \"%s\" is not a signal",
					      c->stop_signal);
		}
		r.stop_signal = sig;
		json_object_set_new(r.annotations, "org.opencontainers.image.stopSignal",
				    json_string(c->stop_signal));
	}
	if (c->exposed_ports && c->exposed_ports[0]) {
		size_t len = 1;
		for (size_t i = 0; c->exposed_ports[i]; i++)
			len += strlen(c->exposed_ports[i]) + 1;
		char *joined = calloc(1, len);
		for (size_t i = 0; joined && c->exposed_ports[i]; i++) {
			if (i)
				strcat(joined, ",");
			strcat(joined, c->exposed_ports[i]);
		}
		if (joined)
			json_object_set_new(r.annotations, "org.opencontainers.image.exposedPorts",
					    json_string(joined));
		free(joined);
	}
	for (size_t i = 0; c->volumes && c->volumes[i]; i++)
		if (strv_push(&r.volumes, c->volumes[i]) < 0) {
			image_run_clear(&r);
			return cell_error_set(err, ENOMEM, "out of memory");
		}
	for (size_t i = 0; c->exposed_ports && c->exposed_ports[i]; i++)
		if (strv_push(&r.ports, c->exposed_ports[i]) < 0) {
			image_run_clear(&r);
			return cell_error_set(err, ENOMEM, "out of memory");
		}
	if ((!r.volumes && !(r.volumes = calloc(1, sizeof(char *)))) ||
	    (!r.ports && !(r.ports = calloc(1, sizeof(char *))))) {
		image_run_clear(&r);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	*out = r;
	return 0;
}
