#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "attach_proto.h"
#include "base/file.h"
#include "base/json.h"
#include "base/log.h"
#include "base/strv.h"
#include "base/timefmt.h"
#include "create.h"
#include "lifecycle.h"
#include "logfile.h"
#include "options.h"
#include "runtime/lifecycle.h"
#include "runtime/pidutil.h"
#include "runtime/state.h"

int engine_start_exit_code(const cell_error *err)
{
	if (!err || !err->msg)
		return 125;
	/* The container init reports a missing or unusable program as
	 * "exec: \"NAME\": …" (linux/process.c), before anything runs. */
	bool exec_step = strstr(err->msg, "exec: \"") || strstr(err->msg, ": exec /");
	if (!exec_step)
		return 125;
	return err->code == ENOENT ? 127 : 126;
}

/* Where the libcell messages of a monitor-to-be go: its stderr is the
 * container's by then. */
static void log_to_run_dir(struct engine *e, const char *id)
{
	_cleanup_free_ char *p = NULL;
	if (asprintf(&p, "%s/containers/%s/monitor.log", e->store->runroot, id) >= 0)
		cell_log_set_file(p, false);
}

static int attach_listen(int run_dirfd, cell_error **err)
{
	unlinkat(run_dirfd, ATTACH_SOCKET_NAME, 0);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cell_error_errno(err, errno, "attach socket");
	/* Through the directory's fd: the run directory's path may be longer
	 * than a socket address can hold. */
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/" ATTACH_SOCKET_NAME, run_dirfd);
	mode_t old = umask(0077);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 16) < 0)
		return cell_error_errno(err, errno, "attach socket");
	return TAKE_FD(fd);
}

/* The container's stdio as fds 0-2 of this process, which the init
 * inherits; our ends come back in io[]: stdin's writer, stdout's and
 * stderr's readers. */
static int wire_stdio(bool tty, bool open_stdin, int io[3], cell_error **err)
{
	io[0] = io[1] = io[2] = -1;
	_cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return cell_error_errno(err, errno, "open /dev/null");
	int in[2] = {-1, -1}, out[2] = {-1, -1}, er[2] = {-1, -1};
	if (!tty && ((open_stdin && pipe2(in, O_CLOEXEC) < 0) || pipe2(out, O_CLOEXEC) < 0 ||
		     pipe2(er, O_CLOEXEC) < 0))
		return cell_error_errno(err, errno, "pipe");
	int r = 0;
	if (dup2(in[0] >= 0 ? in[0] : null, 0) < 0 || dup2(out[1] >= 0 ? out[1] : null, 1) < 0 ||
	    dup2(er[1] >= 0 ? er[1] : null, 2) < 0)
		r = cell_error_errno(err, errno, "dup2");
	/* The container's ends are 0-2 now; ours stay. */
	int theirs[] = {in[0], out[1], er[1]};
	for (size_t i = 0; i < ARRAY_SIZE(theirs); i++)
		if (theirs[i] >= 0)
			close(theirs[i]);
	io[0] = in[1];
	io[1] = out[0];
	io[2] = er[0];
	return r;
}

static void unwire_stdio(void)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return;
	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	close(null);
}

