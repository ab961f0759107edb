/* create and run: everything the parent does around the one clone3(). */
#include "create.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/file.h"
#include "base/json.h"
#include "base/log.h"
#include "base/path.h"
#include "base/strv.h"
#include "base/timefmt.h"
#include "cell-config.h"
#include "cgroup/cgroup.h"
#include "cgroup/resources.h"
#include "cgroup/systemd.h"
#include "checkpoint.h"
#include "console.h"
#include "lifecycle.h"
#include "linux/caps.h"
#include "linux/clone.h"
#include "linux/devices.h"
#include "linux/hooks.h"
#include "linux/init.h"
#include "linux/lsm.h"
#include "linux/namespaces.h"
#include "linux/seccomp.h"
#include "linux/sync.h"
#include "linux/userns.h"
#include "notify.h"
#include "passwd.h"
#include "pidutil.h"
#include "spec/validate.h"
#include "state.h"

/* Everything create holds while it works; released by create_release(). */
struct create {
	const struct runtime_opts *g;
	const struct create_opts *o;
	bool run_mode;
	bool detach; /* run -d */
	struct oci_config *config;
	char *bundle;
	int bundle_fd;
	char *rootfs;
	int state_root_fd;
	int dirfd; /* ROOT/ID, locked */
	bool dir_made;
	struct cgroup *cgroup;
	bool cgroup_made;
	/* Made after the clone, while the init starts (cgroup_after_clone()),
	 * with these limits. */
	bool cgroup_late;
	struct cgroup_resources *late_resources;
	struct cgroup_resources *resources; /* for systemd, applied once its scope exists */
	struct cgroup_join join;            /* how the init enters the cgroup itself */
	bool join_unified_by_pid;           /* CLONE_INTO_CGROUP was refused: we move it */
	struct init_plan plan;
	struct cgroup_mount_source *cg_sources;
	char **env;
	char *hook_state[2]; /* for the createContainer and startContainer hooks, without pid */
	int sync_fd;         /* the parent's end */
	pid_t child;         /* what clone3 returned (stage one in a two-stage start) */
	pid_t pid;           /* the container's init */
	int pidfd;
	int console_sock; /* --console-socket, connected */
	int console_fd;   /* the pty master the init sent */
	json_t *record;
	/* NOTIFY_SOCKET: the host's socket, and the mount that shows ours */
	const char *notify_host;
	char *notify_src;
	struct oci_mount notify_mount;
	int notify_fd;
};

static void close_device_fds(struct create *cr)
{
	for (size_t i = 0; cr->plan.device_fds && i < cr->config->linux_.n_devices; i++)
		if (cr->plan.device_fds[i] >= 0)
			close(cr->plan.device_fds[i]);
	free(cr->plan.device_fds);
	cr->plan.device_fds = NULL;
}

static void create_release(struct create *cr)
{
	if (cr->plan.mounts) {
		for (size_t i = 0; i < cr->plan.n_mounts; i++)
			mount_plan_release(&cr->plan.mounts[i]);
		free(cr->plan.mounts);
	}
	ns_close_fds(cr->plan.ns_fds);
	if (cr->config)
		close_device_fds(cr);
	seccomp_plan_release(&cr->plan.seccomp);
	if (cr->plan.sync_fd >= 0)
		close(cr->plan.sync_fd);
	if (cr->plan.start_fd >= 0)
		close(cr->plan.start_fd);
	free(cr->cg_sources);
	strv_free(cr->env);
	free(cr->hook_state[0]);
	free(cr->hook_state[1]);
	if (cr->sync_fd >= 0)
		close(cr->sync_fd);
	if (cr->pidfd >= 0)
		close(cr->pidfd);
	if (cr->console_sock >= 0)
		close(cr->console_sock);
	if (cr->console_fd >= 0)
		close(cr->console_fd);
	if (cr->dirfd >= 0)
		close(cr->dirfd);
	if (cr->state_root_fd >= 0)
		close(cr->state_root_fd);
	if (cr->bundle_fd >= 0)
		close(cr->bundle_fd);
	cgroup_join_close(&cr->join);
	cgroup_free(cr->cgroup);
	cgroup_resources_free(cr->resources);
	cgroup_resources_free(cr->late_resources);
	json_decref(cr->record);
	free(cr->notify_src);
	if (cr->notify_fd >= 0)
		close(cr->notify_fd);
	free(cr->rootfs);
	free(cr->bundle);
	oci_config_free(cr->config);
}

/* Undo what a failed create did: the process, the cgroup, the state. */
static void create_undo(struct create *cr)
{
	if (cr->child > 0) {
		kill(cr->child, SIGKILL);
		waitpid(cr->child, NULL, 0);
	}
	if (cr->pid > 0 && cr->pid != cr->child) {
		kill(cr->pid, SIGKILL);
		waitpid(cr->pid, NULL, 0);
	}
	if (cr->cgroup_made) {
		cell_error *e = NULL;
		if (cgroup_destroy(cr->cgroup, 5000, &e) < 0) {
			log_warning("%s", e->msg);
			cell_error_free(e);
		}
	}
	if (cr->dir_made)
		remove_tree_at(cr->state_root_fd, cr->o->id);
}

static int move_fd_above(int *fd, int min)
{
	if (*fd < 0 || *fd >= min)
		return 0;
	int n = fcntl(*fd, F_DUPFD_CLOEXEC, min);
	if (n < 0)
		return -errno;
	close(*fd);
	*fd = n;
	return 0;
}

