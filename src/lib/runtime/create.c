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
#include "cell-config.h"
#include "cgroup/cgroup.h"
#include "lifecycle.h"
#include "linux/caps.h"
#include "linux/hooks.h"
#include "linux/init.h"
#include "linux/lsm.h"
#include "linux/namespaces.h"
#include "linux/seccomp.h"
#include "linux/sync.h"
#include "pidutil.h"
#include "spec/validate.h"
#include "state.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

struct clone_args_v0 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

/* Everything create holds while it works; released by create_release(). */
struct create {
	const struct runtime_opts *g;
	const struct create_opts *o;
	bool run_mode;
	struct oci_config *config;
	char *bundle;
	int bundle_fd;
	char *rootfs;
	int state_root_fd;
	int dirfd; /* ROOT/ID, locked */
	bool dir_made;
	struct cgroup *cgroup;
	bool cgroup_made;
	struct init_plan plan;
	struct cgroup_mount_source *cg_sources;
	char **env;
	char *hook_state[2]; /* for the createContainer and startContainer hooks, without pid */
	int sync_fd;         /* the parent's end */
	pid_t child;         /* what clone3 returned (stage one in a two-stage start) */
	pid_t pid;           /* the container's init */
	int pidfd;
	json_t *record;
};

static void create_release(struct create *cr)
{
	if (cr->plan.mounts) {
		for (size_t i = 0; i < cr->plan.n_mounts; i++)
			mount_plan_release(&cr->plan.mounts[i]);
		free(cr->plan.mounts);
	}
	ns_close_fds(cr->plan.ns_fds);
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
	if (cr->dirfd >= 0)
		close(cr->dirfd);
	if (cr->state_root_fd >= 0)
		close(cr->state_root_fd);
	if (cr->bundle_fd >= 0)
		close(cr->bundle_fd);
	cgroup_free(cr->cgroup);
	json_decref(cr->record);
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
	int r = oci_config_load(cr->bundle_fd, cfg, &cr->config, err);
	if (r < 0)
		return r;

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

static int setup_cgroup(struct create *cr, cell_error **err)
{
	const struct oci_config *c = cr->config;
	bool disabled = cr->g->cgroup_manager == CGROUP_MANAGER_DISABLED;
	int r = cgroup_resolve(disabled ? "." : c->linux_.cgroups_path, cr->o->id, &cr->cgroup, err);
	if (r < 0)
		return r;
	if (!disabled) {
		r = cgroup_create(cr->cgroup, err);
		if (r < 0 && geteuid() != 0 && (r == -EACCES || r == -EPERM || r == -EROFS)) {
			/* Rootless without a delegated cgroup: go on without one. */
			log_warning("%s; running without a cgroup of its own (no resource limits)",
				    (*err)->msg);
			cell_error_free(*err);
			*err = NULL;
			r = 0;
			disabled = true;
		} else if (r < 0) {
			return r;
		} else {
			cr->cgroup_made = true;
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
	_cleanup_close_ int fd = path_open_in_root(rfd, "/etc/passwd", O_RDONLY, PATH_CREATE_NONE, 0);
	_cleanup_free_ char *buf = NULL;
	if (fd < 0 || read_all(fd, 4 << 20, &buf, NULL) < 0)
		return strdup("/");
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *f[7] = {0};
		int n = 0;
		for (char *s = line; n < 7; n++) {
			f[n] = s;
			s = strchr(s, ':');
			if (!s)
				break;
			*s++ = '\0';
		}
		if (n >= 6 && f[2] && (uid_t)strtoul(f[2], NULL, 10) == uid && f[5] && *f[5])
			return strdup(f[5]);
	}
	return strdup("/");
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

	p->mounts = calloc(c->n_mounts ? c->n_mounts : 1, sizeof(*p->mounts));
	if (!p->mounts)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < c->n_mounts; i++) {
		p->mounts[i].tree_fd = -1;
		p->n_mounts = i + 1;
		if ((r = mount_plan_build(&c->mounts[i], i, cr->bundle_fd, &p->mounts[i], err)) < 0)
			return r;
		_cleanup_free_ char *dest = path_normalize(c->mounts[i].destination);
		if (dest && strcmp(dest, "/dev") == 0 && p->mounts[i].kind == MOUNT_KIND_BIND)
			p->dev_from_host = true;
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
	if (r < 0)
		return cell_error_errno(err, r, "move descriptors above --preserve-fds");
	return 0;
}

static int spawn(struct create *cr, cell_error **err)
{
	int pidfd = -1;
	struct clone_args_v0 args = {
	    .flags = ns_clone_flags(cr->config) | CLONE_PIDFD,
	    .pidfd = (uint64_t)(uintptr_t)&pidfd,
	    .exit_signal = SIGCHLD,
	};
	long pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0)
		return cell_error_errno(err, errno, "clone the container init");
	if (pid == 0) {
		/* Only the plan's fds are the child's; above all not the state
		 * directory, whose lock would otherwise live as long as the init. */
		close(cr->sync_fd);
		close(cr->dirfd);
		close(cr->state_root_fd);
		close(cr->bundle_fd);
		container_init(&cr->plan);
	}
	cr->child = (pid_t)pid;
	cr->pidfd = pidfd;
	/* The child has its copies; ours would only keep mounts and fifos alive. */
	for (size_t i = 0; i < cr->plan.n_mounts; i++)
		mount_plan_release(&cr->plan.mounts[i]);
	ns_close_fds(cr->plan.ns_fds);
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

/* The parent's half of the protocol, up to "created". */
static int talk_to_child(struct create *cr, cell_error **err)
{
	const struct oci_config *c = cr->config;
	struct sync_msg msg;
	int r;

	if (oci_new_namespace(c, OCI_NS_USER) && (r = userns_write_maps(cr->child, c, err)) < 0)
		return r;
	if (cr->cgroup_made && (r = cgroup_enter(cr->cgroup, cr->child, err)) < 0)
		return r;
	if ((r = sync_send(cr->sync_fd, SYNC_GO, 0, -1)) < 0)
		return cell_error_errno(err, r, "start the container init");
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
	for (;;) {
		r = sync_recv(cr->sync_fd, &msg, NULL);
		if (r < 0)
			return child_error(cr, &msg, r, err);
		switch (msg.type) {
		case SYNC_HOOKS:
			if ((r = run_parent_hooks(cr, err)) < 0)
				return r;
			if ((r = sync_send(cr->sync_fd, SYNC_HOOKS_DONE, 0, -1)) < 0)
				return cell_error_errno(err, r, "resume the container init");
			break;
		case SYNC_READY:
			return 0;
		default:
			return child_error(cr, &msg, -EPROTO, err);
		}
	}
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
	format_rfc3339_now(created, sizeof(created));
	cr->record = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:o}", "ociVersion",
			       CELL_OCI_VERSION, "id", cr->o->id, "pid", (json_int_t)cr->pid,
			       "pid_start_time", (json_int_t)start, "bundle", cr->bundle, "rootfs",
			       cr->rootfs, "created", created, "owner", "", "new_pid_namespace",
			       oci_new_namespace(cr->config, OCI_NS_PID), "no_pivot", cr->o->no_pivot,
			       "rootless", geteuid() != 0, "external_descriptors", external_descriptors());
	if (!cr->record)
		return cell_error_set(err, ENOMEM, "out of memory");
	json_t *ann = json_object_get(cr->config->json, "annotations");
	if (json_is_object(ann))
		json_object_set(cr->record, "annotations", ann);
	if (cr->cgroup_made)
		json_object_set_new(cr->record, "cgroup", cgroup_to_json(cr->cgroup));
	_cleanup_free_ char *s = json_dumps(cr->record, JSON_COMPACT);
	if (!s)
		return cell_error_set(err, ENOMEM, "out of memory");
	r = write_file_atomic(cr->dirfd, "status", s, strlen(s), 0600);
	if (r < 0)
		return cell_error_errno(err, r, "write the state of container %s", cr->o->id);
	if (cr->o->pid_file) {
		char buf[32];
		int len = snprintf(buf, sizeof(buf), "%d", (int)cr->pid);
		const char *pf = cr->o->pid_file;
		_cleanup_free_ char *dir = strdup(pf);
		if (!dir)
			return cell_error_set(err, ENOMEM, "out of memory");
		char *slash = strrchr(dir, '/');
		const char *name = pf;
		if (slash) {
			*slash = '\0';
			name = slash + 1;
		}
		_cleanup_close_ int dfd =
		    open(slash ? (*dir ? dir : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			return cell_error_errno(err, errno, "--pid-file %s", pf);
		r = write_file_atomic(dfd, name, buf, (size_t)len, 0644);
		if (r < 0)
			return cell_error_errno(err, r, "--pid-file %s", pf);
	}
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
	if (o->console_socket)
		return cell_error_set(
		    err, ENOTSUP, "--console-socket: terminals are not supported by this version of cellrt");
	if ((r = open_bundle(cr, err)) < 0)
		return r;
	if (cr->config->process->terminal)
		return cell_error_set(
		    err, ENOTSUP,
		    "process.terminal: terminals are not supported by this version of cellrt; "
		    "set it to false");
	if ((r = make_state_dir(cr, err)) < 0 || (r = setup_cgroup(cr, err)) < 0 ||
	    (r = build_plan(cr, err)) < 0 || (r = spawn(cr, err)) < 0 || (r = talk_to_child(cr, err)) < 0 ||
	    (r = write_record(cr, err)) < 0)
		return r;
	return 0;
}

static void create_init(struct create *cr, const struct runtime_opts *g, const struct create_opts *o,
			bool run_mode)
{
	memset(cr, 0, sizeof(*cr));
	cr->g = g;
	cr->o = o;
	cr->run_mode = run_mode;
	cr->bundle_fd = cr->state_root_fd = cr->dirfd = cr->sync_fd = cr->pidfd = -1;
	cr->plan.sync_fd = cr->plan.start_fd = cr->plan.seccomp.listener_fd = -1;
	for (int t = 0; t < OCI_NS_TYPES; t++)
		cr->plan.ns_fds[t] = -1;
}

int runtime_create(const struct runtime_opts *g, const struct create_opts *o, cell_error **err)
{
	struct create cr;
	create_init(&cr, g, o, false);
	int r = do_create(g, o, &cr, err);
	if (r < 0) {
		cell_error_prefix(err, "create container %s", o->id ? o->id : "");
		create_undo(&cr);
	}
	free_cg_dirs(&cr);
	create_release(&cr);
	return r;
}

/* Signals `run` passes on to the container's init while it waits. */
static const int forwarded[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGTERM,  SIGUSR1,
				SIGUSR2, SIGALRM, SIGCONT, SIGWINCH, SIGPIPE};

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

static int wait_and_forward(struct create *cr, int sfd, int *exit_status, cell_error **err)
{
	for (;;) {
		struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = cr->pidfd, .events = POLLIN}};
		int n = poll(p, 2, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cell_error_errno(err, errno, "wait for container %s", cr->o->id);
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGCHLD)
				pidfd_signal(cr->pidfd, (int)si.ssi_signo);
		}
		if (p[1].revents) {
			int status;
			pid_t w;
			while ((w = waitpid(cr->pid, &status, 0)) < 0 && errno == EINTR)
				;
			if (w < 0)
				return cell_error_errno(err, errno, "wait for container %s", cr->o->id);
			*exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			return 0;
		}
	}
}

