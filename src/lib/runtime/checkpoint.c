/* checkpoint and restore: the criu command lines, the container's external
 * mounts and namespaces, and what restore needs around criu. */
#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/file.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mountinfo.h"
#include "base/path.h"
#include "base/strv.h"
#include "features.h"
#include "lifecycle.h"
#include "linux/userns.h"
#include "pidutil.h"
#include "state.h"

extern char **environ;

/* Written into the image directory at dump, read at restore. */
#define DESCRIPTORS_FILE "descriptors.json" /* fds 0-2 of the init, as runc and crun keep them */
#define MOUNTS_FILE      "cell-mounts.json" /* the external mounts and where each comes from */
#define STDIO_FILE       "cell-stdio.json"  /* fds 0-2 that were files from outside the container */
#define EXT_NETNS        "extRootNetNS"
#define EXT_PIDNS        "extRootPidNS"

static int push(char ***argv, const char *s, cell_error **err)
{
	return strv_push(argv, s) < 0 ? cell_error_set(err, ENOMEM, "out of memory") : 0;
}

static int pushf(char ***argv, cell_error **err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int pushf(char ***argv, cell_error **err, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0 || strv_push_take(argv, s) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	return 0;
}

/* Run argv; with out, its stdout and stderr are collected there. Returns its
 * exit status (or 128+signal), or a negative errno when it could not run. */
static int run_program(char *const *argv, char **out)
{
	int pfd[2] = {-1, -1};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (out) {
		if (pipe2(pfd, O_CLOEXEC) < 0) {
			posix_spawn_file_actions_destroy(&fa);
			return -errno;
		}
		posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
		posix_spawn_file_actions_adddup2(&fa, pfd[1], STDERR_FILENO);
	}
	pid_t pid;
	int r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (out) {
		close(pfd[1]);
		if (r == 0)
			read_all(pfd[0], 1 << 20, out, NULL);
		close(pfd[0]);
	}
	if (r != 0)
		return -r;
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* criu's lines, joined with "; ". A new string. */
static char *join_lines(const char *s)
{
	char *out = malloc(2 * strlen(s) + 1), *o = out;
	if (!out)
		return NULL;
	for (; *s; s++) {
		if (*s != '\n')
			*o++ = *s;
		else if (s[1])
			o = stpcpy(o, "; ");
	}
	*o = '\0';
	return out;
}

static int criu_check(const char *criu, cell_error **err)
{
	char *const argv[] = {(char *)criu, "check", NULL};
	_cleanup_free_ char *out = NULL;
	int r = run_program(argv, &out);
	if (r < 0)
		return cell_error_errno(err, -r, "run %s", criu);
	if (r == 0)
		return 0;
	_cleanup_free_ char *why = out ? join_lines(out) : NULL;
	return cell_error_set(err, ENOTSUP,
			      "criu cannot checkpoint or restore on this system: `criu check` says: %s",
			      why && *why ? why : "(nothing)");
}

/* The last few "Error" lines of criu's log, for the message. */
static char *log_errors(const char *work, const char *log)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", work, log);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	if (read_file_at(AT_FDCWD, path, 64 << 20, &buf, &len) < 0)
		return NULL;
	char *lines[3] = {0};
	int n = 0;
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *e = strstr(line, "Error (");
		if (e) {
			lines[n % 3] = e;
			n++;
		}
	}
	char *out = NULL;
	for (int i = n > 3 ? n - 3 : 0; i < n; i++) {
		char *joined = NULL;
		if (asprintf(&joined, "%s%s%s", out ? out : "", out ? "; " : "", lines[i % 3]) < 0)
			break;
		free(out);
		out = joined;
	}
	return out;
}

static int run_criu(char *const *argv, const char *what, const char *work, const char *log, cell_error **err)
{
	int r = run_program(argv, NULL);
	if (r < 0)
		return cell_error_errno(err, -r, "run %s", argv[0]);
	if (r == 0)
		return 0;
	_cleanup_free_ char *why = log_errors(work, log);
	return cell_error_set(err, EIO, "criu %s failed: %s (log: %s/%s)", what,
			      why ? why : "no error in its log", work, log);
}

/* A mount of the container as its mountinfo shows it. */
struct mnt {
	int id;
	char mountpoint[4096];
	unsigned int major, minor;
	char fstype[64];
};

struct mounts {
	struct mnt *v;
	size_t n;
};

