/* exec, the runtime's side: the process description, the namespaces and
 * cgroup to join, the child's start, and the wait. The child's side is
 * linux/exec_init.c. */
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
#include "console.h"
#include "lifecycle.h"
#include "linux/caps.h"
#include "linux/clone.h"
#include "linux/exec_init.h"
#include "linux/sync.h"
#include "passwd.h"
#include "pidutil.h"
#include "state.h"

struct exec_run {
	const struct runtime_opts *g;
	const struct exec_opts *o;
	struct container *c;
	struct oci_config *config;
	json_t *pjson; /* the process as JSON; owns the strings of proc */
	struct oci_process *proc;
	char **env;
	struct cgroup *cgroup; /* where the process goes (NULL: no cgroup) */
	struct cgroup_join join;
	struct exec_plan plan;
	int console_sock;
	int sync_fd; /* ours */
	pid_t stage; /* the child that joins the namespaces */
	pid_t pid;   /* the process */
	int pidfd;
	int console_fd;
	bool size_from_user; /* proc's console size is the user's terminal's */
};

static void exec_release(struct exec_run *x)
{
	for (int t = 0; t < OCI_NS_TYPES; t++)
		if (x->plan.ns_fds[t] >= 0)
			close(x->plan.ns_fds[t]);
	if (x->plan.pidfd >= 0)
		close(x->plan.pidfd);
	if (x->plan.sync_fd >= 0)
		close(x->plan.sync_fd);
	seccomp_plan_release(&x->plan.seccomp);
	if (x->sync_fd >= 0)
		close(x->sync_fd);
	if (x->console_sock >= 0)
		close(x->console_sock);
	if (x->console_fd >= 0)
		close(x->console_fd);
	if (x->pidfd >= 0)
		close(x->pidfd);
	strv_free(x->env);
	cgroup_join_close(&x->join);
	cgroup_free(x->cgroup);
	oci_process_free(x->proc);
	json_decref(x->pjson);
	oci_config_free(x->config);
	container_free(x->c);
}

/* Set KEY=VALUE in the JSON env array, replacing an entry with that KEY. */
static int env_set(json_t *env, const char *kv, cell_error **err)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv)
		return cell_error_set(err, EINVAL, "--env \"%s\": must be KEY=VALUE", kv);
	size_t klen = (size_t)(eq - kv) + 1;
	size_t i;
	json_t *v;
	json_array_foreach (env, i, v) {
		const char *s = json_string_value(v);
		if (s && strncmp(s, kv, klen) == 0)
			return json_array_set_new(env, i, json_string(kv)) < 0
				   ? cell_error_set(err, ENOMEM, "out of memory")
				   : 0;
	}
	return json_array_append_new(env, json_string(kv)) < 0 ? cell_error_set(err, ENOMEM, "out of memory")
							       : 0;
}

