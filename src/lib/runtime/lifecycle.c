#include "lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/json.h"
#include "base/log.h"
#include "base/strv.h"
#include "linux/hooks.h"
#include "notify.h"
#include "pidutil.h"

/* How long delete waits for killed processes to go. */
#define EXIT_TIMEOUT_MS 10000

int container_load_config(const struct container *c, struct oci_config **out, cell_error **err)
{
	_cleanup_json_ json_t *j = NULL;
	int r = json_load_file_at(c->dirfd, "config.json", 64 << 20, &j, err);
	if (r < 0)
		return cell_error_prefix(err, "container %s", c->id);
	r = oci_config_parse(j, out, err);
	if (r < 0)
		return cell_error_prefix(err, "container %s: saved config", c->id);
	return 0;
}

static char *state_string(const struct container *c)
{
	_cleanup_json_ json_t *s = container_oci_state(c);
	return s ? json_dumps(s, JSON_COMPACT) : NULL;
}

void container_run_poststart(const struct container *c, const struct oci_config *config)
{
	if (!config->hooks.n[OCI_HOOK_POSTSTART])
		return;
	_cleanup_free_ char *state = state_string(c);
	struct init_error e = {0};
	if (state && hooks_run(&config->hooks, OCI_HOOK_POSTSTART, state, &e) < 0)
		log_warning("container %s: %s", c->id, e.text);
}