static int add_mount(const struct mountinfo_entry *e, void *data)
{
	struct mounts *ms = data;
	struct mnt *nm = realloc(ms->v, (ms->n + 1) * sizeof(*ms->v));
	if (!nm)
		return -ENOMEM;
	ms->v = nm;
	struct mnt *m = &nm[ms->n++];
	*m = (struct mnt){.id = e->id, .major = e->major, .minor = e->minor};
	snprintf(m->mountpoint, sizeof(m->mountpoint), "%s", e->mountpoint);
	snprintf(m->fstype, sizeof(m->fstype), "%s", e->fstype);
	return 0;
}

static int read_mounts(const char *path, struct mnt **out, size_t *n, cell_error **err)
{
	struct mounts ms = {0};
	int r = mountinfo_foreach(path, add_mount, &ms);
	if (r < 0) {
		free(ms.v);
		return cell_error_errno(err, -r, "read %s", path);
	}
	*out = ms.v;
	*n = ms.n;
	return 0;
}

static bool is_bind(const struct oci_mount *m)
{
	if (m->type && strcmp(m->type, "bind") == 0)
		return true;
	for (size_t k = 0; m->options[k]; k++)
		if (strcmp(m->options[k], "bind") == 0 || strcmp(m->options[k], "rbind") == 0)
			return true;
	return false;
}

static bool same_path(const char *a, const char *b)
{
	_cleanup_free_ char *na = path_normalize(a), *nb = path_normalize(b);
	return na && nb && strcmp(na, nb) == 0;
}

/* Where the mount at mountpoint comes from on the host, as a kind the
 * restore can resolve again on its own host: {"mountpoint", "kind":
 * bind|null|host|cgroup, "index" (bind) or "name" (cgroup)}. NULL when it is
 * the container's own. */
static json_t *classify(const struct oci_config *c, const struct mnt *m, bool host_sb)
{
	const char *mp = m->mountpoint;
	for (size_t i = 0; i < c->n_mounts; i++)
		if (is_bind(&c->mounts[i]) && same_path(c->mounts[i].destination, mp))
			return json_pack("{s:s, s:s, s:I}", "mountpoint", mp, "kind", "bind", "index",
					 (json_int_t)i);
	if (strcmp(m->fstype, "cgroup") == 0 || strcmp(m->fstype, "cgroup2") == 0) {
		const char *name = strncmp(mp, "/sys/fs/cgroup/", 15) == 0 ? mp + 15 : "";
		return json_pack("{s:s, s:s, s:s}", "mountpoint", mp, "kind", "cgroup", "name", name);
	}
	if (!host_sb)
		return NULL;
	for (size_t i = 0; c->linux_.masked_paths[i]; i++)
		if (same_path(c->linux_.masked_paths[i], mp))
			return json_pack("{s:s, s:s}", "mountpoint", mp, "kind", "null");
	/* The binds of a user namespace: devices, and sysfs or mqueue the
	 * kernel would not let it mount. The same path on the host. */
	return json_pack("{s:s, s:s}", "mountpoint", mp, "kind", "host");
}

/* The container's mounts that criu must leave to us: those from the host. */
static int external_mounts(const struct container *ct, const struct oci_config *c, json_t **out,
			   cell_error **err)
{
	char path[64];
	_cleanup_free_ struct mnt *theirs = NULL, *ours = NULL;
	size_t nt = 0, no = 0;
	snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)ct->pid);
	int r = read_mounts(path, &theirs, &nt, err);
	if (r < 0 || (r = read_mounts("/proc/self/mountinfo", &ours, &no, err)) < 0)
		return r;
	json_t *list = json_array();
	for (size_t i = 0; i < nt; i++) {
		if (strcmp(theirs[i].mountpoint, "/") == 0)
			continue; /* the root: criu's --root */
		bool host_sb = false;
		for (size_t j = 0; j < no && !host_sb; j++)
			host_sb = ours[j].major == theirs[i].major && ours[j].minor == theirs[i].minor;
		json_t *e = classify(c, &theirs[i], host_sb);
		if (e)
			json_array_append_new(list, e);
	}
	*out = list;
	return 0;
}

/* The mount id and open flags of the init's fd (from fdinfo); -1 when
 * unknown. */
