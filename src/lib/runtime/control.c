#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "base/json.h"
#include "cgroup/cgroup.h"
#include "cgroup/resources.h"
#include "lifecycle.h"
#include "pidutil.h"
#include "state.h"

extern char **environ;

/* Open id and check it has a cgroup; what names the operation. */
static int open_with_cgroup(const struct runtime_opts *g, const char *id, enum lock_mode lock,
			    const char *what, struct container **out, cell_error **err)
{
	_cleanup_container_ struct container *c = NULL;
	int r = container_open(g->root, id, lock, &c, err);
	if (r < 0)
		return r;
	if (c->status == CONTAINER_STOPPED || c->status == CONTAINER_CREATING)
		return cell_error_set(err, EINVAL, "cannot %s container %s: it is %s", what, id,
				      container_status_name(c->status));
	if (!c->cgroup)
		return cell_error_set(err, ENOTSUP, "cannot %s container %s: it has no cgroup of its own",
				      what, id);
	*out = TAKE_PTR(c);
	return 0;
}

int runtime_pause(const struct runtime_opts *g, const char *id, cell_error **err)
{
	_cleanup_container_ struct container *c = NULL;
	int r = open_with_cgroup(g, id, LOCK_EXCLUSIVE, "pause", &c, err);
	if (r < 0)
		return r;
	if (c->status == CONTAINER_PAUSED)
		return cell_error_set(err, EINVAL, "cannot pause container %s: it is already paused", id);
	if ((r = cgroup_freeze(c->cgroup, true, err)) < 0)
		return cell_error_prefix(err, "pause container %s", id);
	return 0;
}

int runtime_resume(const struct runtime_opts *g, const char *id, cell_error **err)
{
	_cleanup_container_ struct container *c = NULL;
	int r = open_with_cgroup(g, id, LOCK_EXCLUSIVE, "resume", &c, err);
	if (r < 0)
		return r;
	if (c->status != CONTAINER_PAUSED)
		return cell_error_set(err, EINVAL, "cannot resume container %s: it is %s, not paused", id,
				      container_status_name(c->status));
	if ((r = cgroup_freeze(c->cgroup, false, err)) < 0)
		return cell_error_prefix(err, "resume container %s", id);
	return 0;
}