int runtime_start(const struct runtime_opts *g, const char *id, cell_error **err)
{
	_cleanup_container_ struct container *c = NULL;
	int r = container_open(g->root, id, LOCK_EXCLUSIVE, &c, err);
	if (r < 0)
		return r;
	if (c->status != CONTAINER_CREATED)
		return cell_error_set(err, EINVAL, "cannot start container %s: it is %s, not created", id,
				      container_status_name(c->status));
	/* NOTIFY_SOCKET at create: listen before the process can speak. */
	const char *host = json_string_value(json_object_get(c->record, "notify_socket"));
	_cleanup_close_ int notify = -EBADF;
	_cleanup_free_ char *notify_host = host ? strdup(host) : NULL;
	if (host) {
		struct stat st;
		if (fstatat(c->dirfd, NOTIFY_DIR, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return cell_error_errno(err, errno, "start container %s: NOTIFY_SOCKET directory",
						id);
		notify = notify_listen(c->dirfd, st.st_uid, st.st_gid, err);
		if (notify < 0)
			return cell_error_prefix(err, "start container %s", id);
	}
	/* The init holds the fifo open; if it is gone, so is the reader. */
	_cleanup_close_ int fd = openat(c->dirfd, "exec.fifo", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENXIO)
		return cell_error_set(err, ESRCH, "cannot start container %s: its init process is gone", id);
	if (fd < 0)
		return cell_error_errno(err, errno, "start container %s: open the exec fifo", id);
	if (write(fd, "0", 1) != 1)
		return cell_error_errno(err, errno, "start container %s: write the exec fifo", id);
	if (unlinkat(c->dirfd, "exec.fifo", 0) < 0)
		return cell_error_errno(err, errno, "start container %s: remove the exec fifo", id);
	container_refresh_status(c);
	_cleanup_config_ struct oci_config *config = NULL;
	if (container_load_config(c, &config, err) < 0)
		return -(*err)->code;
	container_run_poststart(c, config);
	if (notify < 0)
		return 0;
	/* Wait for READY=1 without holding the container's lock. */
	_cleanup_close_ int pidfd = pid_open(c->pid, c->start_time);
	container_freep(&c);
	r = notify_wait_ready(notify, notify_host, pidfd, err);
	return r < 0 ? cell_error_prefix(err, "start container %s", id) : 0;
}

int runtime_kill(const struct runtime_opts *g, const char *id, int sig, bool all, cell_error **err)
{
	_cleanup_container_ struct container *c = NULL;
	int r = container_open(g->root, id, LOCK_SHARED, &c, err);
	if (r < 0)
		return r;
	if (c->status == CONTAINER_STOPPED || c->status == CONTAINER_CREATING)
		return cell_error_set(err, ESRCH, "cannot kill container %s: it is %s", id,
				      container_status_name(c->status));
	if (all && c->cgroup) {
		r = cgroup_kill_all(c->cgroup, sig, err);
		if (r < 0)
			return cell_error_prefix(err, "kill container %s", id);
	}
	_cleanup_close_ int pidfd = pid_open(c->pid, c->start_time);
	if (pidfd < 0) {
		if (all)
			return 0;
		return cell_error_set(err, ESRCH, "cannot kill container %s: its init process is gone", id);
	}
	r = pidfd_signal(pidfd, sig);
	if (r < 0 && !(all && r == -ESRCH))
		return cell_error_errno(err, r, "kill container %s with signal %d", id, sig);
	return 0;
}

/* Stop every process of c and wait until the init is gone. */
static int stop_processes(struct container *c, cell_error **err)
{
	_cleanup_close_ int pidfd = pid_open(c->pid, c->start_time);
	if (!c->new_pid_ns && c->cgroup)
		cgroup_kill_all(c->cgroup, SIGKILL, NULL);
	if (c->cgroup && cgroup_is_frozen(c->cgroup)) {
		/* Paused: SIGKILL waits in a frozen process until it thaws. */
		if (pidfd >= 0)
			pidfd_signal(pidfd, SIGKILL);
		cgroup_kill_all(c->cgroup, SIGKILL, NULL);
		cell_error *e = NULL;
		if (cgroup_freeze(c->cgroup, false, &e) < 0) {
			log_warning("%s", e->msg);
			cell_error_free(e);
		}
	}
	if (pidfd < 0)
		return 0;
	pidfd_signal(pidfd, SIGKILL);
	int r = pidfd_wait_exit(pidfd, 100);
	if (r == -ETIMEDOUT) {
		/* Paused, or frozen by someone else: thaw, or it never dies. */
		cgroup_thaw_pid(c->pid);
		r = pidfd_wait_exit(pidfd, EXIT_TIMEOUT_MS);
	}
	if (r == -ETIMEDOUT)
		return cell_error_set(err, EBUSY, "container %s: init process %d did not exit after SIGKILL",
				      c->id, (int)c->pid);
	return 0;
}

int container_destroy(const struct runtime_opts *g, struct container *c, const struct oci_config *config,
		      cell_error **err)
{
	int r = stop_processes(c, err);
	if (r < 0)
		return r;
	if (c->cgroup && (r = cgroup_destroy(c->cgroup, EXIT_TIMEOUT_MS, err)) < 0)
		return cell_error_prefix(err, "delete container %s", c->id);

	_cleanup_config_ struct oci_config *loaded = NULL;
	cell_error *cerr = NULL;
	if (!config && container_load_config(c, &loaded, &cerr) < 0) {
		log_warning("%s; skipping poststop hooks", cerr->msg);
		cell_error_free(cerr);
	}
	if (!config)
		config = loaded;
	c->status = CONTAINER_STOPPED;
	_cleanup_free_ char *state = state_string(c);
	if ((r = container_remove_dir(g->root, c->id, err)) < 0)
		return r;
	/* poststop: after the container is gone, before delete returns;
	 * failures are only logged. */
	struct init_error e = {0};
	if (config && state && hooks_run(&config->hooks, OCI_HOOK_POSTSTOP, state, &e) < 0)
		log_warning("container %s: %s", c->id, e.text);
	return 0;
}

int runtime_delete(const struct runtime_opts *g, const char *id, bool force, cell_error **err)
{
	_cleanup_container_ struct container *c = NULL;
	int r = container_open(g->root, id, LOCK_EXCLUSIVE, &c, err);
	if (r == -ENOENT && force) {
		if (err)
			cell_error_freep(err);
		return 0;
	}
	if (r < 0)
		return r;
	if ((c->status == CONTAINER_RUNNING || c->status == CONTAINER_PAUSED) && !force)
		return cell_error_set(err, EBUSY,
				      "cannot delete container %s: it is %s (stop it first, or use --force)",
				      id, container_status_name(c->status));
	return container_destroy(g, c, NULL, err);
}

int runtime_state(const struct runtime_opts *g, const char *id, json_t **out, cell_error **err)
{
	_cleanup_container_ struct container *c = NULL;
	int r = container_open(g->root, id, LOCK_SHARED, &c, err);
	if (r < 0)
		return r;
	*out = container_oci_state(c);
	return *out ? 0 : cell_error_set(err, ENOMEM, "out of memory");
}

int runtime_list(const struct runtime_opts *g, json_t **out, cell_error **err)
{
	_cleanup_strv_ char **ids = NULL;
	int r = container_list_ids(g->root, &ids, err);
	if (r < 0)
		return r;
	json_t *arr = json_array();
	if (!arr)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; ids[i]; i++) {
		_cleanup_container_ struct container *c = NULL;
		/* A container deleted while we list is simply not listed. */
		if (container_open(g->root, ids[i], LOCK_SHARED, &c, NULL) < 0)
			continue;
		json_array_append_new(arr, container_oci_state(c));
	}
	*out = arr;
	return 0;
}