static bool parse_id(const char *s, size_t len, uint32_t *out)
{
	char buf[16];
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	char *end;
	errno = 0;
	unsigned long v = strtoul(buf, &end, 10);
	if (errno || *end || buf[0] == '-' || v >= UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static int set_user(json_t *p, const struct exec_opts *o, cell_error **err)
{
	json_t *user = json_object_get(p, "user");
	if (!json_is_object(user)) {
		user = json_object();
		json_object_set_new(p, "user", user);
	}
	if (o->user) {
		const char *colon = strchr(o->user, ':');
		uint32_t uid, gid;
		if (!parse_id(o->user, colon ? (size_t)(colon - o->user) : strlen(o->user), &uid) ||
		    (colon && !parse_id(colon + 1, strlen(colon + 1), &gid)))
			return cell_error_set(err, EINVAL, "--user \"%s\": must be UID or UID:GID (numbers)",
					      o->user);
		json_object_set_new(user, "uid", json_integer(uid));
		if (colon)
			json_object_set_new(user, "gid", json_integer(gid));
	}
	for (size_t i = 0; o->additional_gids && o->additional_gids[i]; i++) {
		json_t *groups = json_object_get(user, "additionalGids");
		if (!json_is_array(groups)) {
			groups = json_array();
			json_object_set_new(user, "additionalGids", groups);
		}
		for (const char *s = o->additional_gids[i]; *s;) {
			size_t len = strcspn(s, ",");
			uint32_t gid;
			if (!parse_id(s, len, &gid))
				return cell_error_set(err, EINVAL,
						      "--additional-gids \"%s\": must be group ids",
						      o->additional_gids[i]);
			json_array_append_new(groups, json_integer(gid));
			s += len + (s[len] == ',');
		}
	}
	return 0;
}

static bool strv_json_has(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach (arr, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

/* runc's --cap: into bounding, effective and permitted; into ambient as well
 * when the process may inherit it. Unknown names are skipped with a warning,
 * as runc does. */
static void add_caps(json_t *p, char *const *caps)
{
	if (!caps || !caps[0])
		return;
	json_t *c = json_object_get(p, "capabilities");
	if (!json_is_object(c)) {
		c = json_object();
		json_object_set_new(p, "capabilities", c);
	}
	static const char *const sets[] = {"bounding", "effective", "permitted"};
	for (size_t i = 0; caps[i]; i++) {
		int n = caps_from_name(caps[i]);
		if (n < 0) {
			log_warning("--cap %s: unknown capability; ignored", caps[i]);
			continue;
		}
		const char *name = caps_name(n);
		for (size_t s = 0; s < ARRAY_SIZE(sets); s++) {
			json_t *arr = json_object_get(c, sets[s]);
			if (!json_is_array(arr)) {
				arr = json_array();
				json_object_set_new(c, sets[s], arr);
			}
			if (!strv_json_has(arr, name))
				json_array_append_new(arr, json_string(name));
		}
		json_t *inh = json_object_get(c, "inheritable");
		if (json_is_array(inh) && strv_json_has(inh, name)) {
			json_t *amb = json_object_get(c, "ambient");
			if (!json_is_array(amb)) {
				amb = json_array();
				json_object_set_new(c, "ambient", amb);
			}
			if (!strv_json_has(amb, name))
				json_array_append_new(amb, json_string(name));
		}
	}
}

/* The process: --process FILE, or the container's process (env, cwd, user,
 * capabilities, rlimits, labels) with the command line's args and without
 * its terminal and no_new_privs; the flags apply on top of either. It goes
 * through the same parser as config.json. */
static int build_process(struct exec_run *x, cell_error **err)
{
	const struct exec_opts *o = x->o;
	bool have_args = o->args && o->args[0];
	int r;
	if (o->process_file) {
		if (have_args)
			return cell_error_set(
			    err, EINVAL,
			    "--process %s: give the command in the file or on the command line, "
			    "not both",
			    o->process_file);
		if ((r = json_load_file_at(AT_FDCWD, o->process_file, 4 << 20, &x->pjson, err)) < 0)
			return cell_error_prefix(err, "--process %s", o->process_file);
	} else {
		if (!have_args)
			return cell_error_set(err, EINVAL, "missing the command to run");
		json_t *base = json_object_get(x->config->json, "process");
		x->pjson = base ? json_deep_copy(base) : json_object();
		if (!x->pjson)
			return cell_error_set(err, ENOMEM, "out of memory");
		json_t *args = json_array();
		for (size_t i = 0; o->args[i]; i++)
			json_array_append_new(args, json_string(o->args[i]));
		json_object_set_new(x->pjson, "args", args);
		json_object_set_new(x->pjson, "terminal", json_boolean(o->tty));
		/* As crun: a command-line exec has no_new_privs only when asked
		 * (--no-new-privs); engines pass --process with their own. */
		json_object_del(x->pjson, "noNewPrivileges");
	}
	json_t *p = x->pjson;
	if (!json_is_object(p))
		return cell_error_set(err, EINVAL, "--process %s: must be a JSON object", o->process_file);
	if (o->tty)
		json_object_set_new(p, "terminal", json_true());
	if (o->cwd)
		json_object_set_new(p, "cwd", json_string(o->cwd));
	if (o->env && o->env[0]) {
		json_t *env = json_object_get(p, "env");
		if (!json_is_array(env)) {
			env = json_array();
			json_object_set_new(p, "env", env);
		}
		for (size_t i = 0; o->env[i]; i++)
			if ((r = env_set(env, o->env[i], err)) < 0)
				return r;
	}
	if ((o->user || (o->additional_gids && o->additional_gids[0])) && (r = set_user(p, o, err)) < 0)
		return r;
	add_caps(p, o->caps);
	if (o->no_new_privs)
		json_object_set_new(p, "noNewPrivileges", json_true());
	if (o->apparmor)
		json_object_set_new(p, "apparmorProfile", json_string(o->apparmor));
	if (o->process_label)
		json_object_set_new(p, "selinuxLabel", json_string(o->process_label));
	r = oci_process_parse(p, "process", &x->proc, err);
	if (r < 0 && o->process_file)
		return cell_error_prefix(err, "--process %s", o->process_file);
	/* A terminal proxied to ours starts with our size, set by the process's
	 * side before it runs: it may ask at once (the proxy follows changes). */
	struct winsize ws;
	if (r == 0 && x->proc->terminal && !x->proc->has_console_size && !o->detach && !o->console_socket &&
	    console_user_size(&ws)) {
		x->proc->console_height = ws.ws_row;
		x->proc->console_width = ws.ws_col;
		x->proc->has_console_size = true;
		x->size_from_user = true;
	}
	return r;
}

static int build_env(struct exec_run *x, cell_error **err)
{
	for (size_t i = 0; x->proc->env[i]; i++)
		if (strv_push(&x->env, x->proc->env[i]) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
	if (!strv_env_get(x->env, "HOME")) {
		/* The container's /etc/passwd, as the container sees it. */
		char root[64];
		snprintf(root, sizeof(root), "/proc/%d/root", (int)x->c->pid);
		_cleanup_close_ int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		_cleanup_free_ char *home = rfd >= 0 ? passwd_home(rfd, x->proc->uid) : strdup("/");
		char *s = NULL;
		if (!home || asprintf(&s, "HOME=%s", home) < 0 || strv_push_take(&x->env, s) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
	}
	if (!x->env && !(x->env = calloc(1, sizeof(char *))))
		return cell_error_set(err, ENOMEM, "out of memory");
	return 0;
}

/* The namespaces of the container's init that are not ours, by flag and by
 * fd (for kernels that cannot setns() on a pidfd). */
static int open_namespaces(struct exec_run *x, cell_error **err)
{
	struct exec_plan *p = &x->plan;
	for (int t = 0; t < OCI_NS_TYPES; t++) {
		char theirs[64], ours[64];
		snprintf(theirs, sizeof(theirs), "/proc/%d/ns/%s", (int)x->c->pid, oci_ns_proc_names[t]);
		snprintf(ours, sizeof(ours), "/proc/self/ns/%s", oci_ns_proc_names[t]);
		struct stat a, b;
		if (stat(theirs, &a) < 0) {
			if (errno == ENOENT && t == OCI_NS_TIME)
				continue; /* a kernel without time namespaces */
			return cell_error_errno(err, errno, "container %s: %s", x->c->id, theirs);
		}
		if (stat(ours, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			continue;
		p->ns_fds[t] = open(theirs, O_RDONLY | O_CLOEXEC);
		if (p->ns_fds[t] < 0)
			return cell_error_errno(err, errno, "container %s: open %s", x->c->id, theirs);
		p->ns_flags |= oci_ns_clone_flags[t];
	}
	/* The init could have died and its pid been reused while we looked. */
	if (pidfd_exited(p->pidfd))
		return cell_error_set(err, ESRCH, "cannot exec in container %s: its init process is gone",
				      x->c->id);
	return 0;
}

/* "[CONTROLLER:]PATH" of --cgroup for hierarchy d, or NULL. A bare PATH is
 * the default; a controller's own entry wins. */
/* Where the process goes: the container's cgroup, or with --cgroup a
 * sub-cgroup of it (runc's [controller:]path). */
static int resolve_cgroups(struct exec_run *x, cell_error **err)
{
	const struct cgroup *cg = x->c->cgroup;
	char *const *subs = x->o->cgroups;
	if (!cg) {
		if (subs && subs[0])
			return cell_error_set(err, EINVAL, "--cgroup: container %s has no cgroup of its own",
					      x->c->id);
		return 0;
	}
	int r = cgroup_sub(cg, (const char *const *)subs, &x->cgroup, err);
	if (r < 0)
		return cell_error_prefix(err, "container %s", x->c->id);
	return 0;
}

/* The child enters the v1 hierarchies itself and is cloned into the unified
 * one; this moves it there when the kernel refused the latter. */
static int enter_unified(struct exec_run *x, pid_t pid, int refused, cell_error **err)
{
	if (!refused)
		return 0;
	log_debug("exec in container %s: clone into cgroup %s: %s; moving the process instead", x->c->id,
		  x->join.unified_path, strerror(refused));
	int r = cgroup_join_unified_by_pid(&x->join, pid, err);
	if (r < 0)
		return cell_error_prefix(err, "exec");
	return 0;
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

static int prepare(struct exec_run *x, cell_error **err)
{
	const struct exec_opts *o = x->o;
	struct container *c = x->c;
	int r;
	if (c->status == CONTAINER_STOPPED || c->status == CONTAINER_CREATING)
		return cell_error_set(err, EINVAL, "cannot exec in container %s: it is %s", c->id,
				      container_status_name(c->status));
	if (c->status == CONTAINER_PAUSED)
		return cell_error_set(err, EBUSY,
				      "cannot exec in container %s: it is paused (resume it first)", c->id);
	if (o->preserve_fds < 0)
		return cell_error_set(err, EINVAL, "--preserve-fds: must not be negative");
	if ((r = container_load_config(c, &x->config, err)) < 0)
		return r;
	if ((r = build_process(x, err)) < 0 ||
	    (r = lsm_plan_build(x->config, x->proc, "process", &x->plan.lsm, err)) < 0)
		return cell_error_prefix(err, "exec in container %s", c->id);
	bool terminal = x->proc->terminal;
	if (terminal && o->detach && !o->console_socket)
		return cell_error_set(err, EINVAL,
				      "process.terminal: a detached process's terminal needs a receiver: use "
				      "--console-socket");
	if (o->console_socket && (!terminal || !o->detach))
		return cell_error_set(
		    err, EINVAL,
		    "--console-socket: only for a process with a terminal that runs detached "
		    "(--tty --detach)");
	if ((r = caps_plan_build(x->proc, "process", &x->plan.caps, err)) < 0 || (r = build_env(x, err)) < 0)
		return r;
	x->plan.pidfd = pid_open(c->pid, c->start_time);
	if (x->plan.pidfd < 0)
		return cell_error_set(err, ESRCH, "cannot exec in container %s: its init process is gone",
				      c->id);
	if ((r = open_namespaces(x, err)) < 0 || (r = resolve_cgroups(x, err)) < 0)
		return r;
	if (x->cgroup && (r = cgroup_join_open(x->cgroup, &x->join, err)) < 0)
		return r;
	x->plan.cgroup_tasks_fds = x->join.tasks_fds;
	x->plan.cgroup_tasks_names = x->join.names;
	x->plan.n_cgroup_tasks = x->join.n;
	/* The container's seccomp profile applies to every process in it. */
	_cleanup_json_ json_t *state = container_oci_state(c);
	_cleanup_free_ char *state_text = state ? json_dumps(state, JSON_COMPACT) : NULL;
	if (!state_text)
		return cell_error_set(err, ENOMEM, "out of memory");
	if ((r = seccomp_plan_build(x->config, state_text, &x->plan.seccomp, err)) < 0)
		return cell_error_prefix(err, "exec in container %s", c->id);
	if (o->console_socket && (r = console_socket_connect(o->console_socket, &x->console_sock, err)) < 0)
		return r;
	const char *keep = oci_annotation(x->config, "run.oci.keep_original_groups");
	x->plan.id = c->id;
	x->plan.process = x->proc;
	x->plan.env = x->env;
	x->plan.keep_groups = keep && strcmp(keep, "1") == 0;
	x->plan.preserve_fds = o->preserve_fds;

	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return cell_error_errno(err, errno, "create the sync socket");
	x->sync_fd = sv[0];
	x->plan.sync_fd = sv[1];
	/* No fd of ours may sit where the process's preserved fds go. */
	int min = 3 + o->preserve_fds;
	r = cell_log_move_fd_above(min);
	for (int t = 0; r == 0 && t < OCI_NS_TYPES; t++)
		r = move_fd_above(&x->plan.ns_fds[t], min);
	if (r == 0)
		r = move_fd_above(&x->plan.pidfd, min);
	for (size_t i = 0; r == 0 && i < x->join.n; i++)
		r = move_fd_above(&x->join.tasks_fds[i], min);
	if (r == 0)
		r = move_fd_above(&x->join.unified_fd, min);
	if (r == 0)
		r = move_fd_above(&x->plan.sync_fd, min);
	if (r == 0)
		r = move_fd_above(&x->sync_fd, min);
	if (r == 0)
		r = move_fd_above(&x->console_sock, min);
	if (r == 0)
		r = move_fd_above(&x->plan.seccomp.listener_fd, min);
	if (r == 0)
		r = move_fd_above(&c->dirfd, min);
	if (r < 0)
		return cell_error_errno(err, r, "move descriptors above --preserve-fds");
	return 0;
}

/* Start the child in the cgroup, and learn how it went: the process's pid,
 * its terminal, or an error; the socket closes once the process has
 * exec'd. */
static int start(struct exec_run *x, cell_error **err)
{
	struct clone_request req = {.exit_signal = SIGCHLD, .cgroup_fd = x->join.unified_fd};
	pid_t stage = clone_process(&req);
	if (stage < 0)
		return cell_error_errno(err, -stage, "start the exec process");
	if (stage == 0) {
		close(x->sync_fd);
		exec_init(&x->plan);
	}
	x->stage = stage;
	close(x->plan.sync_fd);
	x->plan.sync_fd = -1;
	int r = enter_unified(x, stage, req.into_cgroup_refused, err);
	if (r == 0 && (r = sync_send(x->sync_fd, SYNC_GO, 0, -1)) < 0)
		r = cell_error_errno(err, r, "start the exec process");
	if (r < 0)
		return r;
	struct sync_msg failure = {0};
	for (;;) {
		struct sync_msg msg;
		int fd = -1;
		r = sync_recv(x->sync_fd, &msg, &fd);
		if (r == -EPIPE || r == -ECONNRESET)
			break;
		if (r < 0)
			return cell_error_errno(err, r, "talk to the exec process");
		if (msg.type == SYNC_PID && x->pid <= 0) {
			x->pid = (pid_t)msg.arg;
		} else if (msg.type == SYNC_CONSOLE && fd >= 0 && x->console_fd < 0) {
			x->console_fd = TAKE_FD(fd);
		} else if (msg.type == SYNC_ERROR && !failure.type) {
			failure = msg;
		}
		if (fd >= 0)
			close(fd);
	}
	int status;
	while (waitpid(stage, &status, 0) < 0 && errno == EINTR)
		;
	x->stage = 0;
	if (failure.type)
		return cell_error_set(err, failure.err > 0 ? failure.err : EIO, "%s", failure.text);
	if (x->pid <= 0)
		return cell_error_set(err, ECHILD, "the exec process exited before it started");
	x->pidfd = (int)syscall(SYS_pidfd_open, x->pid, 0);
	if (x->pidfd < 0)
		return cell_error_errno(err, errno, "open the exec process %d", (int)x->pid);
	return 0;
}

/* A failed exec leaves nothing running. */
static void undo(struct exec_run *x)
{
	if (x->stage > 0) {
		kill(x->stage, SIGKILL);
		waitpid(x->stage, NULL, 0);
	}
	if (x->pid > 0) {
		kill(x->pid, SIGKILL);
		waitpid(x->pid, NULL, 0);
	}
}

static int after_start(struct exec_run *x, const sigset_t *mask, int *exit_status, cell_error **err)
{
	const struct exec_opts *o = x->o;
	int r;
	if (o->pid_file && (r = pid_file_write(o->pid_file, x->pid, err)) < 0)
		return r;
	if (x->console_sock >= 0) {
		if (x->console_fd < 0)
			return cell_error_set(err, EPROTO, "the exec process sent no terminal");
		if ((r = console_socket_send(x->console_sock, x->console_fd, o->console_socket, err)) < 0)
			return r;
	}
	/* Others may delete the container while we wait. */
	container_freep(&x->c);
	if (o->detach) {
		x->pid = 0; /* it is on its own now */
		return 0;
	}
	_cleanup_close_ int sfd = signalfd(-1, mask, SFD_CLOEXEC);
	if (sfd < 0)
		return cell_error_errno(err, errno, "watch signals");
	_cleanup_console_proxy_ struct console_proxy proxy;
	console_proxy_init(&proxy);
	if (x->console_fd >= 0) {
		r = console_proxy_start(&proxy, TAKE_FD(x->console_fd),
					x->proc->has_console_size && !x->size_from_user, err);
		if (r < 0)
			return r;
	}
	r = foreground_wait(x->pid, x->pidfd, sfd, &proxy, -1, NULL, exit_status, err);
	if (r == 0)
		x->pid = 0;
	return r;
}

int runtime_exec(const struct runtime_opts *g, const struct exec_opts *o, int *exit_status, cell_error **err)
{
	struct exec_run x = {
	    .g = g, .o = o, .console_sock = -1, .sync_fd = -1, .pidfd = -1, .console_fd = -1};
	x.plan.sync_fd = x.plan.pidfd = x.plan.seccomp.listener_fd = -1;
	x.join.unified_fd = -1;
	for (int t = 0; t < OCI_NS_TYPES; t++)
		x.plan.ns_fds[t] = -1;
	*exit_status = 0;

	sigset_t mask, old;
	foreground_signal_mask(&mask);
	/* Blocked before the fork so that none slips by before the wait; the
	 * process unblocks them before it execs. */
	sigprocmask(SIG_BLOCK, &mask, &old);
	int r = container_open(g->root, o->id, LOCK_SHARED, &x.c, err);
	if (r == 0)
		r = prepare(&x, err);
	if (r == 0 && ((r = start(&x, err)) < 0 || (r = after_start(&x, &mask, exit_status, err)) < 0))
		cell_error_prefix(err, "exec in container %s", o->id);
	if (r < 0)
		undo(&x);
	sigprocmask(SIG_SETMASK, &old, NULL);
	exec_release(&x);
	return r;
}
