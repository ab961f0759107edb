/* Layout detection, path resolution, creation,
 * process listing, killing and removal. */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mountinfo.h"
#include "base/path.h"
#include "base/strv.h"
#include "cgfile.h"
#include "driver.h"
#include "systemd.h"

static const char *const layout_names[] = {"v1", "hybrid", "v2"};

/* A cgroup mount found in mountinfo. */
struct hier {
	char *mountpoint;
	char *options; /* v1: the controllers, from the super options */
	bool unified;
};

static void hiers_free(struct hier *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(h[i].mountpoint);
		free(h[i].options);
	}
	free(h);
}

/* Keeps only the controller words of v1 super options ("rw,memory" → "memory"). */
static char *v1_controllers(const char *super)
{
	_cleanup_free_ char *copy = strdup(super);
	char *out = calloc(1, strlen(super) + 1);
	if (!copy || !out) {
		free(out);
		return NULL;
	}
	char *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (strcmp(t, "rw") == 0 || strcmp(t, "ro") == 0 || strncmp(t, "release_agent=", 14) == 0 ||
		    strcmp(t, "clone_children") == 0 || strcmp(t, "noprefix") == 0 ||
		    strcmp(t, "xattr") == 0 || strcmp(t, "cpuset_v2_mode") == 0 ||
		    strcmp(t, "favordynmods") == 0)
			continue;
		if (*out)
			strcat(out, ",");
		strcat(out, t);
	}
	return out;
}

struct hiers {
	struct hier *v;
	size_t n;
};

static int add_hierarchy(const struct mountinfo_entry *m, void *data)
{
	struct hiers *hs = data;
	bool v2 = strcmp(m->fstype, "cgroup2") == 0;
	if (!v2 && strcmp(m->fstype, "cgroup") != 0)
		return 0;
	_cleanup_free_ char *options = v2 ? NULL : v1_controllers(m->super_options);
	if (!v2 && !options)
		return -ENOMEM;
	/* The same hierarchy mounted twice (bind mounts) counts once. */
	for (size_t i = 0; i < hs->n; i++)
		if (hs->v[i].unified == v2 && (v2 || strcmp(hs->v[i].options, options) == 0))
			return 0;
	struct hier *nh = realloc(hs->v, (hs->n + 1) * sizeof(*nh));
	if (!nh)
		return -ENOMEM;
	hs->v = nh;
	char *mp = strdup(m->mountpoint);
	if (!mp)
		return -ENOMEM;
	nh[hs->n++] = (struct hier){.mountpoint = mp, .options = TAKE_PTR(options), .unified = v2};
	return 0;
}

static int read_hierarchies(struct hier **out, size_t *n_out, cell_error **err)
{
	struct hiers hs = {0};
	int r = mountinfo_foreach("/proc/self/mountinfo", add_hierarchy, &hs);
	if (r < 0) {
		hiers_free(hs.v, hs.n);
		return cell_error_errno(err, -r, "read /proc/self/mountinfo");
	}
	*out = hs.v;
	*n_out = hs.n;
	return 0;
}

int cgroup_detect_layout(enum cgroup_layout *out, cell_error **err)
{
	struct hier *h = NULL;
	size_t n = 0;
	int r = read_hierarchies(&h, &n, err);
	if (r < 0)
		return r;
	bool v1 = false, v2 = false;
	for (size_t i = 0; i < n; i++) {
		if (h[i].unified)
			v2 = true;
		else
			v1 = true;
	}
	hiers_free(h, n);
	if (!v1 && !v2)
		return cell_error_set(err, ENOENT, "no cgroup file system is mounted");
	*out = v1 ? (v2 ? CGROUP_LAYOUT_HYBRID : CGROUP_LAYOUT_V1) : CGROUP_LAYOUT_V2;
	return 0;
}

/* The caller's own cgroup in the hierarchy with these v1 controllers, or in
 * the unified one (controllers NULL), from self (the text of
 * /proc/self/cgroup, read once for all hierarchies). */
