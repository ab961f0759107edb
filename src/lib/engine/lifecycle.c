#include "lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "base/json.h"
#include "base/log.h"
#include "base/path.h"
#include "base/signal.h"
#include "base/strv.h"
#include "base/timefmt.h"
#include "options.h"
#include "runtime/lifecycle.h"
#include "runtime/pidutil.h"
#include "volumes.h"

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void engine_wait_change(struct ctr *c, int timeout_ms)
{
	_cleanup_close_ int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", c->dirfd);
	struct pollfd p[3];
	int n = 0;
	if (in >= 0 &&
	    inotify_add_watch(in, path, IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF) >= 0)
		p[n++] = (struct pollfd){.fd = in, .events = POLLIN};
	_cleanup_close_ int init = -EBADF, mon = -EBADF;
	if (c->init_alive && (init = pid_open((pid_t)ctr_int(c->state, "Pid", 0),
					      (unsigned long long)ctr_int(c->state, "PidStart", 0))) >= 0)
		p[n++] = (struct pollfd){.fd = init, .events = POLLIN};
	if (c->monitor_alive &&
	    (mon = pid_open((pid_t)ctr_int(c->state, "MonitorPid", 0),
			    (unsigned long long)ctr_int(c->state, "MonitorStart", 0))) >= 0)
		p[n++] = (struct pollfd){.fd = mon, .events = POLLIN};
	/* Without inotify a bounded wait stands in: the caller looks again. */
	if (in < 0 && (timeout_ms < 0 || timeout_ms > 200))
		timeout_ms = 200;
	poll(p, (nfds_t)n, timeout_ms);
}

int engine_reconcile(struct engine *e, struct ctr *c, cell_error **err)
{
	const char *st = ctr_str(c->state, "Status");
	if (!st || (strcmp(st, "running") != 0 && strcmp(st, "restarting") != 0))
		return 0;
	if (c->status != CTR_EXITED || c->monitor_alive)
		return 0;
	int r = runtime_delete(&e->rt, c->id, true, err);
	if (r < 0)
		return r;
	char now[48];
	rfc3339_now(now, sizeof(now));
	ctr_state_set(c, "Status", json_string("exited"));
	ctr_state_set(c, "ExitCode", json_integer(c->exit_code));
	ctr_state_set(c, "FinishedAt", json_string(c->finished_at[0] ? c->finished_at : now));
	ctr_state_set(c, "Pid", json_integer(0));
	if ((r = ctr_save_state(c, err)) < 0)
		return r;
	if ((r = storage_container_unmount(e->store->storage, c->id, err)) < 0)
		return r;
	return 1;
}

/* Wait until the recorded process under key has ended (or timeout). */
static bool wait_pid_gone(struct ctr *c, const char *key, int timeout_ms)
{
	char startkey[32];
	snprintf(startkey, sizeof(startkey), "%sStart", strcmp(key, "Pid") == 0 ? "Pid" : "Monitor");
	_cleanup_close_ int fd =
	    pid_open((pid_t)ctr_int(c->state, key, 0), (unsigned long long)ctr_int(c->state, startkey, 0));
	if (fd < 0)
		return true;
	if (pidfd_wait_exit(fd, timeout_ms) == 0)
		return true;
	return !ctr_pid_alive(c, key);
}

/* After the init was told to go: wait for its end, and for the monitor's
 * clean-up; do that clean-up ourselves if the monitor is gone. */
static int wait_stopped(struct engine *e, struct ctr *c, int timeout_ms, bool *timed_out, cell_error **err)
{
	*timed_out = false;
	long long until = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	for (;;) {
		if (ctr_reload(c, err) < 0)
			return -(*err)->code;
		if (c->status != CTR_RUNNING || !c->init_alive)
			break;
		long long left = until < 0 ? -1 : until - now_ms();
		if (until >= 0 && left <= 0) {
			*timed_out = true;
			return 0;
		}
		engine_wait_change(c, (int)(left < 0 || left > 1000 ? 1000 : left));
	}
	/* The monitor records the exit and cleans up (or hands that to its
	 * owner); give it the time that takes. */
	wait_pid_gone(c, "MonitorPid", 30000);
	int r = ctr_lock(c, err);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	if ((r = ctr_reload(c, err)) == 0)
		r = engine_reconcile(e, c, err);
	bool autoremove = r == 1 && ctr_bool(c->record, "HostConfig.AutoRemove");
	ctr_unlock(c);
	if (r < 0)
		return r;
	if (autoremove) {
		r = engine_remove(e, c->id, true, true, err);
		if (r == -ENOENT) {
			if (err)
				cell_error_freep(err);
			r = 0;
		}
	}
	return r;
}