/* Merge resources into the saved config's linux.resources. */
static int record_update(struct container *c, json_t *resources, cell_error **err)
{
	_cleanup_json_ json_t *cfg = NULL;
	int r = json_load_file_at(c->dirfd, "config.json", 64 << 20, &cfg, err);
	if (r < 0)
		return cell_error_prefix(err, "container %s", c->id);
	json_t *lnx = json_object_get(cfg, "linux");
	if (!json_is_object(lnx)) {
		lnx = json_object();
		json_object_set_new(cfg, "linux", lnx);
	}
	json_t *res = json_object_get(lnx, "resources");
	if (!json_is_object(res)) {
		res = json_object();
		json_object_set_new(lnx, "resources", res);
	}
	if (!lnx || !res || cgroup_resources_merge_json(res, resources) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	_cleanup_free_ char *s = json_dumps(cfg, JSON_COMPACT);
	if (!s)
		return cell_error_set(err, ENOMEM, "out of memory");
	r = write_file_replace(c->dirfd, "config.json", s, strlen(s), 0600, false);
	if (r < 0)
		return cell_error_errno(err, r, "save the config of container %s", c->id);
	return 0;
}

int runtime_update(const struct runtime_opts *g, const char *id, json_t *resources, cell_error **err)
{
	_cleanup_container_ struct container *c = NULL;
	int r = open_with_cgroup(g, id, LOCK_EXCLUSIVE, "update", &c, err);
	if (r < 0)
		return r;
	_cleanup_resources_ struct cgroup_resources *res = NULL;
	if ((r = cgroup_resources_parse(resources, "--resources", &res, err)) < 0)
		return r;
	if (res->has_devices) {
		/* New rules replace the old ones whole, with the defaults after. */
		_cleanup_config_ struct oci_config *config = NULL;
		if ((r = container_load_config(c, &config, err)) < 0 ||
		    (r = cgroup_resources_add_default_devices(res, config, err)) < 0)
			return r;
	}
	if ((r = cgroup_apply(c->cgroup, res, true, err)) < 0)
		return cell_error_prefix(err, "update container %s", id);
	return record_update(c, resources, err);
}

static json_t *stats_event(const char *id, const struct cgroup *cg, cell_error **err)
{
	json_t *data = NULL;
	if (cgroup_stats(cg, &data, err) < 0)
		return NULL;
	json_t *ev = json_pack("{s:s, s:s, s:o}", "type", "stats", "id", id, "data", data);
	if (!ev)
		cell_error_set(err, ENOMEM, "out of memory");
	return ev;
}

int runtime_stats(const struct runtime_opts *g, const char *id, json_t **out, cell_error **err)
{
	_cleanup_container_ struct container *c = NULL;
	int r = open_with_cgroup(g, id, LOCK_SHARED, "get the statistics of", &c, err);
	if (r < 0)
		return r;
	*out = stats_event(id, c->cgroup, err);
	return *out ? 0 : -(*err)->code;
}

static int emit_oom(const char *id, runtime_event_fn emit, void *data)
{
	_cleanup_json_ json_t *ev = json_pack("{s:s, s:s}", "type", "oom", "id", id);
	return ev ? emit(ev, data) : -ENOMEM;
}

int runtime_events(const struct runtime_opts *g, const char *id, int interval_ms, runtime_event_fn emit,
		   void *data, cell_error **err)
{
	_cleanup_container_ struct container *c = NULL;
	int r = open_with_cgroup(g, id, LOCK_SHARED, "watch", &c, err);
	if (r < 0)
		return r;
	/* Keep what we need and let go of the lock: events runs for long, and
	 * delete must not wait for it. */
	_cleanup_(cgroup_freep) struct cgroup *cg = TAKE_PTR(c->cgroup);
	_cleanup_close_ int pidfd = pid_open(c->pid, c->start_time);
	container_freep(&c);
	if (pidfd < 0)
		return cell_error_set(err, ESRCH, "container %s: its init process is gone", id);

	struct cgroup_oom *oom = NULL;
	if ((r = cgroup_oom_open(cg, &oom, err)) < 0)
		return cell_error_prefix(err, "watch container %s", id);
	_cleanup_close_ int tfd = -1;
	if (interval_ms > 0) {
		tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
		struct itimerspec its = {
		    .it_interval = {interval_ms / 1000, (long)(interval_ms % 1000) * 1000000L},
		    .it_value = {interval_ms / 1000, (long)(interval_ms % 1000) * 1000000L},
		};
		if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) < 0) {
			cgroup_oom_close(oom);
			return cell_error_errno(err, errno, "events: set up the interval timer");
		}
	}
	r = 0;
	while (r == 0) {
		struct pollfd p[3] = {{.fd = pidfd, .events = POLLIN},
				      {.fd = cgroup_oom_fd(oom), .events = POLLIN},
				      {.fd = tfd, .events = POLLIN}};
		if (poll(p, tfd >= 0 ? 3 : 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = cell_error_errno(err, errno, "events: wait");
			break;
		}
		if (p[1].revents & POLLIN) {
			uint64_t kills = 0;
			cgroup_oom_read(oom, &kills);
			for (uint64_t i = 0; i < kills && r == 0; i++)
				r = emit_oom(id, emit, data);
		}
		if (r == 0 && (p[2].revents & POLLIN)) {
			uint64_t ticks;
			if (read(tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
				break;
			_cleanup_json_ json_t *ev = stats_event(id, cg, err);
			if (!ev) {
				r = -(*err)->code;
				break;
			}
			r = emit(ev, data);
		}
		if (r == 0 && p[0].revents) {
			/* A kill by the OOM killer may be what ended it: report it
			 * before leaving. */
			uint64_t kills = 0;
			if (cgroup_oom_read(oom, &kills) == 0)
				for (uint64_t i = 0; i < kills && r == 0; i++)
					r = emit_oom(id, emit, data);
			break;
		}
	}
	cgroup_oom_close(oom);
	return r;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

int runtime_ps_pids(const struct runtime_opts *g, const char *id, pid_t **out, size_t *n, cell_error **err)
{
	_cleanup_container_ struct container *c = NULL;
	int r = open_with_cgroup(g, id, LOCK_SHARED, "list the processes of", &c, err);
	if (r < 0)
		return r;
	if ((r = cgroup_pids(c->cgroup, out, n, err)) < 0)
		return cell_error_prefix(err, "container %s", id);
	if (*n)
		qsort(*out, *n, sizeof(pid_t), cmp_pid);
	return 0;
}

/* The index of the whitespace-separated column named PID in header. */
static int pid_column(const char *header)
{
	int col = 0;
	for (const char *s = header; *s;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '\n')
			break;
		const char *e = s;
		while (*e && *e != ' ' && *e != '\t' && *e != '\n')
			e++;
		if (e - s == 3 && strncmp(s, "PID", 3) == 0)
			return col;
		col++;
		s = e;
	}
	return -1;
}

static bool line_pid(const char *line, int col, pid_t *out)
{
	const char *s = line;
	for (int i = 0;; i++) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '\n')
			return false;
		if (i == col) {
			char *end;
			long v = strtol(s, &end, 10);
			if (end == s || (*end && *end != ' ' && *end != '\t' && *end != '\n'))
				return false;
			*out = (pid_t)v;
			return true;
		}
		while (*s && *s != ' ' && *s != '\t' && *s != '\n')
			s++;
	}
}