static char *own_cgroup(const char *self, const char *controllers)
{
	if (!self)
		return NULL;
	for (const char *next = self; *next;) {
		const char *end = strchrnul(next, '\n');
		_cleanup_free_ char *line = strndup(next, (size_t)(end - next));
		next = *end ? end + 1 : end;
		if (!line)
			return NULL;
		char *c1 = strchr(line, ':');
		if (!c1)
			continue;
		char *c2 = strchr(c1 + 1, ':');
		if (!c2)
			continue;
		*c2 = '\0';
		const char *list = c1 + 1, *path = c2 + 1;
		if (!controllers) {
			if (strcmp(line, "0") == 0 && *list == '\0')
				return strdup(path);
			continue;
		}
		if (strcmp(list, controllers) == 0)
			return strdup(path);
	}
	return NULL;
}

static char *join_cgroup_path(const char *base, const char *rel)
{
	char *s = NULL;
	if (asprintf(&s, "%s/%s", strcmp(base, "/") == 0 ? "" : base, rel) < 0)
		return NULL;
	char *n = path_normalize(s);
	free(s);
	return n;
}

void cgroup_free(struct cgroup *cg)
{
	if (!cg)
		return;
	for (size_t i = 0; i < cg->n_dirs; i++) {
		free(cg->dirs[i].name);
		free(cg->dirs[i].mountpoint);
		free(cg->dirs[i].path);
		free(cg->dirs[i].controllers);
	}
	free(cg->dirs);
	free(cg->systemd_unit);
	free(cg->systemd_slice);
	free(cg);
}

static int check_path(const char *p, cell_error **err)
{
	/* ".." would leave the hierarchy; refuse it rather than normalise it away. */
	for (const char *s = p; (s = strstr(s, "..")); s += 2)
		if ((s == p || s[-1] == '/') && (s[2] == '/' || s[2] == '\0'))
			return cell_error_set(err, EINVAL,
					      "linux.cgroupsPath: \"%s\" must not contain \"..\"", p);
	return 0;
}