static int fd_info(pid_t pid, int fd, int *flags)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
	_cleanup_free_ char *buf = NULL;
	if (read_file_at(AT_FDCWD, path, 4096, &buf, NULL) < 0)
		return -1;
	const char *m = strstr(buf, "mnt_id:"), *f = strstr(buf, "flags:");
	*flags = f ? (int)strtol(f + 6, NULL, 8) : O_RDONLY;
	return m ? atoi(m + 7) : -1;
}

/* The init's fds 0-2 that are files on mounts of the host, not the
 * container's (a /dev/null or a log file the caller gave): criu takes them
 * as external files, and restore opens the same path again in their place.
 * [{"fd": N, "key": "file[MNT:INO]", "path": P, "flags": F}] */
static int external_stdio(const struct container *ct, json_t **out, cell_error **err)
{
	char path[64];
	_cleanup_free_ struct mnt *theirs = NULL;
	size_t nt = 0;
	snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)ct->pid);
	int r = read_mounts(path, &theirs, &nt, err);
	if (r < 0)
		return r;
	json_t *list = json_array();
	for (int fd = 0; fd < 3; fd++) {
		struct stat st;
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)ct->pid, fd);
		if (stat(path, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode)))
			continue;
		/* Terminals are criu's own business (--shell-job). */
		unsigned int maj = major(st.st_rdev);
		if (S_ISCHR(st.st_mode) && (maj == 4 || maj == 5 || (maj >= 136 && maj <= 143)))
			continue;
		int flags = 0;
		int id = fd_info(ct->pid, fd, &flags);
		char target[4096];
		ssize_t len = readlink(path, target, sizeof(target) - 1);
		if (len <= 0 || target[0] != '/')
			continue;
		target[len] = '\0';
		bool inside = false;
		for (size_t i = 0; i < nt && !inside; i++)
			inside = theirs[i].id == id;
		if (id < 0 || inside)
			continue;
		char key[64];
		snprintf(key, sizeof(key), "file[%x:%llx]", (unsigned)id, (unsigned long long)st.st_ino);
		json_array_append_new(list, json_pack("{s:i, s:s, s:s, s:i}", "fd", fd, "key", key, "path",
						      target, "flags", flags & (O_ACCMODE | O_APPEND)));
	}
	*out = list;
	return 0;
}

/* The freezer of c's cgroup, for criu to stop the tree with. */
static char *freezer_dir(const struct container *c)
{
	if (!c->cgroup)
		return NULL;
	for (size_t i = 0; i < c->cgroup->n_dirs; i++) {
		const struct cgroup_dir *d = &c->cgroup->dirs[i];
		if ((d->unified && c->cgroup->layout == CGROUP_LAYOUT_V2) ||
		    (!d->unified && d->controllers && strstr(d->controllers, "freezer")))
			return cgroup_dir_path(d);
	}
	return NULL;
}

static const char *cgroups_mode(const char *m, cell_error **err)
{
	static const char *const modes[] = {"soft", "full", "strict", "ignore"};
	if (!m || !*m)
		return "soft";
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
		if (strcmp(m, modes[i]) == 0)
			return m;
	cell_error_set(err, EINVAL, "--manage-cgroups-mode \"%s\": must be soft, full, strict or ignore", m);
	return NULL;
}

static int common_flags(char ***argv, bool tcp, bool ext_unix, bool shell, bool locks, cell_error **err)
{
	int r = 0;
	if (tcp)
		r = push(argv, "--tcp-established", err);
	if (r == 0 && ext_unix)
		r = push(argv, "--ext-unix-sk", err);
	if (r == 0 && shell)
		r = push(argv, "--shell-job", err);
	if (r == 0 && locks)
		r = push(argv, "--file-locks", err);
	return r;
}

/* --external for namespaces the container joined by path: criu leaves them
 * alone at dump and puts the process back into them at restore. */
static int external_namespaces(const struct oci_config *c, char ***argv, cell_error **err)
{
	static const struct {
		enum oci_ns_type t;
		const char *name, *key;
	} ext[] = {{OCI_NS_NETWORK, "net", EXT_NETNS}, {OCI_NS_PID, "pid", EXT_PIDNS}};
	for (size_t i = 0; i < ARRAY_SIZE(ext); i++) {
		const char *p = c->linux_.namespaces[ext[i].t].path;
		struct stat st;
		if (!p)
			continue;
		if (stat(p, &st) < 0)
			return cell_error_errno(err, errno, "linux.namespaces: %s", p);
		int r = push(argv, "--external", err);
		if (r == 0)
			r = pushf(argv, err, "%s[%llu]:%s", ext[i].name, (unsigned long long)st.st_ino,
				  ext[i].key);
		if (r < 0)
			return r;
	}
	return 0;
}