static int delete_after_run(const struct runtime_opts *g, const char *id, cell_error **err)
{
	_cleanup_container_ struct container *c = NULL;
	int r = container_open(g->root, id, LOCK_EXCLUSIVE, &c, err);
	if (r < 0)
		return r;
	return container_destroy(g, c, err);
}

/* After a successful create in run mode: start, then wait unless detached. */
static int run_created(struct create *cr, const sigset_t *mask, bool detach, bool keep, int *exit_status,
		       cell_error **err)
{
	const struct runtime_opts *g = cr->g;
	const char *id = cr->o->id;
	/* Other commands may look at the container while it runs. */
	close(cr->dirfd);
	cr->dirfd = -1;
	cr->child = 0;
	int r = start_over_socket(cr, err);
	if (r < 0) {
		cell_error *e2 = NULL;
		if (delete_after_run(g, id, &e2) < 0) {
			log_warning("%s", e2->msg);
			cell_error_free(e2);
		}
		return r;
	}
	_cleanup_container_ struct container *c = NULL;
	if (container_open(g->root, id, LOCK_SHARED, &c, NULL) == 0)
		container_run_poststart(c, cr->config);
	container_freep(&c);
	if (detach)
		return 0;
	_cleanup_close_ int sfd = signalfd(-1, mask, SFD_CLOEXEC);
	if (sfd < 0)
		return cell_error_errno(err, errno, "watch signals");
	r = wait_and_forward(cr, sfd, exit_status, err);
	if (r == 0 && !keep)
		r = delete_after_run(g, id, err);
	return r;
}

int runtime_run(const struct runtime_opts *g, const struct create_opts *o, bool detach, bool keep,
		int *exit_status, cell_error **err)
{
	struct create cr;
	sigset_t mask, old;
	sigemptyset(&mask);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(&mask, forwarded[i]);
	sigaddset(&mask, SIGCHLD);
	/* Blocked before the clone, so no signal slips by between clone and
	 * wait; the init unblocks them before it execs. */
	if (!detach)
		sigprocmask(SIG_BLOCK, &mask, &old);

	create_init(&cr, g, o, true);
	int r = do_create(g, o, &cr, err);
	if (r < 0) {
		cell_error_prefix(err, "create container %s", o->id ? o->id : "");
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