int cgroup_resolve(const char *cgroups_path, const char *id, struct cgroup **out, cell_error **err)
{
	struct hier *h = NULL;
	size_t n = 0;
	int r;
	const char *want = cgroups_path && *cgroups_path ? cgroups_path : id;

	if ((r = check_path(want, err)) < 0)
		return r;
	_cleanup_cgroup_ struct cgroup *cg = calloc(1, sizeof(*cg));
	if (!cg)
		return cell_error_set(err, ENOMEM, "out of memory");
	if ((r = read_hierarchies(&h, &n, err)) < 0)
		return r;
	cg->dirs = calloc(n ? n : 1, sizeof(*cg->dirs));
	if (!cg->dirs) {
		hiers_free(h, n);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	bool v1 = false, v2 = false;
	_cleanup_free_ char *self = NULL;
	if (want[0] != '/' && read_file_at(AT_FDCWD, "/proc/self/cgroup", 1 << 20, &self, NULL) < 0)
		self = NULL;
	for (size_t i = 0; i < n; i++) {
		struct cgroup_dir *d = &cg->dirs[cg->n_dirs];
		if (h[i].unified)
			v2 = true;
		else
			v1 = true;
		const char *slash = strrchr(h[i].mountpoint, '/');
		d->name = strdup(h[i].unified ? "" : (slash ? slash + 1 : h[i].mountpoint));
		d->mountpoint = TAKE_PTR(h[i].mountpoint);
		d->controllers = TAKE_PTR(h[i].options);
		d->unified = h[i].unified;
		cg->n_dirs++;
		if (!d->name) {
			hiers_free(h, n);
			return cell_error_set(err, ENOMEM, "out of memory");
		}
		if (want[0] == '/') {
			d->path = path_normalize(want);
		} else {
			_cleanup_free_ char *own = own_cgroup(self, d->unified ? NULL : d->controllers);
			d->path = join_cgroup_path(own ? own : "/", want);
		}
		if (!d->path) {
			hiers_free(h, n);
			return cell_error_set(err, ENOMEM, "out of memory");
		}
	}
	hiers_free(h, n);
	if (!v1 && !v2)
		return cell_error_set(err, ENOENT, "no cgroup file system is mounted");
	cg->layout = v1 ? (v2 ? CGROUP_LAYOUT_HYBRID : CGROUP_LAYOUT_V1) : CGROUP_LAYOUT_V2;
	*out = TAKE_PTR(cg);
	return 0;
}

char *cgroup_dir_path(const struct cgroup_dir *d)
{
	char *s = NULL;
	if (asprintf(&s, "%s%s", d->mountpoint, d->path) < 0)
		return NULL;
	return s;
}

/* A new v1 cpuset cgroup starts with no cpus and no memory nodes, and takes
 * no process until it has some: copy them down from the parent, level by
 * level, as runc does. */
static int cpuset_fill(const char *mountpoint, const char *path, cell_error **err)
{
	_cleanup_free_ char *rel = strdup(path);
	if (!rel)
		return cell_error_set(err, ENOMEM, "out of memory");
	char dir[8192], parent[8192];
	snprintf(parent, sizeof(parent), "%s", mountpoint);
	for (char *s = rel + 1, *e; s && *s; s = e ? e + 1 : NULL) {
		e = strchr(s, '/');
		if (e)
			*e = '\0';
		snprintf(dir, sizeof(dir), "%s/%s", parent, s);
		static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
		for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
			_cleanup_free_ char *mine = NULL, *theirs = NULL;
			char p1[8300], p2[8300];
			snprintf(p1, sizeof(p1), "%s/%s", dir, files[i]);
			snprintf(p2, sizeof(p2), "%s/%s", parent, files[i]);
			if (read_file_at(AT_FDCWD, p1, 65536, &mine, NULL) < 0)
				continue;
			if (mine[0] != '\n' && mine[0] != '\0')
				continue;
			int r = read_file_at(AT_FDCWD, p2, 65536, &theirs, NULL);
			if (r == 0)
				r = write_file_at(AT_FDCWD, p1, theirs, strlen(theirs), 0644);
			if (r < 0)
				return cell_error_errno(err, r, "initialise %s from %s", p1, p2);
		}
		snprintf(parent, sizeof(parent), "%s", dir);
		if (e)
			*e = '/';
	}
	return 0;
}

static const struct cgroup_driver *driver_of(const struct cgroup *cg)
{
	return cg->layout == CGROUP_LAYOUT_V2 ? &cgroup_v2_driver : &cgroup_v1_driver;
}

int cgroup_create(const struct cgroup *cg, cell_error **err)
{
	for (size_t i = 0; i < cg->n_dirs; i++) {
		const struct cgroup_dir *d = &cg->dirs[i];
		_cleanup_free_ char *p = cgroup_dir_path(d);
		if (!p)
			return cell_error_set(err, ENOMEM, "out of memory");
		int r = mkdir_parents(p, 0755);
		if (r < 0)
			return cell_error_errno(err, r, "create cgroup %s", p);
		if (!d->unified && d->controllers && strstr(d->controllers, "cpuset") &&
		    (r = cpuset_fill(d->mountpoint, d->path, err)) < 0)
			return r;
	}
	return driver_of(cg)->prepare(cg, err);
}

int cgroup_enter(const struct cgroup *cg, pid_t pid, cell_error **err)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%d", (int)pid);
	for (size_t i = 0; i < cg->n_dirs; i++) {
		_cleanup_free_ char *dir = cgroup_dir_path(&cg->dirs[i]);
		if (!dir)
			return cell_error_set(err, ENOMEM, "out of memory");
		_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			return cell_error_errno(err, errno, "open cgroup %s", dir);
		int r = write_file_at(dfd, "cgroup.procs", buf, (size_t)len, 0644);
		if (r < 0)
			return cell_error_errno(err, r, "move process %d into cgroup %s", (int)pid, dir);
	}
	return 0;
}