static char *abs_dir(const char *path, const char *fallback)
{
	char buf[4096];
	const char *p = path && *path ? path : fallback;
	if (!realpath(p, buf))
		return NULL;
	return strdup(buf);
}

static int dump_args(const struct checkpoint_opts *o, const struct container *ct, const struct oci_config *c,
		     const char *criu, const char *img, const char *work, json_t *mounts, json_t *stdio,
		     char ***argv, cell_error **err)
{
	const char *mode = cgroups_mode(o->manage_cgroups_mode, err);
	if (!mode)
		return -EINVAL;
	int r;
	if ((r = push(argv, criu, err)) < 0 || (r = push(argv, o->pre_dump ? "pre-dump" : "dump", err)) < 0 ||
	    (r = pushf(argv, err, "--tree=%d", (int)ct->pid)) < 0 ||
	    (r = pushf(argv, err, "--images-dir=%s", img)) < 0 ||
	    (r = pushf(argv, err, "--work-dir=%s", work)) < 0 ||
	    (r = pushf(argv, err, "--log-file=%s", o->pre_dump ? "pre-dump.log" : "dump.log")) < 0 ||
	    (r = push(argv, "-v4", err)) < 0 || (r = pushf(argv, err, "--root=%s", ct->rootfs)) < 0 ||
	    (r = pushf(argv, err, "--manage-cgroups=%s", mode)) < 0)
		return r;
	if (o->leave_running && !o->pre_dump && (r = push(argv, "--leave-running", err)) < 0)
		return r;
	if ((o->pre_dump || o->parent_path) && (r = push(argv, "--track-mem", err)) < 0)
		return r;
	if (o->parent_path && (r = pushf(argv, err, "--prev-images-dir=%s", o->parent_path)) < 0)
		return r;
	if ((r = common_flags(argv, o->tcp_established, o->ext_unix_sk, o->shell_job, o->file_locks, err)) <
	    0)
		return r;
	_cleanup_free_ char *freezer = freezer_dir(ct);
	if (freezer && (r = pushf(argv, err, "--freeze-cgroup=%s", freezer)) < 0)
		return r;
	size_t i;
	json_t *m;
	json_array_foreach (mounts, i, m) {
		const char *mp = json_string_value(json_object_get(m, "mountpoint"));
		if ((r = push(argv, "--external", err)) < 0 ||
		    (r = pushf(argv, err, "mnt[%s]:%s", mp, mp)) < 0)
			return r;
	}
	json_array_foreach (stdio, i, m) {
		const char *key = json_string_value(json_object_get(m, "key"));
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(json_string_value(json_object_get(json_array_get(stdio, j), "key")),
				      key) == 0;
		if (!seen && ((r = push(argv, "--external", err)) < 0 || (r = push(argv, key, err)) < 0))
			return r;
	}
	return external_namespaces(c, argv, err);
}

/* What the dump leaves in the image directory for the restore. */
static int write_json(int dfd, const char *img, const char *name, json_t *j, cell_error **err)
{
	_cleanup_free_ char *s = json_dumps(j, JSON_COMPACT);
	if (!s)
		return cell_error_set(err, ENOMEM, "out of memory");
	int r = write_file_atomic(dfd, name, s, strlen(s), 0600);
	if (r < 0)
		return cell_error_errno(err, r, "write %s/%s", img, name);
	return 0;
}

