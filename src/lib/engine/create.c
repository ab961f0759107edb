#include "create.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/json.h"
#include "base/path.h"
#include "base/strv.h"
#include "base/timefmt.h"
#include "hostfiles.h"
#include "image/user.h"
#include "seccomp_profile.h"
#include "spec.h"
#include "storage/tree.h"
#include "volumes.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static json_t *strv_json(const char *const *v)
{
	json_t *a = json_array();
	for (size_t i = 0; a && v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* Image env, then the user's (a KEY replaces the image's), PATH if none. */
static json_t *merged_env(const struct image_config *ic, char *const *user)
{
	_cleanup_strv_ char **env = NULL;
	for (size_t i = 0; ic->env && ic->env[i]; i++)
		strv_push(&env, ic->env[i]);
	for (size_t i = 0; user && user[i]; i++) {
		const char *eq = strchr(user[i], '=');
		size_t kl = eq ? (size_t)(eq - user[i]) + 1 : strlen(user[i]);
		bool replaced = false;
		for (size_t k = 0; env && env[k]; k++)
			if (strncmp(env[k], user[i], kl) == 0) {
				free(env[k]);
				env[k] = strdup(user[i]);
				replaced = true;
				break;
			}
		if (!replaced)
			strv_push(&env, user[i]);
	}
	if (!strv_env_get(env, "PATH"))
		strv_push(&env, DEFAULT_PATH);
	return strv_json((const char *const *)env);
}

/* Docker's rules: --entrypoint replaces the image's and drops its Cmd;
 * arguments after the image replace Cmd. */
static int command(const struct create_request *req, const struct image_config *ic, json_t **ep_out,
		   json_t **cmd_out, json_t **args_out, cell_error **err)
{
	json_t *ep = req->entrypoint ? (*req->entrypoint ? json_pack("[s]", req->entrypoint) : json_array())
				     : strv_json(ic->entrypoint);
	json_t *cmd = req->cmd && req->cmd[0] ? strv_json((const char *const *)req->cmd)
		      : req->entrypoint       ? json_array()
					      : strv_json(ic->cmd);
	json_t *args = json_array();
	json_array_extend(args, ep);
	json_array_extend(args, cmd);
	if (json_array_size(args) == 0) {
		json_decref(ep);
		json_decref(cmd);
		json_decref(args);
		return cell_error_set(err, EINVAL,
				      "no command specified: the image %s has none; give one after it",
				      req->image);
	}
	*ep_out = ep;
	*cmd_out = cmd;
	*args_out = args;
	return 0;
}

static json_t *labels_of(const struct image_config *ic, json_t *user)
{
	json_t *l = json_is_object(ic->labels) ? json_deep_copy(ic->labels) : json_object();
	if (json_is_object(user))
		json_object_update(l, user);
	return l;
}

static int build_config(const struct create_request *req, const struct image *img, const char *hostname,
			json_t **out, json_t **args, cell_error **err)
{
	const struct image_config *ic = &img->config;
	json_t *ep = NULL, *cmd = NULL;
	int r = command(req, ic, &ep, &cmd, args, err);
	if (r < 0)
		return r;
	const char *stop = req->stop_signal                      ? req->stop_signal
			   : ic->stop_signal && *ic->stop_signal ? ic->stop_signal
								 : "SIGTERM";
	*out = json_pack(
	    "{s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:o, s:b, s:b, s:b, s:b, s:b, s:b, s:s, s:i, s:o}",
	    "Hostname", hostname, "User",
	    req->user  ? req->user
	    : ic->user ? ic->user
		       : "",
	    "Env", merged_env(ic, req->env), "Cmd", cmd, "Entrypoint", ep, "Image", req->image, "WorkingDir",
	    req->workdir      ? req->workdir
	    : ic->working_dir ? ic->working_dir
			      : "",
	    "Labels", labels_of(ic, req->labels), "Tty", req->tty, "OpenStdin", req->interactive, "StdinOnce",
	    req->interactive && !req->detach, "AttachStdin", req->interactive && !req->detach, "AttachStdout",
	    !req->detach, "AttachStderr", !req->detach, "StopSignal", stop, "StopTimeout",
	    req->stop_timeout >= 0 ? req->stop_timeout : 10, "Volumes", strv_json(ic->volumes));
	if (!*out) {
		json_decref(*args);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

static json_t *ulimits_json(const struct create_request *req)
{
	json_t *a = json_array();
	for (size_t i = 0; i < req->n_ulimits; i++) {
		const struct opt_ulimit *u = &req->ulimits[i];
		char name[24];
		snprintf(name, sizeof(name), "%s", u->name + 7);
		for (char *p = name; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		json_array_append_new(
		    a, json_pack("{s:s, s:I, s:I}", "Name", name, "Soft",
				 (json_int_t)(u->soft == UINT64_MAX ? -1 : (json_int_t)u->soft), "Hard",
				 (json_int_t)(u->hard == UINT64_MAX ? -1 : (json_int_t)u->hard)));
	}
	return a;
}

static int seccomp_for(const struct create_request *req, char *const *caps, json_t **out, const char **label,
		       cell_error **err)
{
	const struct opt_security *sec = req->security;
	*out = NULL;
	if (req->privileged || (sec && sec->seccomp_unconfined)) {
		*label = "unconfined";
		return 0;
	}
	if (sec && sec->seccomp_profile) {
		_cleanup_free_ char *text = NULL;
		size_t len = 0;
		int r = read_file_at(AT_FDCWD, sec->seccomp_profile, 4 << 20, &text, &len);
		if (r < 0)
			return cell_error_errno(err, r, "--security-opt seccomp=%s", sec->seccomp_profile);
		*label = sec->seccomp_profile;
		return seccomp_profile_from_file(text, len, sec->seccomp_profile, caps, out, err);
	}
	*label = "default";
	*out = seccomp_profile_default(caps);
	return *out ? 0 : cell_error_set(err, ENOMEM, "out of memory");
}

static int build_host_config(const struct create_request *req, json_t **out, json_t **seccomp,
			     cell_error **err)
{
	json_t *add = strv_json((const char *const *)req->cap_add);
	json_t *drop = strv_json((const char *const *)req->cap_drop);
	_cleanup_strv_ char **caps = NULL;
	int r = engine_caps(req->privileged, add, drop, &caps, err);
	const char *label = "default";
	if (r == 0)
		r = seccomp_for(req, caps, seccomp, &label, err);
	if (r < 0) {
		json_decref(add);
		json_decref(drop);
		return r;
	}
	const char *driver = req->log_driver && strcmp(req->log_driver, "none") == 0 ? "none" : "k8s-file";
	int64_t max_size = req->log_max_size >= 0 ? req->log_max_size : ENGINE_LOG_MAX_SIZE;
	int max_files = req->log_max_files >= 1 ? req->log_max_files : ENGINE_LOG_MAX_FILES;
	const struct opt_security *sec = req->security;
	*out =
	    json_pack("{s:b, s:{s:s, s:i}, s:b, s:b, s:o, s:o, s:o, s:b, s:s, s:s, s:I, s:I, s:I, s:o, s:s, "
		      "s:b, s:{s:s, s:{s:I, s:i}}}",
		      "AutoRemove", req->autoremove, "RestartPolicy", "Name",
		      opt_restart_name(req->restart.policy), "MaximumRetryCount", req->restart.max_retries,
		      "Privileged", req->privileged, "ReadonlyRootfs", req->read_only, "CapAdd", add,
		      "CapDrop", drop, "SecurityOpt", strv_json((const char *const *)req->security_opts),
		      "NoNewPrivileges", sec && sec->no_new_privileges, "AppArmorProfile",
		      sec && sec->apparmor ? sec->apparmor : "", "SeccompProfile", label, "Memory",
		      (json_int_t)req->memory, "NanoCpus", (json_int_t)req->nano_cpus, "PidsLimit",
		      (json_int_t)req->pids_limit, "Ulimits", ulimits_json(req), "NetworkMode",
		      req->network ? req->network : "none", "Init", req->init, "LogConfig", "Type", driver,
		      "Config", "MaxSizeBytes", (json_int_t)max_size, "MaxFiles", max_files);
	if (!*out) {
		json_decref(*seccomp);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

static bool same_target(json_t *mounts, const char *target)
{
	size_t i;
	json_t *m;
	json_array_foreach (mounts, i, m)
		if (strcmp(json_string_value(json_object_get(m, "Destination")) ?: "", target) == 0)
			return true;
	return false;
}

/* One mount of the request as a record with its host path; volumes are
 * made as needed (their names go to made, to undo on failure). */
static int resolve_mount(struct engine *e, const struct mount_spec *m, json_t *mounts, char ***made,
			 cell_error **err)
{
	if (same_target(mounts, m->target))
		return cell_error_set(err, EINVAL, "duplicate mount point: %s", m->target);
	if (m->kind == MOUNT_SPEC_BIND) {
		struct stat st;
		if (stat(m->source, &st) < 0) {
			if (errno != ENOENT || m->must_exist)
				return cell_error_errno(err, errno, "bind source path %s", m->source);
			/* -v makes a missing host directory, as Docker's does. */
			int r = mkdir_parents(m->source, 0755);
			if (r < 0)
				return cell_error_errno(err, r, "create bind source %s", m->source);
		}
		return json_array_append_new(mounts, mount_spec_to_json(m, m->source)) < 0
			   ? cell_error_set(err, ENOMEM, "out of memory")
			   : 0;
	}
	if (m->kind == MOUNT_SPEC_TMPFS)
		return json_array_append_new(mounts, mount_spec_to_json(m, NULL)) < 0
			   ? cell_error_set(err, ENOMEM, "out of memory")
			   : 0;
	_cleanup_free_ char *name = NULL;
	bool created = false;
	int r = volume_create(e, m->source, NULL, NULL, &name, &created, err);
	if (r < 0)
		return r;
	if (created && !m->source)
		strv_push(made, name);
	struct mount_spec named = *m;
	named.source = name;
	_cleanup_free_ char *path = volume_data_path(e, name);
	json_t *j = path ? mount_spec_to_json(&named, path) : NULL;
	if (!j)
		return cell_error_set(err, ENOMEM, "out of memory");
	/* A new volume starts with what the image has at its place. */
	json_object_set_new(j, "CopyUp", json_boolean(created && !m->nocopy));
	return json_array_append_new(mounts, j) < 0 ? cell_error_set(err, ENOMEM, "out of memory") : 0;
}

static int resolve_mounts(struct engine *e, const struct create_request *req, const struct image *img,
			  json_t **out, char ***made, cell_error **err)
{
	_cleanup_json_ json_t *mounts = json_array();
	int r;
	for (size_t i = 0; i < req->n_mounts; i++)
		if ((r = resolve_mount(e, &req->mounts[i], mounts, made, err)) < 0)
			return r;
	/* The image's VOLUMEs that nothing else covers get anonymous volumes. */
	for (size_t i = 0; img->config.volumes && img->config.volumes[i]; i++) {
		_cleanup_free_ char *t = path_normalize(img->config.volumes[i]);
		if (!t || same_target(mounts, t))
			continue;
		struct mount_spec m = {.kind = MOUNT_SPEC_VOLUME, .target = t};
		if ((r = resolve_mount(e, &m, mounts, made, err)) < 0)
			return r;
	}
	*out = TAKE_PTR(mounts);
	return 0;
}

struct fill_data {
	json_t *record;
	json_t *state;
	bool durable;
};

static int write_json(int dirfd, const char *name, json_t *j, bool durable, cell_error **err)
{
	_cleanup_free_ char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text)
		return cell_error_set(err, ENOMEM, "out of memory");
	int r = write_file_replace(dirfd, name, text, strlen(text), 0600, durable);
	return r < 0 ? cell_error_errno(err, r, "write %s", name) : 0;
}

static int fill_records(int cdir_fd, void *data, cell_error **err)
{
	struct fill_data *d = data;
	int r = write_json(cdir_fd, "container.json", d->record, d->durable, err);
	return r < 0 ? r : write_json(cdir_fd, "state.json", d->state, d->durable, err);
}

static int check_request(const struct create_request *req, cell_error **err)
{
	if (req->autoremove && req->restart.policy != RESTART_NO)
		return cell_error_set(err, EINVAL, "conflicting options: --restart and --rm");
	if (req->network && strcmp(req->network, "none") != 0 && strcmp(req->network, "host") != 0) {
		if (strcmp(req->network, "bridge") == 0 || strcmp(req->network, "default") == 0)
			return cell_error_set(
			    err, ENOTSUP,
			    "--network %s: bridge networking is not available yet; use none or host",
			    req->network);
		return cell_error_set(err, EINVAL, "--network \"%s\": must be none or host", req->network);
	}
	if (req->log_driver && strcmp(req->log_driver, "k8s-file") != 0 &&
	    strcmp(req->log_driver, "json-file") != 0 && strcmp(req->log_driver, "none") != 0)
		return cell_error_set(err, EINVAL, "--log-driver \"%s\": must be k8s-file or none",
				      req->log_driver);
	if (req->memory && req->memory < 6 * 1024 * 1024)
		return cell_error_set(err, EINVAL, "--memory: the minimum is 6MB");
	if (req->name && !ctr_name_valid(req->name))
		return cell_error_set(err, EINVAL,
				      "invalid container name \"%s\": must match [a-zA-Z0-9][a-zA-Z0-9_.-]*",
				      req->name);
	if (req->workdir && *req->workdir && req->workdir[0] != '/')
		return cell_error_set(err, EINVAL, "--workdir \"%s\": must be an absolute path",
				      req->workdir);
	if (req->hostname && (strlen(req->hostname) > 64 || !*req->hostname))
		return cell_error_set(err, EINVAL, "--hostname \"%s\": must be 1 to 64 characters",
				      req->hostname);
	return 0;
}

static char *hostname_for(const struct create_request *req, const char *id)
{
	if (req->hostname)
		return strdup(req->hostname);
	if (req->network && strcmp(req->network, "host") == 0) {
		char h[HOST_NAME_MAX + 1];
		if (gethostname(h, sizeof(h)) == 0)
			return strdup(h);
	}
	return strndup(id, 12);
}

/* Everything of the record that needs no lock. */
static int build_record(const struct create_request *req, const struct image *img, const char *id,
			json_t **out, cell_error **err)
{
	_cleanup_free_ char *hostname = hostname_for(req, id);
	if (!hostname)
		return cell_error_set(err, ENOMEM, "out of memory");
	json_t *config = NULL, *args = NULL, *hc = NULL, *seccomp = NULL;
	int r = build_config(req, img, hostname, &config, &args, err);
	if (r < 0)
		return r;
	if ((r = build_host_config(req, &hc, &seccomp, err)) < 0) {
		json_decref(config);
		json_decref(args);
		return r;
	}
	char now[48];
	rfc3339_now(now, sizeof(now));
	json_t *path = json_incref(json_array_get(args, 0));
	json_array_remove(args, 0);
	*out = json_pack("{s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:o, s:o, s:o*}", "Id", id, "Created", now,
			 "Path", path, "Args", args, "Image", img->id, "ImageName",
			 img->own_names && img->own_names[0] ? img->own_names[0] : req->image, "ImageDigest",
			 img->digest, "Config", config, "HostConfig", hc, "Seccomp", seccomp);
	return *out ? 0 : cell_error_set(err, ENOMEM, "out of memory");
}

static void undo_volumes(struct engine *e, char **made)
{
	for (size_t i = 0; made && made[i]; i++)
		volume_remove(e, made[i], true, NULL);
}

int engine_create(struct engine *e, const struct create_request *req, char id[CTR_ID_LEN + 1],
		  cell_error **err)
{
	int r = check_request(req, err);
	if (r < 0)
		return r;
	struct image img;
	if ((r = engine_image_for_run(e->store, req->image, req->pull, req->pull_opts, &img, err)) < 0)
		return r;
	_cleanup_json_ json_t *record = NULL, *state = NULL;
	if ((r = ctr_id_new(id, err)) < 0 || (r = build_record(req, &img, id, &record, err)) < 0) {
		image_clear(&img);
		return r;
	}
	state = json_pack("{s:s, s:i, s:i, s:i, s:s, s:s, s:i, s:b}", "Status", "created", "Generation", 0,
			  "RestartCount", 0, "ExitCode", 0, "StartedAt", "", "FinishedAt", "", "Pid", 0,
			  "StopRequested", false);
	if ((r = engine_lock(e, true, err)) < 0) {
		image_clear(&img);
		return r;
	}
	_cleanup_strv_ char **made = NULL;
	_cleanup_free_ char *name = NULL;
	char other[CTR_ID_LEN + 1];
	json_t *mounts = NULL;
	if (req->name && ctr_find_name(e, req->name, other))
		r = cell_error_set(
		    err, EEXIST,
		    "the container name \"%s\" is already in use by container %.12s: remove or rename "
		    "that container to reuse the name",
		    req->name, other);
	else if (req->name)
		name = strdup(req->name);
	else
		r = ctr_name_generate(e, &name, err);
	if (r == 0 && !name)
		r = cell_error_set(err, ENOMEM, "out of memory");
	if (r == 0 && (r = resolve_mounts(e, req, &img, &mounts, &made, err)) == 0) {
		json_object_set_new(record, "Name", json_string(name));
		json_object_set_new(record, "Mounts", mounts);
		json_object_set_new(record, "Driver", json_string(storage_driver_name(e->store->storage)));
		_cleanup_free_ char *dir = engine_container_path(e, id);
		char log[PATH_MAX];
		snprintf(log, sizeof(log), "%s/ctr.log", dir ? dir : "");
		json_object_set_new(record, "LogPath", json_string(log));
		/* A container removed when it exits does not need to survive a
		 * crash of the machine: its records are not flushed one by one. */
		struct fill_data d = {.record = record, .state = state, .durable = !req->autoremove};
		storage_set_durable(e->store->storage, d.durable);
		r = storage_container_create_with(e->store->storage, id, img.digest, img.n_layers,
						  img.chain_ids, fill_records, &d, err);
		storage_set_durable(e->store->storage, true);
	}
	if (r < 0)
		undo_volumes(e, made);
	engine_unlock(e);
	image_clear(&img);
	return r;
}

/* A new volume gets what the image has where it is mounted. */
static int copy_up(struct engine *e, json_t *m, int rootfd, cell_error **err)
{
	const char *name = json_string_value(json_object_get(m, "Name"));
	const char *dest = json_string_value(json_object_get(m, "Destination"));
	if (!name || !dest)
		return 0;
	_cleanup_close_ int dst = volume_data_fd(e, name, err);
	if (dst < 0)
		return dst;
	_cleanup_close_ int src =
	    path_open_in_root(rootfd, dest, O_RDONLY | O_DIRECTORY, PATH_CREATE_NONE, 0);
	if (src < 0)
		return 0; /* nothing there in the image */
	int dup = fcntl(dst, F_DUPFD_CLOEXEC, 3);
	DIR *d = dup >= 0 ? fdopendir(dup) : NULL;
	bool empty = true;
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = false;
	if (d)
		closedir(d);
	else if (dup >= 0)
		close(dup);
	if (!empty)
		return 0;
	char what[PATH_MAX];
	snprintf(what, sizeof(what), "the image's %s into volume %s", dest, name);
	return tree_copy(src, dst, what, err);
}

int engine_prepare_bundle(struct engine *e, struct ctr *c, const char *rootfs, cell_error **err)
{
	if (faccessat(c->dirfd, "config.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	_cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return cell_error_errno(err, errno, "open %s", rootfs);
	struct image_user u;
	int r = image_user_resolve(rootfd, ctr_str(c->record, "Config.User") ?: "", &u, err);
	if (r < 0)
		return cell_error_prefix(err, "unable to find the user of container %s", ctr_name(c));
	_cleanup_json_ json_t *user =
	    json_pack("{s:I, s:I}", "uid", (json_int_t)u.uid, "gid", (json_int_t)u.gid);
	if (user && u.n_additional) {
		json_t *g = json_array();
		for (size_t i = 0; i < u.n_additional; i++)
			json_array_append_new(g, json_integer(u.additional_gids[i]));
		json_object_set_new(user, "additionalGids", g);
	}
	image_user_clear(&u);
	struct hostfiles_input hf = {
	    .hostname = ctr_str(c->record, "Config.Hostname") ?: c->id,
	    .name = ctr_name(c),
	    .host_network = strcmp(ctr_str(c->record, "HostConfig.NetworkMode") ?: "", "host") == 0,
	    .durable = c->durable,
	};
	if ((r = hostfiles_write(c->dirfd, &hf, err)) < 0)
		return r;
	bool changed = false;
	size_t i;
	json_t *m;
	json_array_foreach (json_object_get(c->record, "Mounts"), i, m) {
		if (!json_is_true(json_object_get(m, "CopyUp")))
			continue;
		if ((r = copy_up(e, m, rootfd, err)) < 0)
			return r;
		json_object_set_new(m, "CopyUp", json_false());
		changed = true;
	}
	if (changed && (r = ctr_save_record(c, err)) < 0)
		return r;
	_cleanup_free_ char *dir = engine_container_path(e, c->id);
	_cleanup_free_ char *init =
	    ctr_bool(c->record, "HostConfig.Init") ? engine_helper_path("cell-init") : NULL;
	json_t *seccomp = json_object_get(c->record, "Seccomp");
	struct spec_input in = {
	    .id = c->id,
	    .rootfs = rootfs,
	    .ctr_dir = dir,
	    .record = c->record,
	    .user = user,
	    .seccomp = json_is_object(seccomp) ? seccomp : NULL,
	    .init_path = init,
	};
	_cleanup_json_ json_t *spec = NULL;
	if ((r = engine_spec_build(&in, &spec, err)) < 0)
		return r;
	_cleanup_free_ char *text = json_dumps(spec, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text)
		return cell_error_set(err, ENOMEM, "out of memory");
	return ctr_write_file(c, "config.json", text, err);
}