int cgroup_join_open(const struct cgroup *cg, struct cgroup_join *j, cell_error **err)
{
	*j = (struct cgroup_join){.unified_fd = -1};
	j->tasks_fds = malloc(cg->n_dirs * sizeof(*j->tasks_fds));
	j->names = calloc(cg->n_dirs + 1, sizeof(*j->names));
	if (!j->tasks_fds || !j->names)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < cg->n_dirs; i++) {
		const struct cgroup_dir *d = &cg->dirs[i];
		_cleanup_free_ char *dir = cgroup_dir_path(d);
		if (!dir)
			return cell_error_set(err, ENOMEM, "out of memory");
		if (d->unified) {
			j->unified_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (j->unified_fd < 0)
				return cell_error_errno(err, errno, "open cgroup %s", dir);
			j->unified_path = TAKE_PTR(dir);
			continue;
		}
		char tasks[PATH_MAX];
		if (snprintf(tasks, sizeof(tasks), "%s/tasks", dir) >= (int)sizeof(tasks))
			return cell_error_set(err, ENAMETOOLONG, "open cgroup %s/tasks: path too long", dir);
		int fd = open(tasks, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return cell_error_errno(err, errno, "open cgroup %s/tasks", dir);
		j->tasks_fds[j->n] = fd;
		j->names[j->n++] = TAKE_PTR(dir);
	}
	return 0;
}

void cgroup_join_close(struct cgroup_join *j)
{
	for (size_t i = 0; i < j->n; i++) {
		close(j->tasks_fds[i]);
		free(j->names[i]);
	}
	free(j->tasks_fds);
	free(j->names);
	if (j->unified_fd >= 0)
		close(j->unified_fd);
	free(j->unified_path);
	*j = (struct cgroup_join){.unified_fd = -1};
}

int cgroup_join_unified_by_pid(const struct cgroup_join *j, pid_t pid, cell_error **err)
{
	if (j->unified_fd < 0)
		return 0;
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%d", (int)pid);
	int r = write_file_at(j->unified_fd, "cgroup.procs", buf, (size_t)len, 0644);
	if (r < 0)
		return cell_error_errno(err, r, "move process %d into cgroup %s", (int)pid, j->unified_path);
	return 0;
}

int cgroup_pids(const struct cgroup *cg, pid_t **out, size_t *n, cell_error **err)
{
	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < cg->n_dirs; i++) {
		_cleanup_free_ char *dir = cgroup_dir_path(&cg->dirs[i]);
		_cleanup_free_ char *buf = NULL;
		if (!dir)
			return cell_error_set(err, ENOMEM, "out of memory");
		_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0) {
			if (errno == ENOENT)
				continue;
			return cell_error_errno(err, errno, "open cgroup %s", dir);
		}
		int r = read_file_at(dfd, "cgroup.procs", 16 << 20, &buf, NULL);
		if (r < 0)
			return cell_error_errno(err, r, "read %s/cgroup.procs", dir);
		size_t cap = 0;
		pid_t *pids = NULL;
		for (char *s = buf, *e; *s; s = e) {
			long v = strtol(s, &e, 10);
			if (e == s)
				break;
			while (*e == '\n')
				e++;
			if (*n == cap) {
				cap = cap ? cap * 2 : 16;
				pid_t *np = realloc(pids, cap * sizeof(pid_t));
				if (!np) {
					free(pids);
					return cell_error_set(err, ENOMEM, "out of memory");
				}
				pids = np;
			}
			pids[(*n)++] = (pid_t)v;
		}
		*out = pids;
		return 0;
	}
	return 0;
}

int cgroup_kill_all(const struct cgroup *cg, int sig, cell_error **err)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	int r = cgroup_pids(cg, &pids, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH)
			return cell_error_errno(err, errno, "kill process %d", (int)pids[i]);
	return 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Thaw a v1 freezer cgroup so that killed processes can die. */