static int write_restore_notes(const char *img, const struct container *ct, json_t *mounts, json_t *stdio,
			       cell_error **err)
{
	_cleanup_close_ int dfd = open(img, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return cell_error_errno(err, errno, "--image-path %s", img);
	const char *desc = json_string_value(json_object_get(ct->record, "external_descriptors"));
	if (!desc)
		desc = "[]";
	int r = write_file_atomic(dfd, DESCRIPTORS_FILE, desc, strlen(desc), 0600);
	if (r < 0)
		return cell_error_errno(err, r, "write %s/%s", img, DESCRIPTORS_FILE);
	if ((r = write_json(dfd, img, MOUNTS_FILE, mounts, err)) < 0)
		return r;
	return write_json(dfd, img, STDIO_FILE, stdio, err);
}

static int checkpoint(const struct runtime_opts *g, const struct checkpoint_opts *o, struct container *ct,
		      cell_error **err)
{
	if (!cgroups_mode(o->manage_cgroups_mode, err))
		return -EINVAL;
	if (ct->status != CONTAINER_RUNNING && ct->status != CONTAINER_PAUSED)
		return cell_error_set(err, EINVAL, "it is %s, not running",
				      container_status_name(ct->status));
	if (!userns_host_root())
		return cell_error_set(err, EPERM, "checkpointing needs root (criu does)");
	char criu[4096];
	if (runtime_criu_binary(g, criu, sizeof(criu)) < 0)
		return cell_error_set(err, ENOENT, "criu: not found (install criu, or give --criu PATH)");
	int r = criu_check(criu, err);
	if (r < 0)
		return r;
	const char *img_path = o->image_path && *o->image_path ? o->image_path : "checkpoint";
	if (mkdir(img_path, 0700) < 0 && errno != EEXIST)
		return cell_error_errno(err, errno, "--image-path %s", img_path);
	if (o->work_path && mkdir(o->work_path, 0700) < 0 && errno != EEXIST)
		return cell_error_errno(err, errno, "--work-path %s", o->work_path);
	_cleanup_free_ char *img = abs_dir(img_path, NULL), *work = abs_dir(o->work_path, img_path);
	if (!img || !work)
		return cell_error_errno(err, errno, "--image-path %s", img_path);
	_cleanup_config_ struct oci_config *c = NULL;
	_cleanup_json_ json_t *mounts = NULL, *stdio = NULL;
	if ((r = container_load_config(ct, &c, err)) < 0 || (r = external_mounts(ct, c, &mounts, err)) < 0 ||
	    (r = external_stdio(ct, &stdio, err)) < 0)
		return r;
	if (!o->pre_dump && (r = write_restore_notes(img, ct, mounts, stdio, err)) < 0)
		return r;
	_cleanup_strv_ char **argv = NULL;
	if ((r = dump_args(o, ct, c, criu, img, work, mounts, stdio, &argv, err)) < 0)
		return r;
	if ((r = run_criu(argv, o->pre_dump ? "pre-dump" : "dump", work,
			  o->pre_dump ? "pre-dump.log" : "dump.log", err)) < 0)
		return r;
	/* criu has killed the processes: the container is gone, as after
	 * delete. */
	if (!o->pre_dump && !o->leave_running)
		return container_destroy(g, ct, NULL, err);
	return 0;
}

int runtime_checkpoint(const struct runtime_opts *g, const struct checkpoint_opts *o, cell_error **err)
{
	_cleanup_container_ struct container *ct = NULL;
	int r = container_open(g->root, o->id, LOCK_EXCLUSIVE, &ct, err);
	if (r < 0)
		return r;
	r = checkpoint(g, o, ct, err);
	if (r < 0)
		return cell_error_prefix(err, "checkpoint container %s", o->id);
	return 0;
}

/* The host path for an external mount of the dump, from this restore's
 * bundle, config and cgroup. */
static char *mount_source(const struct restore_target *t, json_t *m, cell_error **err)
{
	const char *kind = json_string_value(json_object_get(m, "kind"));
	const char *mp = json_string_value(json_object_get(m, "mountpoint"));
	char *s = NULL;
	if (!kind || !mp) {
		cell_error_set(err, EINVAL, "%s: an entry without kind or mountpoint", MOUNTS_FILE);
		return NULL;
	}
	if (strcmp(kind, "null") == 0)
		return strdup("/dev/null");
	if (strcmp(kind, "host") == 0)
		return strdup(mp);
	if (strcmp(kind, "bind") == 0) {
		json_int_t i = json_integer_value(json_object_get(m, "index"));
		if (i < 0 || (size_t)i >= t->config->n_mounts || !is_bind(&t->config->mounts[i]) ||
		    !same_path(t->config->mounts[i].destination, mp)) {
			cell_error_set(err, EINVAL,
				       "the checkpoint's bind mount on %s is not in this bundle's config",
				       mp);
			return NULL;
		}
		const char *src = t->config->mounts[i].source;
		if (!src ||
		    asprintf(&s, "%s%s%s", src[0] == '/' ? "" : t->bundle, src[0] == '/' ? "" : "/", src) < 0)
			s = NULL;
		return s;
	}
	if (strcmp(kind, "cgroup") == 0 && t->cgroup) {
		const char *name = json_string_value(json_object_get(m, "name"));
		for (size_t i = 0; name && i < t->cgroup->n_dirs; i++) {
			const struct cgroup_dir *d = &t->cgroup->dirs[i];
			const char *dn =
			    d->unified ? (t->cgroup->layout == CGROUP_LAYOUT_V2 ? "" : "unified") : d->name;
			if (strcmp(dn, name) == 0)
				return cgroup_dir_path(d);
		}
	}
	cell_error_set(err, EINVAL, "the checkpoint's mount on %s (%s) has no source here", mp, kind);
	return NULL;
}

/* Mount points that the root file system must have for criu: those not on
 * a file system that criu restores itself (a tmpfs, whose content it
 * dumped). */
static int prepare_mount_points(const struct restore_target *t, int rootfd, cell_error **err)
{
	const struct oci_config *c = t->config;
	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct oci_mount *m = &c->mounts[i];
		if (m->type && (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0))
			continue;
		bool on_tmpfs = false;
		for (size_t j = 0; j < c->n_mounts && !on_tmpfs; j++) {
			size_t n = strlen(c->mounts[j].destination);
			on_tmpfs = j != i && c->mounts[j].type && strcmp(c->mounts[j].type, "tmpfs") == 0 &&
				   strncmp(m->destination, c->mounts[j].destination, n) == 0 &&
				   m->destination[n] == '/';
		}
		if (on_tmpfs)
			continue;
		bool dir = true;
		if (is_bind(m)) {
			struct stat st;
			char *src = NULL;
			if (m->source && asprintf(&src, "%s%s%s", m->source[0] == '/' ? "" : t->bundle,
						  m->source[0] == '/' ? "" : "/", m->source) >= 0) {
				dir = stat(src, &st) < 0 || S_ISDIR(st.st_mode);
				free(src);
			}
		}
		_cleanup_close_ int fd =
		    path_open_in_root(rootfd, m->destination, O_PATH,
				      dir ? PATH_CREATE_DIRS : PATH_CREATE_FILE, dir ? 0755 : 0644);
		if (fd < 0)
			return cell_error_errno(err, -fd, "mounts[%zu]: create mount point %s", i,
						m->destination);
	}
	return 0;
}