static void report(int fd, int code, const char *msg)
{
	if (fd < 0)
		return;
	char buf[4200];
	int n = code ? snprintf(buf, sizeof(buf), "%d %s", code, msg ? msg : "failed")
		     : snprintf(buf, sizeof(buf), "0");
	write_all(fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static void record_failure(struct ctr *c, const cell_error *err)
{
	char now[48];
	rfc3339_now(now, sizeof(now));
	ctr_state_set(c, "Status", json_string("exited"));
	ctr_state_set(c, "ExitCode", json_integer(engine_start_exit_code(err)));
	ctr_state_set(c, "Error", json_string(err && err->msg ? err->msg : "start failed"));
	ctr_state_set(c, "FinishedAt", json_string(now));
	ctr_state_set(c, "Pid", json_integer(0));
	ctr_save_state(c, NULL);
}

/* A runtime container left by an earlier run (its clean-up has not run, or
 * was killed) is removed before a new one of the same ID is made. */
static int clear_runtime(struct engine *e, const char *id, cell_error **err)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", e->runtime_root, id);
	if (access(p, F_OK) < 0)
		return 0;
	return runtime_delete(&e->rt, id, true, err);
}

static int keep_fd(int fd)
{
	if (fd < 0)
		return 0;
	int fl = fcntl(fd, F_GETFD);
	return fl < 0 ? -errno : fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
}

struct monitor_fds {
	int dir, listen, io[3], pty, owner;
};

/* Replace this process with cell-monitor. */
static int exec_monitor(struct engine *e, struct ctr *c, pid_t pid, int64_t gen, const struct monitor_fds *f,
			cell_error **err)
{
	_cleanup_free_ char *monitor = engine_helper_path("cell-monitor");
	if (!monitor)
		return cell_error_set(err, ENOENT, "the program cell-monitor is not installed");
	if (!e->self)
		return cell_error_set(err, ENOENT, "cannot find the cell program for the clean-up");
	json_t *lc = json_object_get(json_object_get(c->record, "HostConfig"), "LogConfig");
	const char *driver = ctr_str(lc, "Type");
	int64_t max_size = ctr_int(json_object_get(lc, "Config"), "MaxSizeBytes", 0);
	int64_t max_files = ctr_int(json_object_get(lc, "Config"), "MaxFiles", 1);
	_cleanup_strv_ char **argv = NULL;
	char num[64];
	int r = 0;
#define PUSH(s) (r = r < 0 ? r : strv_push(&argv, (s)))
#define PUSH_NUM(flag, v)                                                                                    \
	do {                                                                                                 \
		PUSH(flag);                                                                                  \
		snprintf(num, sizeof(num), "%lld", (long long)(v));                                          \
		PUSH(num);                                                                                   \
	} while (0)
	PUSH(monitor);
	PUSH_NUM("--dir-fd", f->dir);
	PUSH_NUM("--pid", pid);
	PUSH_NUM("--gen", gen);
	PUSH_NUM("--listen-fd", f->listen);
	PUSH_NUM("--stdin-fd", f->io[0]);
	PUSH_NUM("--stdout-fd", f->io[1]);
	PUSH_NUM("--stderr-fd", f->io[2]);
	PUSH_NUM("--pty-fd", f->pty);
	if (f->owner >= 0)
		PUSH_NUM("--owner-fd", f->owner);
	if (ctr_bool(c->record, "Config.StdinOnce"))
		PUSH("--stdin-once");
	if (driver && strcmp(driver, "none") == 0)
		PUSH("--no-log");
	if (!c->durable)
		PUSH("--no-sync");
	PUSH_NUM("--log-max-size", max_size);
	PUSH_NUM("--log-max-files", max_files);
	PUSH("--");
	PUSH(e->self);
	PUSH("--root");
	PUSH(e->store->root);
	PUSH("--runroot");
	PUSH(e->store->runroot);
	PUSH("--log-level");
	PUSH(e->log_level);
	PUSH("container");
	PUSH("cleanup");
	PUSH_NUM("--gen", gen);
	PUSH(c->id);
#undef PUSH
#undef PUSH_NUM
	if (r < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	int fds[] = {f->dir, f->listen, f->io[0], f->io[1], f->io[2], f->pty, f->owner};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if ((r = keep_fd(fds[i])) < 0)
			return cell_error_errno(err, r, "hand fds to the monitor");
	execv(monitor, argv);
	return cell_error_errno(err, errno, "exec %s", monitor);
}

static int start_runtime(struct engine *e, struct ctr *c, bool tty, int *master, unsigned short rows,
			 unsigned short cols, cell_error **err)
{
	_cleanup_free_ char *bundle = engine_container_path(e, c->id);
	if (!bundle)
		return cell_error_set(err, ENOMEM, "out of memory");
	struct create_opts co = {.id = c->id, .bundle = bundle, .console_master = tty ? master : NULL};
	int status = 0;
	if (!tty)
		return runtime_run(&e->rt, &co, true, true, &status, err);
	/* With a terminal: its size is set between create and start, so the
	 * program sees the user's from its first instruction. */
	int r = runtime_create(&e->rt, &co, err);
	if (r < 0)
		return r;
	if (*master >= 0 && rows && cols) {
		struct winsize ws = {.ws_row = rows, .ws_col = cols};
		ioctl(*master, TIOCSWINSZ, &ws);
	}
	r = runtime_start(&e->rt, c->id, err);
	if (r < 0) {
		cell_error *e2 = NULL;
		if (runtime_delete(&e->rt, c->id, true, &e2) < 0)
			log_warning("%s", e2->msg);
		cell_error_free(e2);
	}
	return r;
}

/* The init's pid from the runtime's record: it may have exited already
 * (a zombie of ours until the monitor reaps it). */
static int runtime_pid(struct engine *e, const char *id, pid_t *pid, cell_error **err)
{
	_cleanup_container_ struct container *rc = NULL;
	int r = container_open(e->rt.root, id, LOCK_SHARED, &rc, err);
	if (r < 0)
		return r;
	*pid = rc->pid;
	return *pid > 0 ? 0 : cell_error_set(err, ESRCH, "container %.12s: no process after start", id);
}

static int prepare_and_start(struct engine *e, struct ctr *c, struct monitor_fds *f, pid_t *pid,
			     unsigned short rows, unsigned short cols, cell_error **err)
{
	if (c->status == CTR_RUNNING)
		return cell_error_set(err, EBUSY, "container %s is already running", ctr_name(c));
	int r = clear_runtime(e, c->id, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *rootfs = NULL;
	if ((r = storage_container_mount_flags(e->store->storage, c->id,
					       c->durable ? 0 : STORAGE_MOUNT_VOLATILE, &rootfs, err)) < 0 ||
	    (r = engine_prepare_bundle(e, c, rootfs, err)) < 0)
		return r;
	_cleanup_close_ int rundir = engine_container_run_dir(e, c->id, true, err);
	if (rundir < 0)
		return rundir;
	if ((f->listen = attach_listen(rundir, err)) < 0)
		return f->listen;
	bool tty = ctr_bool(c->record, "Config.Tty");
	log_to_run_dir(e, c->id);
	if ((r = wire_stdio(tty, ctr_bool(c->record, "Config.OpenStdin"), f->io, err)) < 0)
		return r;
	r = start_runtime(e, c, tty, &f->pty, rows, cols, err);
	unwire_stdio();
	if (r == 0)
		r = runtime_pid(e, c->id, pid, err);
	return r;
}

int engine_become_monitor(struct engine *e, const char *id, int owner_fd, int report_fd, unsigned short rows,
			  unsigned short cols, cell_error **err)
{
	setsid();
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	/* What the caller's environment says to a runtime is not for this
	 * container. */
	unsetenv("NOTIFY_SOCKET");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	struct monitor_fds f = {.dir = -1, .listen = -1, .io = {-1, -1, -1}, .pty = -1, .owner = owner_fd};
	_cleanup_ctr_ struct ctr *c = NULL;
	int r = ctr_open_id(e, id, true, &c, err);
	if (r < 0) {
		report(report_fd, -r, *err ? (*err)->msg : NULL);
		return r;
	}
	if (c->status == CTR_RESTARTING && ctr_bool(c->state, "StopRequested")) {
		/* Stopped between its back-off and now: it stays stopped. */
		ctr_state_set(c, "Status", json_string("exited"));
		ctr_save_state(c, NULL);
		storage_container_unmount(e->store->storage, c->id, NULL);
		report(report_fd, ECANCELED, "stopped while it waited to restart");
		return cell_error_set(err, ECANCELED, "container %.12s was stopped", c->id);
	}
	int64_t gen = ctr_int(c->state, "Generation", 0) + 1;
	pid_t pid = 0;
	r = prepare_and_start(e, c, &f, &pid, rows, cols, err);
	if (r == 0 && (f.dir = openat(e->containers_fd, c->id, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		r = cell_error_errno(err, errno, "open container %.12s", c->id);
	if (r < 0) {
		record_failure(c, *err);
		ctr_unlock(c);
		cell_error *e2 = NULL;
		if (storage_container_unmount(e->store->storage, c->id, &e2) < 0)
			log_warning("%s", e2->msg);
		cell_error_free(e2);
		report(report_fd, -r, *err ? (*err)->msg : NULL);
		return r;
	}
	char now[48];
	rfc3339_now(now, sizeof(now));
	ctr_state_set(c, "Status", json_string("running"));
	ctr_state_set_pid(c, "Pid", pid);
	ctr_state_set_pid(c, "MonitorPid", getpid());
	ctr_state_set(c, "StartedAt", json_string(now));
	ctr_state_set(c, "FinishedAt", json_string(""));
	ctr_state_set(c, "Generation", json_integer(gen));
	ctr_state_set(c, "Error", json_string(""));
	ctr_state_set(c, "ExitCode", json_integer(0));
	/* A start (by the user or the policy) ends what a stop asked for. */
	ctr_state_set(c, "StopRequested", json_false());
	if ((r = ctr_save_state(c, err)) < 0) {
		runtime_kill(&e->rt, c->id, SIGKILL, true, NULL);
		report(report_fd, -r, (*err)->msg);
		return r;
	}
	ctr_unlock(c);
	report(report_fd, 0, NULL);
	if (report_fd >= 0)
		close(report_fd);
	r = exec_monitor(e, c, pid, gen, &f, err);
	/* No monitor: nobody would ever record this run; end it. */
	runtime_kill(&e->rt, c->id, SIGKILL, true, NULL);
	return r;
}

int engine_launch(struct engine *e, const char *id, const struct launch_request *req,
		  struct launch_result *res, cell_error **err)
{
	*res = (struct launch_result){.owner_sock = -1, .exit_code = 125};
	int rp[2], sv[2] = {-1, -1};
	if (pipe2(rp, O_CLOEXEC) < 0)
		return cell_error_errno(err, errno, "pipe");
	if (req->owner && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		int er = errno;
		close(rp[0]);
		close(rp[1]);
		return cell_error_errno(err, er, "socketpair");
	}
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		int er = errno;
		close(rp[0]);
		close(rp[1]);
		if (sv[0] >= 0) {
			close(sv[0]);
			close(sv[1]);
		}
		return cell_error_errno(err, er, "fork");
	}
	if (pid == 0) {
		close(rp[0]);
		if (sv[0] >= 0)
			close(sv[0]);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_IGN);
		cell_error *ce = NULL;
		engine_become_monitor(e, id, sv[1], rp[1], req->rows, req->cols, &ce);
		/* Into the run directory's monitor.log, for whoever looks. */
		log_error("%s", ce ? ce->msg : "starting the monitor failed");
		_exit(1);
	}
	close(rp[1]);
	if (sv[1] >= 0)
		close(sv[1]);
	_cleanup_free_ char *msg = NULL;
	int r = read_all(rp[0], 65536, &msg, NULL);
	close(rp[0]);
	if (r == 0 && msg && strcmp(msg, "0") == 0) {
		res->owner_sock = sv[0];
		res->exit_code = 0;
		_cleanup_ctr_ struct ctr *c = NULL;
		if (ctr_open_id(e, id, false, &c, NULL) == 0)
			res->gen = ctr_int(c->state, "Generation", 0);
		return 0;
	}
	if (sv[0] >= 0)
		close(sv[0]);
	/* The child failed: it has said why, and exits. */
	waitpid(pid, NULL, 0);
	if (r < 0 || !msg || !*msg)
		return cell_error_set(err, EIO, "the monitor of container %.12s ended while starting it", id);
	char *sp = strchr(msg, ' ');
	int code = atoi(msg);
	r = cell_error_set(err, code > 0 ? code : EIO, "%s", sp ? sp + 1 : msg);
	res->exit_code = engine_start_exit_code(*err);
	return r;
}

static bool restart_wanted(struct ctr *c, int code)
{
	if (ctr_bool(c->state, "StopRequested"))
		return false;
	json_t *rp = json_object_get(json_object_get(c->record, "HostConfig"), "RestartPolicy");
	int policy = opt_restart_from_name(ctr_str(rp, "Name"));
	int64_t max = ctr_int(rp, "MaximumRetryCount", 0);
	int64_t count = ctr_int(c->state, "RestartCount", 0);
	switch (policy) {
	case RESTART_ALWAYS:
	case RESTART_UNLESS_STOPPED:
		return true;
	case RESTART_ON_FAILURE:
		return code != 0 && (max <= 0 || count < max);
	case RESTART_NO:
	default:
		return false;
	}
}

static void close_fds(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] > 2)
			close(fds[i]);
}

/* Docker's back-off: 100 ms, doubled after each quick exit, at most 10 s;
 * back to 100 ms after a run of 10 s or more. */
static int64_t next_backoff(struct ctr *c)
{
	int64_t prev = ctr_int(c->state, "BackoffMs", 0);
	int64_t started = 0, finished = 0;
	const char *s = ctr_str(c->state, "StartedAt"), *f = ctr_str(c->state, "FinishedAt");
	bool long_run = s && f && opt_rfc3339_ns(s, &started) && opt_rfc3339_ns(f, &finished) &&
			finished - started >= 10000000000LL;
	if (long_run || prev <= 0)
		return 100;
	return prev * 2 > 10000 ? 10000 : prev * 2;
}

/* Sleep before a restart; false when a stop came meanwhile. */
static bool backoff_wait(struct ctr *c, int64_t ms)
{
	for (int64_t waited = 0; waited < ms; waited += 50) {
		struct timespec ts = {0, 50 * 1000000};
		nanosleep(&ts, NULL);
		cell_error *e = NULL;
		if (ctr_reload(c, &e) < 0) {
			cell_error_free(e);
			return false;
		}
		if (ctr_bool(c->state, "StopRequested") || c->status != CTR_RESTARTING)
			return false;
	}
	return true;
}

/* The runtime's container goes, the exit goes into state.json. */
static int record_exit(struct engine *e, struct ctr *c, cell_error **err)
{
	int r = runtime_delete(&e->rt, c->id, true, err);
	if (r < 0)
		return r;
	char finished[48];
	if (!c->exit_recorded)
		rfc3339_now(finished, sizeof(finished));
	else
		snprintf(finished, sizeof(finished), "%s", c->finished_at);
	ctr_state_set(c, "Status", json_string("exited"));
	ctr_state_set(c, "ExitCode", json_integer(c->exit_code));
	ctr_state_set(c, "FinishedAt", json_string(finished));
	ctr_state_set(c, "Pid", json_integer(0));
	return ctr_save_state(c, err);
}

/* The restart policy brings it back: this process becomes its monitor
 * after the back-off (and does not return), unless a stop comes first. */
static int restart(struct engine *e, struct ctr *c, int64_t gen, const int *client_fds, size_t n_fds,
		   cell_error **err)
{
	int64_t ms = next_backoff(c);
	ctr_state_set(c, "Status", json_string("restarting"));
	ctr_state_set(c, "RestartCount", json_integer(ctr_int(c->state, "RestartCount", 0) + 1));
	ctr_state_set(c, "BackoffMs", json_integer(ms));
	ctr_state_set_pid(c, "MonitorPid", getpid());
	int r = ctr_save_state(c, err);
	ctr_unlock(c);
	close_fds(client_fds, n_fds);
	if (r < 0)
		return r;
	if (!backoff_wait(c, ms)) {
		/* Stopped while it waited: it stays exited. */
		if (ctr_lock(c, NULL) == 0 && ctr_reload(c, NULL) == 0 && c->status == CTR_RESTARTING &&
		    ctr_int(c->state, "Generation", 0) == gen) {
			ctr_state_set(c, "Status", json_string("exited"));
			ctr_save_state(c, NULL);
			storage_container_unmount(e->store->storage, c->id, NULL);
		}
		return 0;
	}
	return engine_become_monitor(e, c->id, -1, -1, 0, 0, err);
}

int engine_cleanup(struct engine *e, const char *id, int64_t gen, bool may_restart, const int *client_fds,
		   size_t n_fds, cell_error **err)
{
	_cleanup_ctr_ struct ctr *c = NULL;
	int r = ctr_open_id(e, id, true, &c, err);
	if (r == -ENOENT) {
		if (err)
			cell_error_freep(err);
		close_fds(client_fds, n_fds);
		return 0;
	}
	if (r < 0) {
		close_fds(client_fds, n_fds);
		return r;
	}
	const char *status = ctr_str(c->state, "Status") ?: "";
	if (ctr_int(c->state, "Generation", 0) != gen ||
	    (strcmp(status, "running") != 0 && strcmp(status, "exited") != 0)) {
		/* Someone started it again, or it restarts already. */
		close_fds(client_fds, n_fds);
		return 0;
	}
	/* Each step may have been done by a clean-up that was killed before
	 * it finished: what is done is not done again. */
	bool just_exited = strcmp(status, "running") == 0;
	if (just_exited && (r = record_exit(e, c, err)) < 0) {
		close_fds(client_fds, n_fds);
		return r;
	}
	if (ctr_bool(c->record, "HostConfig.AutoRemove")) {
		ctr_unlock(c);
		r = engine_remove(e, c->id, true, true, err);
		if (r == -ENOENT) {
			if (err)
				cell_error_freep(err);
			r = 0;
		}
		close_fds(client_fds, n_fds);
		return r;
	}
	if (just_exited && may_restart && restart_wanted(c, c->exit_code))
		return restart(e, c, gen, client_fds, n_fds, err);
	r = storage_container_unmount(e->store->storage, c->id, err);
	ctr_unlock(c);
	close_fds(client_fds, n_fds);
	return r;
}