static void thaw_v1(const struct cgroup *cg)
{
	for (size_t i = 0; i < cg->n_dirs; i++) {
		if (cg->dirs[i].unified || !cg->dirs[i].controllers ||
		    !strstr(cg->dirs[i].controllers, "freezer"))
			continue;
		_cleanup_free_ char *dir = cgroup_dir_path(&cg->dirs[i]);
		if (!dir)
			continue;
		_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0)
			write_file_at(dfd, "freezer.state", "THAWED", 6, 0644);
	}
}

void cgroup_thaw_pid(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f)
		return;
	struct hier *h = NULL;
	size_t n = 0;
	if (read_hierarchies(&h, &n, NULL) < 0)
		return;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		const char *list = c1 + 1, *cgpath = c2 + 1;
		bool unified = *list == '\0';
		if (!unified && strcmp(list, "freezer") != 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (h[i].unified != unified || (!unified && strcmp(h[i].options, "freezer") != 0))
				continue;
			char file[8192];
			snprintf(file, sizeof(file), "%s%s/%s", h[i].mountpoint, cgpath,
				 unified ? "cgroup.freeze" : "freezer.state");
			if (access(file, F_OK) == 0)
				write_file_at(AT_FDCWD, file, unified ? "0" : "THAWED", unified ? 1 : 6,
					      0644);
		}
	}
	hiers_free(h, n);
}

int cgroup_destroy(const struct cgroup *cg, int timeout_ms, cell_error **err)
{
	int waited = 0, step = 1;
	if (cg->systemd_unit) {
		/* systemd kills what is left of the scope and forgets it; the
		 * directories it leaves (v1 hierarchies) go below. */
		cell_error *e = NULL;
		if (cgroup_systemd_stop(cg, &e) < 0) {
			log_debug("%s", e->msg);
			cell_error_free(e);
		}
	}
	for (;;) {
		bool busy = false;
		/* Deepest first would matter for sub-cgroups made inside the
		 * container; remove those too. */
		for (size_t i = 0; i < cg->n_dirs; i++) {
			_cleanup_free_ char *dir = cgroup_dir_path(&cg->dirs[i]);
			if (!dir)
				return cell_error_set(err, ENOMEM, "out of memory");
			if (strcmp(cg->dirs[i].path, "/") == 0)
				continue; /* never the root of a hierarchy */
			if (rmdir(dir) == 0 || errno == ENOENT)
				continue;
			if (errno == EBUSY) {
				/* Children first: a nested cgroup the container made. */
				_cleanup_closedir_ DIR *d = opendir(dir);
				struct dirent *de;
				while (d && (de = readdir(d))) {
					if (de->d_type != DT_DIR || de->d_name[0] == '.')
						continue;
					char sub[8192];
					snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
					rmdir(sub);
				}
				busy = true;
				continue;
			}
			return cell_error_errno(err, errno, "remove cgroup %s", dir);
		}
		if (!busy)
			return 0;
		if (waited >= timeout_ms) {
			_cleanup_free_ char *dir = cgroup_dir_path(&cg->dirs[0]);
			return cell_error_set(err, EBUSY,
					      "remove cgroup %s: processes are still in it after %d ms",
					      dir ? dir : "", timeout_ms);
		}
		thaw_v1(cg);
		cgroup_kill_all(cg, SIGKILL, NULL);
		sleep_ms(step);
		waited += step;
		if (step < 50)
			step *= 2;
	}
}

json_t *cgroup_to_json(const struct cgroup *cg)
{
	json_t *dirs = json_array();
	for (size_t i = 0; i < cg->n_dirs; i++) {
		const struct cgroup_dir *d = &cg->dirs[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "name", d->name, "mountpoint", d->mountpoint,
				      "path", d->path, "unified", d->unified);
		if (o && d->controllers)
			json_object_set_new(o, "controllers", json_string(d->controllers));
		json_array_append_new(dirs, o);
	}
	json_t *j = json_pack("{s:s, s:o}", "layout", layout_names[cg->layout], "dirs", dirs);
	if (j && cg->systemd_unit) {
		json_object_set_new(j, "systemd_unit", json_string(cg->systemd_unit));
		json_object_set_new(j, "systemd_slice", json_string(cg->systemd_slice));
	}
	return j;
}