/* fds given to criu for --inherit-fd; closed once it is through. */
struct inherited {
	int fds[8];
	size_t n;
};

/* fds 0-2 that were pipes at dump: criu connects ours in their place; files
 * from outside the container are opened again. */
static int inherit_stdio(const char *img, char ***argv, struct inherited *inh, cell_error **err)
{
	_cleanup_json_ json_t *d = NULL;
	_cleanup_close_ int dfd = open(img, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return cell_error_errno(err, errno, "--image-path %s", img);
	int r = json_load_file_at(dfd, DESCRIPTORS_FILE, 1 << 20, &d, err);
	if (r == -ENOENT) {
		cell_error_freep(err);
		return 0;
	}
	if (r < 0)
		return r;
	size_t i;
	json_t *v;
	json_array_foreach (d, i, v) {
		const char *s = json_string_value(v);
		if (i < 3 && s && strncmp(s, "pipe:", 5) == 0 &&
		    ((r = push(argv, "--inherit-fd", err)) < 0 ||
		     (r = pushf(argv, err, "fd[%zu]:%s", i, s)) < 0))
			return r;
	}
	_cleanup_json_ json_t *files = NULL;
	r = json_load_file_at(dfd, STDIO_FILE, 1 << 20, &files, err);
	if (r == -ENOENT) {
		cell_error_freep(err);
		return 0;
	}
	if (r < 0)
		return r;
	json_array_foreach (files, i, v) {
		json_int_t fd = json_integer_value(json_object_get(v, "fd"));
		const char *key = json_string_value(json_object_get(v, "key"));
		const char *path = json_string_value(json_object_get(v, "path"));
		int flags = (int)json_integer_value(json_object_get(v, "flags"));
		if (fd < 0 || fd > 2 || !key || !path || inh->n >= ARRAY_SIZE(inh->fds))
			return cell_error_set(err, EINVAL, "%s/%s: a bad entry", img, STDIO_FILE);
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(json_string_value(json_object_get(json_array_get(files, j), "key")),
				      key) == 0;
		if (seen)
			continue;
		/* No O_CLOEXEC: criu inherits it. */
		int nfd = open(path, (flags & (O_ACCMODE | O_APPEND)) | O_NOCTTY);
		if (nfd < 0)
			return cell_error_errno(err, errno, "fd %lld of the checkpointed init was %s", fd,
						path);
		inh->fds[inh->n++] = nfd;
		if ((r = push(argv, "--inherit-fd", err)) < 0 ||
		    (r = pushf(argv, err, "fd[%d]:%s", nfd, key)) < 0)
			return r;
	}
	return 0;
}

static int restore_args(const struct restore_opts *o, const struct restore_target *t, const char *criu,
			const char *img, const char *work, const char *root, const char *pidfile,
			json_t *mounts, struct inherited *inh, char ***argv, cell_error **err)
{
	const char *mode = cgroups_mode(o->manage_cgroups_mode, err);
	if (!mode)
		return -EINVAL;
	int r;
	if ((r = push(argv, criu, err)) < 0 || (r = push(argv, "restore", err)) < 0 ||
	    (r = pushf(argv, err, "--images-dir=%s", img)) < 0 ||
	    (r = pushf(argv, err, "--work-dir=%s", work)) < 0 ||
	    (r = push(argv, "--log-file=restore.log", err)) < 0 || (r = push(argv, "-v4", err)) < 0 ||
	    (r = pushf(argv, err, "--root=%s", root)) < 0 ||
	    (r = push(argv, "--restore-detached", err)) < 0 ||
	    (r = pushf(argv, err, "--pidfile=%s", pidfile)) < 0 ||
	    (r = pushf(argv, err, "--manage-cgroups=%s", mode)) < 0)
		return r;
	if ((r = common_flags(argv, o->tcp_established, o->ext_unix_sk, o->shell_job, o->file_locks, err)) <
		0 ||
	    (r = inherit_stdio(img, argv, inh, err)) < 0)
		return r;
	/* The processes go into this container's cgroup, whatever the old
	 * one's path was. */
	for (size_t i = 0; t->cgroup && i < t->cgroup->n_dirs; i++) {
		const struct cgroup_dir *d = &t->cgroup->dirs[i];
		if (d->unified)
			r = pushf(argv, err, "--cgroup-root=%s", d->path);
		else
			r = pushf(argv, err, "--cgroup-root=%s:%s", d->controllers, d->path);
		if (r < 0)
			return r;
	}
	size_t i;
	json_t *m;
	json_array_foreach (mounts, i, m) {
		_cleanup_free_ char *src = mount_source(t, m, err);
		if (!src)
			return err && *err ? -(*err)->code : -ENOMEM;
		const char *mp = json_string_value(json_object_get(m, "mountpoint"));
		if ((r = push(argv, "--external", err)) < 0 ||
		    (r = pushf(argv, err, "mnt[%s]:%s", mp, src)) < 0)
			return r;
	}
	/* The namespaces joined by path, as fds criu inherits. */
	static const struct {
		enum oci_ns_type t;
		const char *key;
	} ext[] = {{OCI_NS_NETWORK, EXT_NETNS}, {OCI_NS_PID, EXT_PIDNS}};
	for (size_t k = 0; k < ARRAY_SIZE(ext); k++) {
		const char *p = t->config->linux_.namespaces[ext[k].t].path;
		if (!p)
			continue;
		int fd = open(p, O_RDONLY); /* no O_CLOEXEC: criu inherits it */
		if (fd < 0)
			return cell_error_errno(err, errno, "linux.namespaces: %s", p);
		inh->fds[inh->n++] = fd;
		if ((r = push(argv, "--inherit-fd", err)) < 0 ||
		    (r = pushf(argv, err, "fd[%d]:%s", fd, ext[k].key)) < 0)
			return r;
	}
	return 0;
}

/* The root file system, bound where criu can make it the root of the
 * restored mount namespace; undone once criu is through. */
static int mount_criu_root(const struct restore_target *t, const char *root, cell_error **err)
{
	int r;
	if (mkdirat(t->state_dirfd, "criu-root", 0755) < 0 && errno != EEXIST)
		return cell_error_errno(err, errno, "create %s", root);
	if (mount(t->rootfs, root, NULL, MS_BIND | MS_REC, NULL) < 0) {
		r = cell_error_errno(err, errno, "bind %s on %s", t->rootfs, root);
		unlinkat(t->state_dirfd, "criu-root", AT_REMOVEDIR);
		return r;
	}
	/* Nothing of it may propagate back to the host. */
	mount(NULL, root, NULL, MS_PRIVATE | MS_REC, NULL);
	return 0;
}

static void umount_criu_root(const struct restore_target *t, const char *root)
{
	umount2(root, MNT_DETACH);
	unlinkat(t->state_dirfd, "criu-root", AT_REMOVEDIR);
}

static int restore(const struct runtime_opts *g, const struct restore_opts *o, const struct restore_target *t,
		   pid_t *pid, cell_error **err)
{
	if (!cgroups_mode(o->manage_cgroups_mode, err))
		return -EINVAL;
	if (t->config->process->terminal)
		return cell_error_set(
		    err, ENOTSUP,
		    "process.terminal: restoring a container's terminal is not supported (criu's "
		    "command line cannot hand its pty over); checkpoint containers without one");
	if (!userns_host_root())
		return cell_error_set(err, EPERM, "restoring needs root (criu does)");
	char criu[4096];
	if (runtime_criu_binary(g, criu, sizeof(criu)) < 0)
		return cell_error_set(err, ENOENT, "criu: not found (install criu, or give --criu PATH)");
	int r = criu_check(criu, err);
	if (r < 0)
		return r;
	const char *img_path = o->image_path && *o->image_path ? o->image_path : "checkpoint";
	_cleanup_free_ char *img = abs_dir(img_path, NULL);
	if (!img)
		return cell_error_errno(err, errno, "--image-path %s", img_path);
	if (o->work_path && mkdir(o->work_path, 0700) < 0 && errno != EEXIST)
		return cell_error_errno(err, errno, "--work-path %s", o->work_path);
	_cleanup_free_ char *work = abs_dir(o->work_path, img_path);
	if (!work)
		return cell_error_errno(err, errno, "--work-path %s", o->work_path);
	_cleanup_json_ json_t *mounts = NULL;
	_cleanup_close_ int imgfd = open(img, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (imgfd < 0)
		return cell_error_errno(err, errno, "--image-path %s", img);
	r = json_load_file_at(imgfd, MOUNTS_FILE, 16 << 20, &mounts, err);
	if (r < 0)
		return cell_error_prefix(err, "--image-path %s: not a checkpoint of cellrt", img);
	_cleanup_close_ int rootfd = open(t->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return cell_error_errno(err, errno, "root %s", t->rootfs);
	if ((r = prepare_mount_points(t, rootfd, err)) < 0)
		return r;

	char dir[4096], root[4200], pidfile[4200];
	if ((r = path_of_fd(t->state_dirfd, dir, sizeof(dir))) < 0)
		return cell_error_errno(err, r, "the state of container %s", t->id);
	snprintf(root, sizeof(root), "%s/criu-root", dir);
	snprintf(pidfile, sizeof(pidfile), "%s/criu.pid", dir);
	if ((r = mount_criu_root(t, root, err)) < 0)
		return r;
	struct inherited inh = {.n = 0};
	_cleanup_strv_ char **argv = NULL;
	r = restore_args(o, t, criu, img, work, root, pidfile, mounts, &inh, &argv, err);
	if (r == 0) {
		/* criu leaves the restored tree behind when it exits: as a
		 * subreaper we get it, to wait for it like run does. */
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
		r = run_criu(argv, "restore", work, "restore.log", err);
	}
	for (size_t k = 0; k < inh.n; k++)
		close(inh.fds[k]);
	umount_criu_root(t, root);
	if (r < 0)
		return r;
	_cleanup_free_ char *buf = NULL;
	r = read_file_at(t->state_dirfd, "criu.pid", 64, &buf, NULL);
	unlinkat(t->state_dirfd, "criu.pid", 0);
	if (r < 0)
		return cell_error_errno(err, r, "read the pid criu restored");
	*pid = (pid_t)atoi(buf);
	if (*pid <= 0)
		return cell_error_set(err, EPROTO, "criu wrote no pid of the restored init");
	return 0;
}

int criu_restore(const struct runtime_opts *g, const struct restore_opts *o, const struct restore_target *t,
		 pid_t *pid, cell_error **err)
{
	return restore(g, o, t, pid, err);
}

int runtime_restore(const struct runtime_opts *g, const struct create_opts *o, const struct restore_opts *r,
		    bool detach, int *exit_status, cell_error **err)
{
	struct create_opts c = *o;
	c.restore = r;
	return runtime_run(g, &c, detach, false, exit_status, err);
}