/* runc's rules: a terminal needs someone at the other end, the console
 * socket or (foreground run) the runtime itself; a console socket needs a
 * terminal to carry. Checked on the config as read, before its details, as
 * the command line's own mistake. */
static int check_terminal(struct create *cr, json_t *config, cell_error **err)
{
	bool terminal = json_is_true(json_object_get(json_object_get(config, "process"), "terminal"));
	bool foreground = cr->run_mode && !cr->detach;
	const char *sock = cr->o->console_socket;
	if (terminal && !sock && !foreground && !cr->o->console_master)
		return cell_error_set(
		    err, EINVAL,
		    "process.terminal: a detached container's terminal needs a receiver: use "
		    "--console-socket");
	if (sock && (!terminal || foreground))
		return cell_error_set(
		    err, EINVAL,
		    "--console-socket: only for a container with process.terminal that runs "
		    "detached (create, run -d)");
	if (sock)
		return console_socket_connect(sock, &cr->console_sock, err);
	return 0;
}

static int open_bundle(struct create *cr, cell_error **err)
{
	const struct create_opts *o = cr->o;
	char buf[PATH_MAX];
	const char *b = o->bundle && *o->bundle ? o->bundle : ".";
	if (!realpath(b, buf))
		return cell_error_errno(err, errno, "bundle %s", b);
	if (!(cr->bundle = strdup(buf)))
		return cell_error_set(err, ENOMEM, "out of memory");
	cr->bundle_fd = open(cr->bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cr->bundle_fd < 0)
		return cell_error_errno(err, errno, "bundle %s", cr->bundle);
	const char *cfg = o->config && *o->config ? o->config : "config.json";
	_cleanup_json_ json_t *json = NULL;
	int r = json_load_file_at(cr->bundle_fd, cfg, 64 << 20, &json, err);
	if (r < 0 || (r = check_terminal(cr, json, err)) < 0)
		return r;
	if ((r = oci_config_parse(json, &cr->config, err)) < 0 ||
	    (r = oci_config_validate(cr->config, err)) < 0)
		return cell_error_prefix(err, "%s", cfg);

	const char *root = cr->config->root_path;
	_cleanup_free_ char *joined = NULL;
	if (root[0] != '/' && asprintf(&joined, "%s/%s", cr->bundle, root) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	if (!realpath(joined ? joined : root, buf))
		return cell_error_errno(err, errno, "root.path %s", root);
	struct stat st;
	if (stat(buf, &st) < 0 || !S_ISDIR(st.st_mode))
		return cell_error_set(err, ENOTDIR, "root.path %s: not a directory", root);
	if (strcmp(buf, "/") == 0)
		return cell_error_set(
		    err, EINVAL,
		    "root.path %s: resolves to the host's /; refusing to make it a container's root", root);
	if (!(cr->rootfs = strdup(buf)))
		return cell_error_set(err, ENOMEM, "out of memory");
	return 0;
}

static int make_state_dir(struct create *cr, cell_error **err)
{
	int r = state_root_open(cr->g->root, true, &cr->state_root_fd, err);
	if (r < 0)
		return r;
	if (mkdirat(cr->state_root_fd, cr->o->id, 0700) < 0) {
		if (errno == EEXIST)
			return cell_error_set(err, EEXIST, "container %s already exists", cr->o->id);
		return cell_error_errno(err, errno, "create the state of container %s", cr->o->id);
	}
	cr->dir_made = true;
	cr->dirfd = openat(cr->state_root_fd, cr->o->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cr->dirfd < 0)
		return cell_error_errno(err, errno, "open the state of container %s", cr->o->id);
	if (flock(cr->dirfd, LOCK_EX) < 0)
		return cell_error_errno(err, errno, "lock container %s", cr->o->id);
	/* Keep the config as it was at create time: later commands (start's
	 * poststart hooks, delete's poststop hooks) read this copy. */
	_cleanup_free_ char *s = json_dumps(cr->config->json, JSON_COMPACT);
	if (!s)
		return cell_error_set(err, ENOMEM, "out of memory");
	r = write_file_at(cr->dirfd, "config.json", s, strlen(s), 0600);
	if (r < 0)
		return cell_error_errno(err, r, "save the config of container %s", cr->o->id);
	return 0;
}

/* Whether linux.resources asks for a limit. Device rules do not count: in a
 * user namespace the kernel already keeps a container from devices. */
static bool asks_limits(const struct cgroup_resources *res)
{
	const char *key;
	json_t *v;
	if (!res || !json_is_object(res->json))
		return false;
	json_object_foreach (res->json, key, v) {
		if (strcmp(key, "devices") != 0)
			return true;
	}
	return false;
}
/* Whether the cgroup can be made after the clone. On a v1 host it is a
 * directory per hierarchy, with device rules and cpusets written file by
 * file: the longest part of a create before the clone (0.6 ms of the 4 of
 * a `run` here). The init joins each hierarchy itself by writing "0" to its
 * tasks file (the fast way, cgroup.h), which it can do whenever we send it
 * the file: so the cgroup is made while the init starts. Not where a
 * unified hierarchy is joined (the init is cloned into it, which must
 * exist first), nor where the cgroup may fail to come and the init must
 * then show another (not root on the host), nor for a new user namespace,
 * a two-stage start or a restore, which place their processes otherwise. */
static bool cgroup_after_clone(const struct create *cr)
{
	const struct oci_config *c = cr->config;
	return cr->g->cgroup_manager == CGROUP_MANAGER_CGROUPFS && cr->cgroup->layout == CGROUP_LAYOUT_V1 &&
	       userns_host_root() && !cr->o->restore && !oci_new_namespace(c, OCI_NS_USER) &&
	       !ns_needs_two_stages(c);
}

/* The cgroup cgroup_after_clone() left for now. The init waits for its
 * tasks files in join_cgroup (linux/init.c). */
static int make_cgroup_late(struct create *cr, cell_error **err)
{
	int r = cgroup_create(cr->cgroup, err);
	if (r < 0)
		return r;
	cr->cgroup_made = true;
	if ((r = cgroup_apply(cr->cgroup, cr->late_resources, false, err)) < 0 ||
	    (r = cgroup_join_open(cr->cgroup, &cr->join, err)) < 0)
		return r;
	for (size_t i = 0; i < cr->join.n; i++) {
		/* A child that failed already reads none of them; its report follows. */
		r = sync_send(cr->sync_fd, SYNC_CGROUP_TASKS, (int64_t)i, cr->join.tasks_fds[i]);
		if (r < 0 && r != -EPIPE && r != -ECONNRESET)
			return cell_error_errno(err, r, "send cgroup %s to the container init",
						cr->join.names[i]);
	}
	return 0;
}

static int setup_cgroup(struct create *cr, cell_error **err)
{
	const struct oci_config *c = cr->config;
	bool disabled = cr->g->cgroup_manager == CGROUP_MANAGER_DISABLED;
	_cleanup_resources_ struct cgroup_resources *res = NULL;
	int r = cgroup_resources_from_config(c, &res, err);
	if (r < 0)
		return r;
	if (cr->g->cgroup_manager == CGROUP_MANAGER_SYSTEMD) {
		/* The scope can only be made with a process in it: after the clone. */
		if ((r = cgroup_systemd_resolve(c->linux_.cgroups_path, cr->o->id, &cr->cgroup, err)) < 0)
			return r;
		cr->resources = TAKE_PTR(res);
		disabled = true;
	} else if ((r = cgroup_resolve(disabled ? "." : c->linux_.cgroups_path, cr->o->id, &cr->cgroup,
				       err)) < 0) {
		return r;
	}
	if (!disabled && cgroup_after_clone(cr)) {
		cr->cgroup_late = true;
		cr->late_resources = TAKE_PTR(res);
	} else if (!disabled) {
		r = cgroup_create(cr->cgroup, err);
		if (r < 0 && !userns_host_root() && (r == -EACCES || r == -EPERM || r == -EROFS)) {
			/* Rootless without a delegated cgroup: go on without one, as
			 * runc and crun do. Only a config that asks for limits hears
			 * of it: under conmon our stderr is the container's log. */
			if (asks_limits(res))
				log_warning("%s; the limits in linux.resources are not applied", (*err)->msg);
			else
				log_debug("%s; running without a cgroup of its own", (*err)->msg);
			cell_error_free(*err);
			*err = NULL;
			disabled = true;
			/* a cgroup mount then shows the caller's own cgroup */
			cgroup_free(cr->cgroup);
			cr->cgroup = NULL;
			if ((r = cgroup_resolve(".", cr->o->id, &cr->cgroup, err)) < 0)
				return r;
		} else if (r < 0) {
			return r;
		} else {
			cr->cgroup_made = true;
			/* The limits hold before the init is even placed there. */
			if ((r = cgroup_apply(cr->cgroup, res, false, err)) < 0)
				return r;
		}
	}
	/* What a cgroup mount inside the container shows. */
	cr->cg_sources = calloc(cr->cgroup->n_dirs + 1, sizeof(*cr->cg_sources));
	if (!cr->cg_sources)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < cr->cgroup->n_dirs; i++) {
		const struct cgroup_dir *d = &cr->cgroup->dirs[i];
		cr->cg_sources[i] = (struct cgroup_mount_source){
		    .name = d->name, .controllers = d->controllers, .unified = d->unified};
		if (asprintf((char **)&cr->cg_sources[i].host_dir, "%s%s", d->mountpoint, d->path) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
	}
	cr->plan.cgroup = (struct cgroup_mount_info){.sources = cr->cg_sources,
						     .n_sources = cr->cgroup->n_dirs,
						     .v2_only = cr->cgroup->layout == CGROUP_LAYOUT_V2};
	if (disabled) {
		/* Remembered only for the mount; nothing to remove later. */
		cr->cgroup_made = false;
	}
	return 0;
}

static void free_cg_dirs(struct create *cr)
{
	if (!cr->cg_sources)
		return;
	for (size_t i = 0; i < cr->plan.cgroup.n_sources; i++)
		free((char *)cr->cg_sources[i].host_dir);
}

/* HOME from the container's /etc/passwd for uid, or "/". */
static char *home_of(const char *rootfs, uid_t uid)
{
	_cleanup_close_ int rfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return strdup("/");
	return passwd_home(rfd, uid);
}

static int build_env(struct create *cr, int *listen_fds, cell_error **err)
{
	const struct oci_process *p = cr->config->process;
	for (size_t i = 0; p->env[i]; i++)
		if (strv_push(&cr->env, p->env[i]) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
	/* Socket activation: systemd's LISTEN_FDS pass through, for the
	 * container's pid 1. */
	const char *lf = getenv("LISTEN_FDS");
	*listen_fds = 0;
	if (lf && *lf) {
		char *end;
		long n = strtol(lf, &end, 10);
		if (*end == '\0' && n > 0 && n < 65536) {
			char *s = NULL;
			*listen_fds = (int)n;
			if (asprintf(&s, "LISTEN_FDS=%ld", n) < 0 || strv_push_take(&cr->env, s) < 0 ||
			    strv_push(&cr->env, "LISTEN_PID=1") < 0)
				return cell_error_set(err, ENOMEM, "out of memory");
		}
	}
	if (!strv_env_get(cr->env, "HOME")) {
		_cleanup_free_ char *home = home_of(cr->rootfs, p->uid);
		char *s = NULL;
		if (!home || asprintf(&s, "HOME=%s", home) < 0 || strv_push_take(&cr->env, s) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
	}
	if (!cr->env && !(cr->env = calloc(1, sizeof(char *))))
		return cell_error_set(err, ENOMEM, "out of memory");
	return 0;
}

/* The OCI state for hooks; pid < 0 leaves it out (the init adds its own). */
static char *hook_state(const struct create *cr, const char *status, pid_t pid)
{
	_cleanup_json_ json_t *s = json_pack("{s:s, s:s, s:s, s:s}", "ociVersion", CELL_OCI_VERSION, "id",
					     cr->o->id, "status", status, "bundle", cr->bundle);
	if (!s)
		return NULL;
	if (pid >= 0)
		json_object_set_new(s, "pid", json_integer(pid));
	json_t *ann = json_object_get(cr->config->json, "annotations");
	if (json_is_object(ann) && json_object_size(ann))
		json_object_set(s, "annotations", ann);
	return json_dumps(s, JSON_COMPACT);
}

/* The host ids of container root (what owns the notify directory). */
static void root_ids(const struct oci_config *c, uid_t *uid, gid_t *gid)
{
	*uid = 0;
	*gid = 0;
	for (size_t i = 0; i < c->linux_.n_uid_mappings; i++)
		if (c->linux_.uid_mappings[i].container_id == 0)
			*uid = c->linux_.uid_mappings[i].host_id;
	for (size_t i = 0; i < c->linux_.n_gid_mappings; i++)
		if (c->linux_.gid_mappings[i].container_id == 0)
			*gid = c->linux_.gid_mappings[i].host_id;
}

/* With NOTIFY_SOCKET in our environment: a directory of ours in the state
 * dir, bound where the container expects the socket, and the container's
 * NOTIFY_SOCKET pointing at the socket inside it. */
static int setup_notify(struct create *cr, cell_error **err)
{
	static const char *bind_options[] = {"bind", "nosuid", "nodev", "noexec", NULL};
	const char *host = notify_host_socket();
	if (!host || cr->o->restore)
		return 0;
	uid_t uid;
	gid_t gid;
	root_ids(cr->config, &uid, &gid);
	int r = notify_prepare(cr->dirfd, uid, gid, err);
	if (r < 0)
		return r;
	char state[PATH_MAX];
	if ((r = path_of_fd(cr->dirfd, state, sizeof(state))) < 0)
		return cell_error_errno(err, r, "NOTIFY_SOCKET: the state directory");
	char *env = NULL;
	if (asprintf(&cr->notify_src, "%s/" NOTIFY_DIR, state) < 0 ||
	    asprintf(&env, "NOTIFY_SOCKET=%s/notify", host) < 0) {
		free(env);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	/* ours replaces whatever the config said */
	for (size_t i = 0; cr->env && cr->env[i]; i++)
		if (strncmp(cr->env[i], "NOTIFY_SOCKET=", 14) == 0) {
			free(cr->env[i]);
			cr->env[i] = TAKE_PTR(env);
		}
	if (env && strv_push_take(&cr->env, env) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	cr->plan.env = cr->env;
	cr->notify_host = host;
	cr->notify_mount = (struct oci_mount){
	    .destination = host, .type = "bind", .source = cr->notify_src, .options = bind_options};
	return 0;
}

static int build_plan(struct create *cr, cell_error **err)
{
	const struct oci_config *c = cr->config;
	struct init_plan *p = &cr->plan;
	int r, listen_fds = 0;

	p->config = c;
	p->id = cr->o->id;
	p->rootfs = cr->rootfs;
	p->no_pivot = cr->o->no_pivot;
	p->no_new_keyring = cr->o->no_new_keyring;
	p->two_stage = ns_needs_two_stages(c);
	p->dumpable_until_go = !userns_host_root() && oci_new_namespace(c, OCI_NS_USER);
	/* root in someone else's user namespace (rootless podman) is no more
	 * able to make devices than the container's own namespace would be */
	p->in_userns = oci_has_namespace(c, OCI_NS_USER) || !userns_host_root();
	const char *keep = oci_annotation(c, "run.oci.keep_original_groups");
	p->keep_groups = keep && strcmp(keep, "1") == 0;

	if ((r = caps_plan_build(c->process, "process", &p->caps, err)) < 0 ||
	    (r = lsm_plan_build(c, c->process, "process", &p->lsm, err)) < 0)
		return r;
	if ((r = build_env(cr, &listen_fds, err)) < 0)
		return r;
	p->env = cr->env;
	p->preserve_fds = cr->o->preserve_fds + listen_fds;
	if ((r = ns_open_paths(c, p->ns_fds, err)) < 0)
		return r;
	/* A single init enters its cgroup itself (stage one of two is moved
	 * by us before it clones; a systemd scope is made after the clone). */
	if (cr->cgroup_made && !p->two_stage && !cr->resources) {
		if ((r = cgroup_join_open(cr->cgroup, &cr->join, err)) < 0)
			return r;
		p->cgroup_tasks_fds = cr->join.tasks_fds;
		p->cgroup_tasks_names = cr->join.names;
		p->n_cgroup_tasks = cr->join.n;
	}
	if (c->linux_.n_devices) {
		p->device_fds = calloc(c->linux_.n_devices, sizeof(int));
		if (!p->device_fds)
			return cell_error_set(err, ENOMEM, "out of memory");
		if ((r = devices_prepare_detached(c, p->device_fds, err)) < 0)
			return r;
	}

	if ((r = setup_notify(cr, err)) < 0)
		return r;
	p->mounts = calloc(c->n_mounts + 1, sizeof(*p->mounts));
	if (!p->mounts)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < c->n_mounts; i++) {
		p->mounts[i].tree_fd = -1;
		p->n_mounts = i + 1;
		if ((r = mount_plan_build(&c->mounts[i], i, cr->bundle_fd, &p->mounts[i], err)) < 0 ||
		    (r = mount_plan_idmap(c, i, &p->mounts[i], err)) < 0)
			return r;
		_cleanup_free_ char *dest = path_normalize(c->mounts[i].destination);
		if (dest && strcmp(dest, "/dev") == 0 && p->mounts[i].kind == MOUNT_KIND_BIND)
			p->dev_from_host = true;
	}
	if (cr->notify_host) {
		struct mount_plan *mp = &p->mounts[p->n_mounts];
		mp->tree_fd = -1;
		p->n_mounts++;
		if ((r = mount_plan_build(&cr->notify_mount, c->n_mounts, cr->bundle_fd, mp, err)) < 0)
			return cell_error_prefix(err, "NOTIFY_SOCKET");
	}
	/* The state for the hooks the init runs; it adds its pid. */
	if (!(cr->hook_state[0] = hook_state(cr, "creating", -1)) ||
	    !(cr->hook_state[1] = hook_state(cr, "created", -1)))
		return cell_error_set(err, ENOMEM, "out of memory");
	p->hook_state_creating = cr->hook_state[0];
	p->hook_state_created = cr->hook_state[1];
	/* The state a seccomp agent gets: "creating", as in the spec's example. */
	if ((r = seccomp_plan_build(c, cr->hook_state[0], &p->seccomp, err)) < 0)
		return r;

	if (!cr->run_mode) {
		if (mkfifoat(cr->dirfd, "exec.fifo", 0622) < 0)
			return cell_error_errno(err, errno, "create the exec fifo of container %s",
						cr->o->id);
		p->start_fd = openat(cr->dirfd, "exec.fifo", O_RDWR | O_CLOEXEC);
		if (p->start_fd < 0)
			return cell_error_errno(err, errno, "open the exec fifo of container %s", cr->o->id);
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return cell_error_errno(err, errno, "create the sync socket");
	cr->sync_fd = sv[0];
	p->sync_fd = sv[1];

	/* No fd of ours may sit where the container's preserved fds go. */
	int min = 3 + p->preserve_fds;
	r = cell_log_move_fd_above(min);
	for (size_t i = 0; r == 0 && i < p->n_mounts; i++)
		r = move_fd_above(&p->mounts[i].tree_fd, min);
	for (int t = 0; r == 0 && t < OCI_NS_TYPES; t++)
		r = move_fd_above(&p->ns_fds[t], min);
	for (size_t i = 0; r == 0 && p->device_fds && i < c->linux_.n_devices; i++)
		r = move_fd_above(&p->device_fds[i], min);
	for (size_t i = 0; r == 0 && i < cr->join.n; i++)
		r = move_fd_above(&cr->join.tasks_fds[i], min);
	if (r == 0)
		r = move_fd_above(&cr->join.unified_fd, min);
	if (r == 0)
		r = move_fd_above(&p->start_fd, min);
	if (r == 0)
		r = move_fd_above(&p->sync_fd, min);
	if (r == 0)
		r = move_fd_above(&p->seccomp.listener_fd, min);
	if (r == 0)
		r = move_fd_above(&cr->sync_fd, min);
	if (r == 0)
		r = move_fd_above(&cr->dirfd, min);
	if (r == 0)
		r = move_fd_above(&cr->state_root_fd, min);
	if (r == 0)
		r = move_fd_above(&cr->bundle_fd, min);
	if (r == 0)
		r = move_fd_above(&cr->console_sock, min);
	if (r < 0)
		return cell_error_errno(err, r, "move descriptors above --preserve-fds");
	return 0;
}

static int spawn(struct create *cr, cell_error **err)
{
	int pidfd = -1;
	struct clone_request req = {
	    .flags = ns_clone_flags(cr->config),
	    .exit_signal = SIGCHLD,
	    .pidfd = &pidfd,
	    .cgroup_fd = cr->join.unified_fd,
	};
	pid_t pid = clone_process(&req);
	if (pid < 0)
		return cell_error_errno(err, -pid, "clone the container init");
	if (req.into_cgroup_refused) {
		log_debug("container %s: clone into cgroup %s: %s; moving the init instead", cr->o->id,
			  cr->join.unified_path, strerror(req.into_cgroup_refused));
		cr->join_unified_by_pid = true;
	}
	if (pid == 0) {
		/* Only the plan's fds are the child's; above all not the state
		 * directory, whose lock would otherwise live as long as the init. */
		close(cr->sync_fd);
		close(cr->dirfd);
		close(cr->state_root_fd);
		close(cr->bundle_fd);
		if (cr->console_sock >= 0)
			close(cr->console_sock);
		container_init(&cr->plan);
	}
	cr->child = (pid_t)pid;
	cr->pidfd = pidfd;
	log_debug("container %s: cloned the init as %d%s", cr->o->id, (int)pid,
		  cr->plan.two_stage ? " (stage one)" : "");
	/* The child has its copies; ours would only keep mounts and fifos alive. */
	for (size_t i = 0; i < cr->plan.n_mounts; i++)
		mount_plan_release(&cr->plan.mounts[i]);
	ns_close_fds(cr->plan.ns_fds);
	if (cr->config)
		close_device_fds(cr);
	close(cr->plan.sync_fd);
	cr->plan.sync_fd = -1;
	if (cr->plan.seccomp.listener_fd >= 0)
		close(cr->plan.seccomp.listener_fd);
	cr->plan.seccomp.listener_fd = -1;
	if (cr->plan.start_fd >= 0) {
		close(cr->plan.start_fd);
		cr->plan.start_fd = -1;
	}
	return 0;
}

/* A failure report from the child, as our error. */
static int child_error(struct create *cr, const struct sync_msg *msg, int r, cell_error **err)
{
	if (r == -EPROTO && msg->type == SYNC_ERROR)
		return cell_error_set(err, msg->err > 0 ? msg->err : EIO, "%s", msg->text);
	if (r == -EPIPE || r == -ECONNRESET)
		return cell_error_set(err, ECHILD, "the container init exited before it was ready");
	if (r == -EPROTO)
		return cell_error_set(err, EPROTO, "unexpected message %u from the container init",
				      msg->type);
	return cell_error_errno(err, r, "talk to the container init");
}

static int run_parent_hooks(struct create *cr, cell_error **err)
{
	_cleanup_free_ char *state = hook_state(cr, "creating", cr->pid);
	if (!state)
		return cell_error_set(err, ENOMEM, "out of memory");
	struct init_error e = {0};
	int r = hooks_run(&cr->config->hooks, OCI_HOOK_PRESTART, state, &e);
	if (r == 0)
		r = hooks_run(&cr->config->hooks, OCI_HOOK_CREATE_RUNTIME, state, &e);
	if (r < 0)
		return cell_error_set(err, e.err, "%s", e.text);
	return 0;
}

static json_t *external_descriptors(void)
{
	json_t *a = json_array();
	for (int fd = 0; fd < 3; fd++) {
		char buf[PATH_MAX];
		json_array_append_new(a,
				      json_string(path_of_fd(fd, buf, sizeof(buf)) == 0 ? buf : "/dev/null"));
	}
	char *s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	json_t *out = json_string(s ? s : "[]");
	free(s);
	return out;
}

static int write_record(struct create *cr, cell_error **err)
{
	unsigned long long start = 0;
	int r = pid_stat(cr->pid, &start, NULL);
	if (r < 0)
		return cell_error_errno(err, r, "read the start time of the container init %d", (int)cr->pid);
	char created[64];
	rfc3339_now(created, sizeof(created));
	cr->record = json_pack(
	    "{s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:o}", "ociVersion", CELL_OCI_VERSION,
	    "id", cr->o->id, "pid", (json_int_t)cr->pid, "pid_start_time", (json_int_t)start, "bundle",
	    cr->bundle, "rootfs", cr->rootfs, "created", created, "owner", "", "new_pid_namespace",
	    oci_new_namespace(cr->config, OCI_NS_PID), "no_pivot", cr->o->no_pivot, "rootless",
	    !userns_host_root(), "external_descriptors", external_descriptors());
	if (!cr->record)
		return cell_error_set(err, ENOMEM, "out of memory");
	json_t *ann = json_object_get(cr->config->json, "annotations");
	if (json_is_object(ann))
		json_object_set(cr->record, "annotations", ann);
	if (cr->cgroup_made)
		json_object_set_new(cr->record, "cgroup", cgroup_to_json(cr->cgroup));
	if (cr->notify_host)
		json_object_set_new(cr->record, "notify_socket", json_string(cr->notify_host));
	_cleanup_free_ char *s = json_dumps(cr->record, JSON_COMPACT);
	if (!s)
		return cell_error_set(err, ENOMEM, "out of memory");
	r = write_file_replace(cr->dirfd, "status", s, strlen(s), 0600, false);
	if (r < 0)
		return cell_error_errno(err, r, "write the state of container %s", cr->o->id);
	if (cr->o->pid_file && (r = pid_file_write(cr->o->pid_file, cr->pid, err)) < 0)
		return r;
	return 0;
}

/* The parent's half of the protocol, up to "created". */
static int talk_to_child(struct create *cr, cell_error **err)
{
	const struct oci_config *c = cr->config;
	struct sync_msg msg;
	int r;

	if (oci_new_namespace(c, OCI_NS_USER) && (r = userns_write_maps(cr->child, c, err)) < 0)
		return r;
	if (cr->resources) {
		if ((r = cgroup_systemd_start(cr->cgroup, cr->child, cr->resources, cr->o->id, err)) < 0)
			return r;
		cr->cgroup_made = true;
		if ((r = cgroup_create(cr->cgroup, err)) < 0 ||
		    (r = cgroup_apply(cr->cgroup, cr->resources, false, err)) < 0)
			return r;
	}
	/* Stage one must sit in the cgroup before it clones the init. A single
	 * init enters it by itself (cgroup_join); when we must move it, it
	 * starts on its root file system meanwhile and waits for SYNC_CGROUP
	 * where it needs the cgroup. */
	if (cr->plan.two_stage && cr->cgroup_made && (r = cgroup_enter(cr->cgroup, cr->child, err)) < 0)
		return r;
	if ((r = sync_send(cr->sync_fd, SYNC_GO, 0, -1)) < 0)
		return cell_error_errno(err, r, "start the container init");
	if (cr->cgroup_late && (r = make_cgroup_late(cr, err)) < 0)
		return r;
	if (!cr->plan.two_stage && cr->cgroup_made) {
		if (cr->join.tasks_fds) /* the init joins by itself */
			r = cr->join_unified_by_pid ? cgroup_join_unified_by_pid(&cr->join, cr->child, err)
						    : 0;
		else
			r = cgroup_enter(cr->cgroup, cr->child, err);
		if (r < 0)
			return r;
	}
	cr->pid = cr->child;
	if (cr->plan.two_stage) {
		r = sync_expect(cr->sync_fd, SYNC_PID, &msg);
		if (r < 0)
			return child_error(cr, &msg, r, err);
		cr->pid = (pid_t)msg.arg;
		int status;
		waitpid(cr->child, &status, 0);
		cr->child = 0;
		close(cr->pidfd);
		cr->pidfd = (int)syscall(SYS_pidfd_open, cr->pid, 0);
		if (cr->pidfd < 0)
			return cell_error_errno(err, errno, "open the container init %d", (int)cr->pid);
	}
	/* A child that failed already does not read it; its report follows. */
	sync_send(cr->sync_fd, SYNC_CGROUP, 0, -1);
	/* The record, while the child builds its root: nobody reads it before
	 * we let go of the container's lock, and a failure removes it. */
	if ((r = write_record(cr, err)) < 0)
		return r;
	for (;;) {
		int fd = -1;
		r = sync_recv(cr->sync_fd, &msg, &fd);
		if (r < 0)
			return child_error(cr, &msg, r, err);
		if (fd >= 0 && msg.type != SYNC_CONSOLE)
			close(fd);
		switch (msg.type) {
		case SYNC_CONSOLE:
			if (fd < 0 || cr->console_fd >= 0) {
				if (fd >= 0)
					close(fd);
				return cell_error_set(err, EPROTO, "the container init sent a bad terminal");
			}
			cr->console_fd = fd;
			break;
		case SYNC_HOOKS:
			if ((r = run_parent_hooks(cr, err)) < 0)
				return r;
			if ((r = sync_send(cr->sync_fd, SYNC_HOOKS_DONE, 0, -1)) < 0)
				return cell_error_errno(err, r, "resume the container init");
			break;
		case SYNC_READY:
			log_debug("container %s: init %d is ready", cr->o->id, (int)cr->pid);
			return 0;
		default:
			return child_error(cr, &msg, -EPROTO, err);
		}
	}
}

/* restore: criu, not a clone, brings the container's processes. */
static int restore_processes(struct create *cr, cell_error **err)
{
	struct restore_target t = {
	    .id = cr->o->id,
	    .config = cr->config,
	    .bundle = cr->bundle,
	    .rootfs = cr->rootfs,
	    .state_dirfd = cr->dirfd,
	    .cgroup = cr->cgroup_made ? cr->cgroup : NULL,
	};
	int r = criu_restore(cr->g, cr->o->restore, &t, &cr->pid, err);
	if (r < 0)
		return r;
	cr->pidfd = (int)syscall(SYS_pidfd_open, cr->pid, 0);
	if (cr->pidfd < 0)
		return cell_error_errno(err, errno, "open the restored init %d", (int)cr->pid);
	return 0;
}

static int do_create(const struct runtime_opts *g, const struct create_opts *o, struct create *cr,
		     cell_error **err)
{
	int r;
	if ((r = container_id_check(o->id, err)) < 0)
		return r;
	if (o->preserve_fds < 0)
		return cell_error_set(err, EINVAL, "--preserve-fds: must not be negative");
	if ((r = open_bundle(cr, err)) < 0)
		return r;
	if ((r = make_state_dir(cr, err)) < 0 || (r = setup_cgroup(cr, err)) < 0)
		return r;
	if (o->restore)
		r = restore_processes(cr, err);
	else if ((r = build_plan(cr, err)) == 0 && (r = spawn(cr, err)) == 0)
		r = talk_to_child(cr, err);
	if (r < 0)
		return r;
	if (o->console_master && cr->console_fd >= 0)
		*o->console_master = TAKE_FD(cr->console_fd);
	if (cr->console_sock >= 0) {
		if (cr->console_fd < 0)
			return cell_error_set(err, EPROTO, "the container init sent no terminal");
		if ((r = console_socket_send(cr->console_sock, cr->console_fd, o->console_socket, err)) < 0)
			return r;
		close(cr->console_fd);
		cr->console_fd = -1;
	}
	return o->restore ? write_record(cr, err) : 0;
}

static void create_init(struct create *cr, const struct runtime_opts *g, const struct create_opts *o,
			bool run_mode)
{
	memset(cr, 0, sizeof(*cr));
	cr->g = g;
	cr->o = o;
	cr->run_mode = run_mode;
	cr->bundle_fd = cr->state_root_fd = cr->dirfd = cr->sync_fd = cr->pidfd = cr->notify_fd = -1;
	cr->console_sock = cr->console_fd = -1;
	cr->plan.sync_fd = cr->plan.start_fd = cr->plan.seccomp.listener_fd = -1;
	cr->join.unified_fd = -1;
	for (int t = 0; t < OCI_NS_TYPES; t++)
		cr->plan.ns_fds[t] = -1;
}

int runtime_create(const struct runtime_opts *g, const struct create_opts *o, cell_error **err)
{
	struct create cr;
	create_init(&cr, g, o, false);
	int r = do_create(g, o, &cr, err);
	if (r < 0) {
		cell_error_prefix(err, "%s container %s", o->restore ? "restore" : "create",
				  o->id ? o->id : "");
		create_undo(&cr);
	}
	free_cg_dirs(&cr);
	create_release(&cr);
	return r;
}

/* Tell the init to exec and learn whether it did: the sync socket closes on
 * exec (close-on-exec), or brings the error. */
static int start_over_socket(struct create *cr, cell_error **err)
{
	struct sync_msg msg;
	int r = sync_send(cr->sync_fd, SYNC_START, 0, -1);
	if (r < 0)
		return cell_error_errno(err, r, "start container %s", cr->o->id);
	r = sync_recv(cr->sync_fd, &msg, NULL);
	if (r == -EPIPE || r == -ECONNRESET)
		return 0;
	if (r == 0 && msg.type == SYNC_ERROR)
		return cell_error_set(err, msg.err > 0 ? msg.err : EIO, "start container %s: %s", cr->o->id,
				      msg.text);
	if (r < 0)
		return cell_error_errno(err, r, "start container %s", cr->o->id);
	return cell_error_set(err, EPROTO, "start container %s: unexpected message %u", cr->o->id, msg.type);
}

static int delete_after_run(const struct runtime_opts *g, const char *id, const struct oci_config *config,
			    cell_error **err)
{
	_cleanup_container_ struct container *c = NULL;
	int r = container_open(g->root, id, LOCK_EXCLUSIVE, &c, err);
	if (r < 0)
		return r;
	return container_destroy(g, c, config, err);
}

/* After a successful create in run mode: start, then wait unless detached. */
static int run_created(struct create *cr, const sigset_t *mask, bool detach, bool keep, int *exit_status,
		       cell_error **err)
{
	const struct runtime_opts *g = cr->g;
	const char *id = cr->o->id;
	int r = 0;
	if (cr->notify_host) {
		uid_t uid;
		gid_t gid;
		root_ids(cr->config, &uid, &gid);
		cr->notify_fd = notify_listen(cr->dirfd, uid, gid, err);
		if (cr->notify_fd < 0)
			r = cr->notify_fd;
	}
	/* Other commands may look at the container while it runs. */
	close(cr->dirfd);
	cr->dirfd = -1;
	cr->child = 0;
	/* The terminal has the user's size before the process runs: a first
	 * `stty size` must not find 0x0 (the proxy sets it again later). */
	struct winsize ws;
	if (r == 0 && !detach && cr->console_fd >= 0 && !cr->config->process->has_console_size &&
	    console_user_size(&ws))
		ioctl(cr->console_fd, TIOCSWINSZ, &ws);
	if (r == 0 && !cr->o->restore)
		r = start_over_socket(cr, err);
	if (r < 0) {
		cell_error *e2 = NULL;
		if (delete_after_run(g, id, cr->config, &e2) < 0) {
			log_warning("%s", e2->msg);
			cell_error_free(e2);
		}
		return r;
	}
	if (cr->config->hooks.n[OCI_HOOK_POSTSTART]) {
		_cleanup_container_ struct container *c = NULL;
		if (container_open(g->root, id, LOCK_SHARED, &c, NULL) == 0)
			container_run_poststart(c, cr->config);
	}
	if (detach)
		return cr->notify_fd >= 0 ? notify_wait_ready(cr->notify_fd, cr->notify_host, cr->pidfd, err)
					  : 0;
	_cleanup_close_ int sfd = signalfd(-1, mask, SFD_CLOEXEC);
	if (sfd < 0)
		return cell_error_errno(err, errno, "watch signals");
	_cleanup_console_proxy_ struct console_proxy proxy;
	console_proxy_init(&proxy);
	if (cr->console_fd >= 0) {
		r = console_proxy_start(&proxy, cr->console_fd, cr->config->process->has_console_size, err);
		cr->console_fd = -1;
		if (r < 0)
			return r;
	}
	r = foreground_wait(cr->pid, cr->pidfd, sfd, &proxy, cr->notify_fd, cr->notify_host, exit_status,
			    err);
	console_proxy_stop(&proxy);
	if (r == 0 && !keep)
		r = delete_after_run(g, id, cr->config, err);
	return r;
}

int runtime_run(const struct runtime_opts *g, const struct create_opts *o, bool detach, bool keep,
		int *exit_status, cell_error **err)
{
	struct create cr;
	sigset_t mask, old;
	foreground_signal_mask(&mask);
	/* Blocked before the clone, so no signal slips by between clone and
	 * wait; the init unblocks them before it execs. */
	if (!detach)
		sigprocmask(SIG_BLOCK, &mask, &old);

	create_init(&cr, g, o, true);
	cr.detach = detach;
	int r = do_create(g, o, &cr, err);
	if (r < 0) {
		cell_error_prefix(err, "%s container %s", o->restore ? "restore" : "create",
				  o->id ? o->id : "");
		create_undo(&cr);
	} else {
		r = run_created(&cr, &mask, detach, keep, exit_status, err);
	}
	if (!detach)
		sigprocmask(SIG_SETMASK, &old, NULL);
	free_cg_dirs(&cr);
	create_release(&cr);
	return r;
}