int cgroup_from_json(json_t *j, struct cgroup **out, cell_error **err)
{
	const char *layout = NULL;
	json_t *dirs = NULL;
	int r;
	if (!json_is_object(j))
		return cell_error_set(err, EINVAL, "cgroup: must be an object");
	if ((r = json_get_string(j, "cgroup", "layout", true, &layout, err)) < 0 ||
	    (r = json_get_array(j, "cgroup", "dirs", true, &dirs, err)) < 0)
		return r;
	_cleanup_cgroup_ struct cgroup *cg = calloc(1, sizeof(*cg));
	if (!cg)
		return cell_error_set(err, ENOMEM, "out of memory");
	int l;
	for (l = 0; l < 3; l++)
		if (strcmp(layout, layout_names[l]) == 0)
			break;
	if (l == 3)
		return cell_error_set(err, EINVAL, "cgroup.layout: unknown \"%s\"", layout);
	cg->layout = (enum cgroup_layout)l;
	const char *unit = NULL, *slice = NULL;
	if ((r = json_get_string(j, "cgroup", "systemd_unit", false, &unit, err)) < 0 ||
	    (r = json_get_string(j, "cgroup", "systemd_slice", false, &slice, err)) < 0)
		return r;
	if (unit && (!(cg->systemd_unit = strdup(unit)) || !(cg->systemd_slice = strdup(slice ? slice : ""))))
		return cell_error_set(err, ENOMEM, "out of memory");
	size_t n = json_array_size(dirs);
	cg->dirs = calloc(n ? n : 1, sizeof(*cg->dirs));
	if (!cg->dirs)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(dirs, i);
		const char *name = NULL, *mp = NULL, *path = NULL, *ctl = NULL;
		bool unified = false;
		if ((r = json_get_string(o, "cgroup.dirs", "name", true, &name, err)) < 0 ||
		    (r = json_get_string(o, "cgroup.dirs", "mountpoint", true, &mp, err)) < 0 ||
		    (r = json_get_string(o, "cgroup.dirs", "path", true, &path, err)) < 0 ||
		    (r = json_get_string(o, "cgroup.dirs", "controllers", false, &ctl, err)) < 0 ||
		    (r = json_get_bool(o, "cgroup.dirs", "unified", false, &unified, err)) < 0)
			return r;
		struct cgroup_dir *d = &cg->dirs[cg->n_dirs++];
		d->name = strdup(name);
		d->mountpoint = strdup(mp);
		d->path = strdup(path);
		d->controllers = ctl ? strdup(ctl) : NULL;
		d->unified = unified;
		if (!d->name || !d->mountpoint || !d->path || (ctl && !d->controllers))
			return cell_error_set(err, ENOMEM, "out of memory");
	}
	*out = TAKE_PTR(cg);
	return 0;
}

int cgroup_apply(const struct cgroup *cg, const struct cgroup_resources *r, bool update, cell_error **err)
{
	/* systemd's view of the unit first, or a reload of it would undo ours. */
	if (update && cg->systemd_unit) {
		int rc = cgroup_systemd_set(cg, r, err);
		if (rc < 0)
			return rc;
	}
	return driver_of(cg)->apply(cg, r, update, err);
}

int cgroup_freeze(const struct cgroup *cg, bool frozen, cell_error **err)
{
	return driver_of(cg)->freeze(cg, frozen, err);
}

bool cgroup_is_frozen(const struct cgroup *cg)
{
	return driver_of(cg)->is_frozen(cg);
}

int cgroup_stats(const struct cgroup *cg, json_t **out, cell_error **err)
{
	return driver_of(cg)->stats(cg, out, err);
}