static int stop_signal(struct ctr *c)
{
	const char *s = ctr_str(c->record, "Config.StopSignal");
	int sig = s ? signal_parse(s) : -1;
	return sig > 0 ? sig : SIGTERM;
}

static int mark_stop_requested(struct ctr *c, cell_error **err)
{
	int r = ctr_lock(c, err);
	if (r < 0)
		return r;
	if ((r = ctr_reload(c, err)) == 0) {
		ctr_state_set(c, "StopRequested", json_true());
		r = ctr_save_state(c, err);
	}
	ctr_unlock(c);
	return r;
}

int engine_stop(struct engine *e, const char *ref, int timeout, cell_error **err)
{
	_cleanup_ctr_ struct ctr *c = NULL;
	int r = ctr_open(e, ref, false, &c, err);
	if (r < 0)
		return r;
	if (timeout < 0)
		timeout = (int)ctr_int(c->record, "Config.StopTimeout", 10);
	if ((r = mark_stop_requested(c, err)) < 0)
		return r;
	if (c->status == CTR_RESTARTING) {
		/* Its clean-up sees the stop and does not start it again. */
		wait_pid_gone(c, "MonitorPid", 30000);
		bool t;
		return wait_stopped(e, c, 0, &t, err);
	}
	if (c->status == CTR_RUNNING && c->init_alive) {
		cell_error *ke = NULL;
		if (runtime_kill(&e->rt, c->id, stop_signal(c), false, &ke) < 0)
			log_debug("%s", ke->msg);
		cell_error_free(ke);
		bool timed_out;
		r = wait_stopped(e, c, timeout * 1000, &timed_out, err);
		if (r < 0 || !timed_out)
			return r;
		ke = NULL;
		if (runtime_kill(&e->rt, c->id, SIGKILL, true, &ke) < 0)
			log_debug("%s", ke->msg);
		cell_error_free(ke);
	}
	bool t;
	r = wait_stopped(e, c, 15000, &t, err);
	if (r == 0 && t)
		return cell_error_set(err, EBUSY, "container %s did not stop after SIGKILL", ref);
	return r;
}

int engine_kill(struct engine *e, const char *ref, int sig, cell_error **err)
{
	_cleanup_ctr_ struct ctr *c = NULL;
	int r = ctr_open(e, ref, false, &c, err);
	if (r < 0)
		return r;
	if (c->status != CTR_RUNNING || !c->init_alive)
		return cell_error_set(err, EINVAL, "cannot kill container %s: it is not running", ref);
	/* Docker: a kill that ends the container counts as a stop by the user. */
	if ((sig == SIGKILL || sig == SIGTERM || sig == SIGINT || sig == stop_signal(c)) &&
	    (r = mark_stop_requested(c, err)) < 0)
		return r;
	r = runtime_kill(&e->rt, c->id, sig, false, err);
	if (r == -ESRCH || r == -ENOENT) {
		if (err)
			cell_error_freep(err);
		return cell_error_set(err, EINVAL, "cannot kill container %s: it is not running", ref);
	}
	return r;
}

static int anonymous_volumes(struct engine *e, struct ctr *c, char ***out)
{
	_cleanup_strv_ char **v = NULL;
	size_t i;
	json_t *m;
	json_array_foreach (json_object_get(c->record, "Mounts"), i, m) {
		const char *name = json_string_value(json_object_get(m, "Name"));
		if (!name)
			continue;
		_cleanup_json_ json_t *rec = NULL;
		if (volume_inspect(e, name, &rec, NULL) == 0 &&
		    json_is_true(json_object_get(rec, "Anonymous")) && strv_push(&v, name) < 0)
			return -ENOMEM;
	}
	*out = TAKE_PTR(v);
	return 0;
}