int runtime_ps_filter(const char *ps_output, const pid_t *pids, size_t n, char **out, cell_error **err)
{
	const char *nl = strchr(ps_output, '\n');
	size_t hlen = nl ? (size_t)(nl - ps_output) : strlen(ps_output);
	_cleanup_free_ char *header = strndup(ps_output, hlen);
	if (!header)
		return cell_error_set(err, ENOMEM, "out of memory");
	int col = pid_column(header);
	if (col < 0)
		return cell_error_set(err, EINVAL, "ps: its output has no PID column (header \"%s\")",
				      header);
	char *buf = malloc(strlen(ps_output) + 2);
	if (!buf)
		return cell_error_set(err, ENOMEM, "out of memory");
	size_t len = 0;
	memcpy(buf, header, hlen);
	len = hlen;
	buf[len++] = '\n';
	for (const char *line = nl ? nl + 1 : NULL; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t l = end ? (size_t)(end - line) : strlen(line);
		pid_t pid;
		if (line_pid(line, col, &pid) && bsearch(&pid, pids, n, sizeof(pid_t), cmp_pid)) {
			memcpy(buf + len, line, l);
			len += l;
			buf[len++] = '\n';
		}
		line = end ? end + 1 : NULL;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* Run ps with args and collect its standard output. */
static int run_ps(char *const *args, char **out, cell_error **err)
{
	size_t n = 0;
	while (args && args[n])
		n++;
	_cleanup_free_ char **argv = calloc(n + 2 + (n == 0), sizeof(char *));
	if (!argv)
		return cell_error_set(err, ENOMEM, "out of memory");
	argv[0] = (char *)"ps";
	if (n == 0)
		argv[1] = (char *)"-ef";
	for (size_t i = 0; i < n; i++)
		argv[i + 1] = args[i];
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return cell_error_errno(err, errno, "ps: pipe");
	_cleanup_close_ int rd = pipefd[0];
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	pid_t pid;
	int e = posix_spawnp(&pid, "ps", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (e != 0)
		return cell_error_errno(err, e, "run ps");
	_cleanup_free_ char *buf = NULL;
	int r = read_all(rd, 64 << 20, &buf, NULL);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return cell_error_errno(err, r, "read the output of ps");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return cell_error_set(err, EIO, "ps exited with status %d",
				      WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	*out = TAKE_PTR(buf);
	return 0;
}

int runtime_ps_table(const struct runtime_opts *g, const char *id, char *const *args, char **out,
		     cell_error **err)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	int r = runtime_ps_pids(g, id, &pids, &n, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *ps = NULL;
	if ((r = run_ps(args, &ps, err)) < 0)
		return r;
	return runtime_ps_filter(ps, pids, n, out, err);
}