int cgroup_oom_open(const struct cgroup *cg, struct cgroup_oom **out, cell_error **err)
{
	struct cgroup_oom *w = calloc(1, sizeof(*w));
	if (!w)
		return cell_error_set(err, ENOMEM, "out of memory");
	w->fd = w->aux_fd = -1;
	int r = driver_of(cg)->oom_open(cg, w, err);
	if (r < 0) {
		cgroup_oom_close(w);
		return r;
	}
	w->driver = driver_of(cg);
	*out = w;
	return 0;
}

int cgroup_oom_fd(const struct cgroup_oom *w)
{
	return w->fd;
}

int cgroup_oom_read(struct cgroup_oom *w, uint64_t *kills)
{
	return w->driver->oom_read(w, kills);
}

void cgroup_oom_close(struct cgroup_oom *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->aux_fd >= 0)
		close(w->aux_fd);
	free(w->events_dir);
	free(w);
}

static struct cgroup *cgroup_copy(const struct cgroup *cg)
{
	_cleanup_json_ json_t *j = cgroup_to_json(cg);
	struct cgroup *copy = NULL;
	if (!j || cgroup_from_json(j, &copy, NULL) < 0)
		return NULL;
	return copy;
}

/* Append rel to dir d's path. */
static int dir_append(struct cgroup_dir *d, const char *rel)
{
	char *p = join_cgroup_path(d->path, rel);
	if (!p)
		return -ENOMEM;
	free(d->path);
	d->path = p;
	return 0;
}

/* True if the comma-separated wanted list names a controller of have. */
static bool any_controller(const char *wanted, const char *have)
{
	for (const char *w = wanted; *w;) {
		size_t n = strcspn(w, ",");
		char word[64];
		if (n && n < sizeof(word)) {
			memcpy(word, w, n);
			word[n] = '\0';
			if (cgfile_list_has(have, word))
				return true;
		}
		w += n;
		if (*w == ',')
			w++;
	}
	return false;
}

int cgroup_sub(const struct cgroup *cg, const char *const *specs, struct cgroup **out, cell_error **err)
{
	_cleanup_cgroup_ struct cgroup *sub = cgroup_copy(cg);
	if (!sub)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; specs && specs[i]; i++) {
		const char *colon = strchr(specs[i], ':');
		const char *path = colon ? colon + 1 : specs[i];
		while (*path == '/')
			path++;
		if (check_path(path, NULL) < 0)
			return cell_error_set(
			    err, EINVAL, "--cgroup %s: must stay inside the container's cgroup", specs[i]);
		if (!*path)
			return cell_error_set(err, EINVAL, "--cgroup %s: the path is empty", specs[i]);
		_cleanup_free_ char *list = colon ? strndup(specs[i], (size_t)(colon - specs[i])) : NULL;
		if (colon && !list)
			return cell_error_set(err, ENOMEM, "out of memory");
		bool matched = false;
		for (size_t k = 0; k < sub->n_dirs; k++) {
			struct cgroup_dir *d = &sub->dirs[k];
			bool take = !list || (d->unified && sub->layout == CGROUP_LAYOUT_V2) ||
				    (!d->unified && any_controller(list, d->controllers));
			if (!take)
				continue;
			matched = true;
			if (dir_append(d, path) < 0)
				return cell_error_set(err, ENOMEM, "out of memory");
			_cleanup_free_ char *dir = cgroup_dir_path(d);
			if (!dir)
				return cell_error_set(err, ENOMEM, "out of memory");
			struct stat st;
			if (stat(dir, &st) < 0)
				return cell_error_errno(err, errno, "--cgroup %s: sub-cgroup %s", specs[i],
							dir);
		}
		if (!matched)
			return cell_error_set(err, ENOENT,
					      "--cgroup %s: the container has no hierarchy with %s", specs[i],
					      list ? list : "it");
	}
	*out = TAKE_PTR(sub);
	return 0;
}