int engine_remove(struct engine *e, const char *id, bool force, bool volumes, cell_error **err)
{
	_cleanup_ctr_ struct ctr *c = NULL;
	int r = ctr_open_id(e, id, true, &c, err);
	if (r < 0)
		return r;
	if ((c->status == CTR_RUNNING || c->status == CTR_RESTARTING) && !force)
		return cell_error_set(err, EBUSY,
				      "cannot remove container %s: it is %s (stop it first, or use --force)",
				      ctr_name(c), ctr_status_name(c->status));
	if (c->status == CTR_RUNNING || c->status == CTR_RESTARTING) {
		ctr_state_set(c, "StopRequested", json_true());
		if ((r = ctr_save_state(c, err)) < 0)
			return r;
		ctr_unlock(c);
		cell_error *ke = NULL;
		if (c->init_alive && runtime_kill(&e->rt, c->id, SIGKILL, true, &ke) < 0)
			log_debug("%s", ke->msg);
		cell_error_free(ke);
		wait_pid_gone(c, "Pid", 10000);
		wait_pid_gone(c, "MonitorPid", 10000);
		if ((r = ctr_lock(c, err)) < 0) {
			if (r != -ENOENT)
				return r;
			/* Its own clean-up removed it (--rm) meanwhile. */
			if (err)
				cell_error_freep(err);
			return 0;
		}
	}
	if ((r = runtime_delete(&e->rt, c->id, true, err)) < 0)
		return r;
	_cleanup_strv_ char **vols = NULL;
	if (volumes && anonymous_volumes(e, c, &vols) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	if ((r = engine_lock(e, true, err)) < 0)
		return r;
	r = storage_container_remove(e->store->storage, c->id, err);
	for (size_t i = 0; r == 0 && vols && vols[i]; i++) {
		cell_error *ve = NULL;
		/* A volume another container still uses stays. */
		if (volume_remove(e, vols[i], false, &ve) < 0)
			log_debug("%s", ve->msg);
		cell_error_free(ve);
	}
	engine_unlock(e);
	if (r < 0)
		return r;
	remove_tree_at(e->run_fd, c->id);
	return 0;
}

int engine_wait(struct engine *e, const char *ref, int *code, cell_error **err)
{
	_cleanup_ctr_ struct ctr *c = NULL;
	int r = ctr_open(e, ref, false, &c, err);
	if (r < 0)
		return r;
	for (;;) {
		if (c->status == CTR_EXITED) {
			*code = c->exit_code;
			return 0;
		}
		engine_wait_change(c, 1000);
		r = ctr_reload(c, err);
		if (r == -ENOENT || (r < 0 && (*err)->code == ENOENT)) {
			/* Removed (--rm) while we waited: its last code is what we saw. */
			if (err)
				cell_error_freep(err);
			*code = c->exit_code;
			return 0;
		}
		if (r < 0)
			return r;
	}
}

int engine_rename(struct engine *e, const char *ref, const char *name, cell_error **err)
{
	if (!ctr_name_valid(name))
		return cell_error_set(err, EINVAL,
				      "invalid container name \"%s\": must match [a-zA-Z0-9][a-zA-Z0-9_.-]*",
				      name);
	int r = engine_lock(e, true, err);
	if (r < 0)
		return r;
	char id[CTR_ID_LEN + 1], other[CTR_ID_LEN + 1];
	_cleanup_ctr_ struct ctr *c = NULL;
	if ((r = ctr_resolve(e, ref, id, err)) == 0 && ctr_find_name(e, name, other) &&
	    strcmp(other, id) != 0)
		r = cell_error_set(err, EEXIST, "the name \"%s\" is already in use by container %.12s", name,
				   other);
	if (r == 0)
		r = ctr_open_id(e, id, true, &c, err);
	if (r == 0) {
		json_object_set_new(c->record, "Name", json_string(name));
		r = ctr_save_record(c, err);
	}
	engine_unlock(e);
	return r;
}

uint64_t engine_rw_size(struct engine *e, const char *id)
{
	char p[CTR_ID_LEN + 16];
	const char *driver = storage_driver_name(e->store->storage);
	snprintf(p, sizeof(p), "%s/%s", id, strcmp(driver, "overlay") == 0 ? "upper" : "rootfs");
	_cleanup_close_ int fd = path_open_beneath(e->containers_fd, p, O_RDONLY | O_DIRECTORY);
	return fd >= 0 ? volume_dir_size(fd) : 0;
}

int engine_prune(struct engine *e, char ***removed, uint64_t *reclaimed, cell_error **err)
{
	struct ctr **v = NULL;
	size_t n = 0;
	int r = ctr_list(e, &v, &n, err);
	if (r < 0)
		return r;
	_cleanup_strv_ char **out = NULL;
	*reclaimed = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (v[i]->status == CTR_RUNNING || v[i]->status == CTR_RESTARTING)
			continue;
		uint64_t size = engine_rw_size(e, v[i]->id);
		cell_error *re = NULL;
		int rr = engine_remove(e, v[i]->id, false, false, &re);
		if (rr == 0) {
			*reclaimed += size;
			strv_push(&out, v[i]->id);
		} else if (rr != -ENOENT && rr != -EBUSY) {
			r = rr;
			*err = re;
			re = NULL;
		}
		cell_error_free(re);
	}
	ctr_list_free(v, n);
	if (r < 0)
		return r;
	if (!out && !(out = calloc(1, sizeof(char *))))
		return cell_error_set(err, ENOMEM, "out of memory");
	*removed = TAKE_PTR(out);
	return 0;
}
