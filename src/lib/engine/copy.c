#include "copy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/file.h"
#include "base/path.h"
#include "container.h"
#include "runtime/pidutil.h"

#define MAX_DEPTH 256

bool cp_split(const char *arg, char **container, char **path)
{
	const char *colon = strchr(arg, ':');
	const char *slash = strchr(arg, '/');
	if (!colon || colon == arg || arg[0] == '/' || arg[0] == '.' || (slash && slash < colon))
		return false;
	*container = strndup(arg, (size_t)(colon - arg));
	*path = strdup(colon + 1);
	return *container && *path;
}

/* Where a copy lands: into dir as name (NULL: the source's own name). */
struct target {
	int dir;
	char *name;
	bool must_be_dir_source; /* the destination named an existing directory */
};

struct copier {
	bool archive;
	bool into_container; /* new files get the container's root as owner */
};

static int copy_entry(struct copier *cp, int sdir, const char *sname, int ddir, const char *dname, int depth,
		      cell_error **err);

static int copy_data(int in, int out)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		int r = write_all(out, buf, (size_t)n);
		if (r < 0)
			return r;
	}
}

/* What is at ddir/dname goes, unless it is a directory that a directory
 * merges into. */
static int make_room(int ddir, const char *dname, bool src_is_dir, const char *what, cell_error **err)
{
	struct stat st;
	if (fstatat(ddir, dname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : cell_error_errno(err, errno, "cp: %s", what);
	if (S_ISDIR(st.st_mode)) {
		if (src_is_dir)
			return 1;
		return cell_error_set(err, EISDIR, "cp: cannot overwrite directory %s with a non-directory",
				      what);
	}
	if (src_is_dir)
		return cell_error_set(err, ENOTDIR, "cp: cannot overwrite non-directory %s with a directory",
				      what);
	/* A symlink there is replaced, never followed. */
	if (unlinkat(ddir, dname, 0) < 0 && errno != ENOENT)
		return cell_error_errno(err, errno, "cp: replace %s", dname);
	return 0;
}

static void set_meta(struct copier *cp, int ddir, const char *dname, const struct stat *st)
{
	if (cp->archive)
		fchownat(ddir, dname, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW);
	else
		fchownat(ddir, dname, 0, 0, AT_SYMLINK_NOFOLLOW);
	if (!S_ISLNK(st->st_mode))
		fchmodat(ddir, dname, st->st_mode & 07777, 0);
	struct timespec ts[2] = {st->st_atim, st->st_mtim};
	utimensat(ddir, dname, ts, AT_SYMLINK_NOFOLLOW);
}

static int copy_dir(struct copier *cp, int sdir, const char *sname, int ddir, const char *dname,
		    const struct stat *st, int depth, cell_error **err)
{
	if (depth > MAX_DEPTH)
		return cell_error_set(err, ELOOP, "cp: %s: too deep", sname);
	int r = make_room(ddir, dname, true, dname, err);
	if (r < 0)
		return r;
	if (r == 0 && mkdirat(ddir, dname, 0700) < 0)
		return cell_error_errno(err, errno, "cp: create %s", dname);
	_cleanup_close_ int s = openat(sdir, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int d = openat(ddir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s < 0 || d < 0)
		return cell_error_errno(err, errno, "cp: open %s", s < 0 ? sname : dname);
	int dup = fcntl(s, F_DUPFD_CLOEXEC, 3);
	DIR *dd = dup >= 0 ? fdopendir(dup) : NULL;
	if (!dd) {
		if (dup >= 0)
			close(dup);
		return cell_error_errno(err, errno, "cp: read %s", sname);
	}
	struct dirent *de;
	r = 0;
	while (r == 0 && (de = readdir(dd)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			r = copy_entry(cp, s, de->d_name, d, de->d_name, depth + 1, err);
	closedir(dd);
	if (r == 0)
		set_meta(cp, ddir, dname, st);
	return r;
}

static int copy_entry(struct copier *cp, int sdir, const char *sname, int ddir, const char *dname, int depth,
		      cell_error **err)
{
	struct stat st;
	if (fstatat(sdir, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cell_error_errno(err, errno, "cp: %s", sname);
	if (S_ISDIR(st.st_mode))
		return copy_dir(cp, sdir, sname, ddir, dname, &st, depth, err);
	int r = make_room(ddir, dname, false, dname, err);
	if (r < 0)
		return r;
	if (S_ISREG(st.st_mode)) {
		_cleanup_close_ int in = openat(sdir, sname, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
		if (in < 0)
			return cell_error_errno(err, errno, "cp: open %s", sname);
		_cleanup_close_ int out = openat(
		    ddir, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 0777);
		if (out < 0)
			return cell_error_errno(err, errno, "cp: create %s", dname);
		if ((r = copy_data(in, out)) < 0)
			return cell_error_errno(err, r, "cp: copy %s", sname);
	} else if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(sdir, sname, target, sizeof(target) - 1);
		if (n < 0)
			return cell_error_errno(err, errno, "cp: readlink %s", sname);
		target[n] = '\0';
		if (symlinkat(target, ddir, dname) < 0)
			return cell_error_errno(err, errno, "cp: create %s", dname);
	} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
		if (mknodat(ddir, dname, st.st_mode, st.st_rdev) < 0)
			return cell_error_errno(err, errno, "cp: create %s", dname);
	} else {
		return 0; /* sockets are not copied */
	}
	set_meta(cp, ddir, dname, &st);
	return 0;
}

/* "a/b/c" → dir "a/b", base "c"; "c" → ".", "c"; "/" → "/", ".". A trailing
 * "/." asks for a directory's contents. */
static int split_path(const char *p, char **dir, char **base, bool *contents, bool *trailing_slash)
{
	size_t len = strlen(p);
	*contents = len >= 2 && strcmp(p + len - 2, "/.") == 0;
	*trailing_slash = len > 1 && p[len - 1] == '/';
	_cleanup_free_ char *n = path_normalize(*p ? p : ".");
	if (!n)
		return -ENOMEM;
	if (*contents && strlen(n) >= 2 && strcmp(n + strlen(n) - 2, "/.") == 0)
		n[strlen(n) - 2] = '\0';
	char *slash = strrchr(n, '/');
	if (!slash) {
		*dir = strdup(".");
		*base = strdup(n);
	} else if (slash == n) {
		*dir = strdup("/");
		*base = strdup(slash[1] ? slash + 1 : ".");
	} else {
		*slash = '\0';
		*dir = strdup(n);
		*base = strdup(slash + 1);
	}
	return *dir && *base ? 0 : -ENOMEM;
}

/* Open the parent of a path inside the container root (symlinks resolved
 * inside it) or on the host. */
static int open_dir(int rootfd, const char *dir)
{
	if (rootfd >= 0)
		return path_open_in_root(rootfd, dir, O_RDONLY | O_DIRECTORY, PATH_CREATE_NONE, 0);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* The destination, in the container (rootfd >= 0) or on the host. */
static int resolve_target(int rootfd, const char *path, bool src_is_dir, struct target *t, cell_error **err)
{
	_cleanup_free_ char *dir = NULL, *base = NULL;
	bool contents, slash;
	if (split_path(path, &dir, &base, &contents, &slash) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	_cleanup_close_ int whole =
	    rootfd >= 0 ? path_open_in_root(rootfd, path, O_RDONLY | O_DIRECTORY, PATH_CREATE_NONE, 0)
			: open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (whole >= 0) {
		t->dir = TAKE_FD(whole);
		t->name = NULL;
		t->must_be_dir_source = true;
		return 0;
	}
	int pfd = open_dir(rootfd, dir);
	if (pfd < 0)
		return cell_error_errno(err, pfd, "cp: destination directory %s", dir);
	struct stat st;
	bool exists = fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (!exists && slash) {
		close(pfd);
		return cell_error_set(err, ENOENT, "cp: destination directory %s does not exist", path);
	}
	if (exists && !S_ISDIR(st.st_mode) && src_is_dir) {
		close(pfd);
		return cell_error_set(err, ENOTDIR, "cp: cannot copy a directory to non-directory %s", path);
	}
	t->dir = pfd;
	t->name = strdup(base);
	return t->name ? 0 : cell_error_set(err, ENOMEM, "out of memory");
}

struct source {
	int dir;       /* the source's parent */
	char *name;    /* the entry in it */
	bool contents; /* "SRC/.": what is in the directory, not itself */
	bool is_dir;
};

static int open_whole(int rootfd, const char *path)
{
	if (rootfd >= 0)
		return path_open_in_root(rootfd, path, O_RDONLY | O_NOCTTY, PATH_CREATE_NONE, 0);
	int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int resolve_source(int rootfd, const char *path, bool follow, struct source *s, cell_error **err)
{
	_cleanup_free_ char *dir = NULL, *base = NULL;
	bool slash;
	if (split_path(path, &dir, &base, &s->contents, &slash) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	struct stat st;
	if (follow || strcmp(base, ".") == 0) {
		/* -L (or the root): the whole path resolved, its last link too;
		 * the entry is then that fd ("." for a directory, "" for a file). */
		int whole = open_whole(rootfd, path);
		if (whole < 0)
			return cell_error_errno(err, whole, "cp: %s", path);
		if (fstat(whole, &st) < 0) {
			close(whole);
			return cell_error_errno(err, errno, "cp: %s", path);
		}
		s->dir = whole;
		s->is_dir = S_ISDIR(st.st_mode);
		s->name = strdup(s->is_dir ? "." : "");
		if (!s->is_dir)
			s->contents = false;
		return s->name ? 0 : cell_error_set(err, ENOMEM, "out of memory");
	}
	int pfd = open_dir(rootfd, dir);
	if (pfd < 0)
		return cell_error_errno(err, pfd, "cp: %s", dir);
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		int e = errno;
		close(pfd);
		return cell_error_errno(err, e, "cp: %s", path);
	}
	s->dir = pfd;
	s->name = strdup(base);
	s->is_dir = S_ISDIR(st.st_mode);
	if (!s->is_dir)
		s->contents = false;
	return s->name ? 0 : cell_error_set(err, ENOMEM, "out of memory");
}

static void source_clear(struct source *s)
{
	if (s->dir >= 0)
		close(s->dir);
	free(s->name);
	s->dir = -1;
	s->name = NULL;
}

static void target_clear(struct target *t)
{
	if (t->dir >= 0)
		close(t->dir);
	free(t->name);
	t->dir = -1;
	t->name = NULL;
}

/* Copy a resolved source to a resolved target. base names the source for
 * a copy into a directory. */
static int do_copy(struct copier *cp, struct source *s, struct target *t, const char *base, cell_error **err)
{
	if (s->contents && s->is_dir) {
		const char *dname = t->name ? t->name : ".";
		if (t->name) {
			int r = make_room(t->dir, dname, true, dname, err);
			if (r < 0)
				return r;
			if (r == 0 && mkdirat(t->dir, dname, 0755) < 0)
				return cell_error_errno(err, errno, "cp: create %s", dname);
		}
		_cleanup_close_ int sd =
		    openat(s->dir, s->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_close_ int dd =
		    openat(t->dir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sd < 0 || dd < 0)
			return cell_error_errno(err, errno, "cp: open a directory");
		int dup = fcntl(sd, F_DUPFD_CLOEXEC, 3);
		DIR *d = dup >= 0 ? fdopendir(dup) : NULL;
		if (!d) {
			if (dup >= 0)
				close(dup);
			return cell_error_errno(err, errno, "cp: read the source directory");
		}
		struct dirent *de;
		int r = 0;
		while (r == 0 && (de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				r = copy_entry(cp, sd, de->d_name, dd, de->d_name, 1, err);
		closedir(d);
		return r;
	}
	const char *dname = t->name ? t->name : base;
	if (!*s->name) {
		/* -L through a link to a file: the resolved file's data. */
		struct stat st;
		if (fstat(s->dir, &st) < 0)
			return cell_error_errno(err, errno, "cp: the link's target");
		int r = make_room(t->dir, dname, false, dname, err);
		if (r < 0)
			return r;
		_cleanup_close_ int out = openat(
		    t->dir, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 0777);
		if (out < 0)
			return cell_error_errno(err, errno, "cp: create %s", dname);
		if ((r = copy_data(s->dir, out)) < 0)
			return cell_error_errno(err, r, "cp: copy");
		set_meta(cp, t->dir, dname, &st);
		return 0;
	}
	return copy_entry(cp, s->dir, s->name, t->dir, dname, 0, err);
}

/* The container's root: its own mount namespace's, when it runs (a child
 * joins it), else its mounted root file system. fn runs there. */
typedef int (*in_root_fn)(int rootfd, void *data, cell_error **err);

static int run_in_namespace(pid_t pid, unsigned long long start, in_root_fn fn, void *data, cell_error **err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return cell_error_errno(err, errno, "pipe");
	pid_t child = fork();
	if (child < 0) {
		close(p[0]);
		close(p[1]);
		return cell_error_errno(err, errno, "fork");
	}
	if (child == 0) {
		close(p[0]);
		cell_error *ce = NULL;
		int pidfd = pid_open(pid, start);
		int r = pidfd < 0 ? cell_error_set(&ce, ESRCH, "the container's process is gone")
			: setns(pidfd, CLONE_NEWNS) < 0
			    ? cell_error_errno(&ce, errno, "join the container's mounts")
			    : 0;
		int rootfd = r == 0 ? open("/", O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
		if (r == 0 && rootfd < 0)
			r = cell_error_errno(&ce, errno, "open the container's root");
		if (r == 0)
			r = fn(rootfd, data, &ce);
		if (r < 0) {
			char msg[4200];
			int n =
			    snprintf(msg, sizeof(msg), "%d %s", ce ? ce->code : EIO, ce ? ce->msg : "failed");
			write_all(p[1], msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
		}
		_exit(r < 0 ? 1 : 0);
	}
	close(p[1]);
	_cleanup_free_ char *msg = NULL;
	read_all(p[0], 8192, &msg, NULL);
	close(p[0]);
	int status = 0;
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (msg && *msg) {
		char *sp = strchr(msg, ' ');
		int code = atoi(msg);
		return cell_error_set(err, code > 0 ? code : EIO, "%s", sp ? sp + 1 : msg);
	}
	return cell_error_set(err, EIO, "cp: the copy process failed");
}

static int in_container_root(struct engine *e, struct ctr *c, in_root_fn fn, void *data, cell_error **err)
{
	if (c->status == CTR_RUNNING && c->init_alive)
		return run_in_namespace((pid_t)ctr_int(c->state, "Pid", 0),
					(unsigned long long)ctr_int(c->state, "PidStart", 0), fn, data, err);
	int r = ctr_lock(c, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *rootfs = NULL;
	r = storage_container_mount(e->store->storage, c->id, &rootfs, err);
	if (r == 0) {
		int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
		r = rootfd < 0 ? cell_error_errno(err, errno, "open %s", rootfs) : fn(rootfd, data, err);
		if (rootfd >= 0)
			close(rootfd);
		storage_container_unmount(e->store->storage, c->id, NULL);
	}
	ctr_unlock(c);
	return r;
}

struct cp_job {
	const struct cp_request *req;
	const char *cpath; /* the container's side */
	const char *hpath; /* the host's side */
	struct source host_src;
	struct target host_dst;
	bool out;
};

static const char *base_of(const char *p)
{
	const char *s = strrchr(p, '/');
	while (s && s[1] == '\0' && s > p) {
		/* "dir/" → "dir" */
		const char *q = s - 1;
		while (q > p && *q != '/')
			q--;
		return *q == '/' ? q + 1 : q;
	}
	return s ? s + 1 : p;
}

static int copy_in_root(int rootfd, void *data, cell_error **err)
{
	struct cp_job *j = data;
	struct copier cp = {.archive = j->req->archive, .into_container = !j->out};
	int r;
	if (j->out) {
		struct source s = {.dir = -1};
		if ((r = resolve_source(rootfd, j->cpath, j->req->follow_link, &s, err)) < 0)
			return r;
		_cleanup_free_ char *b = strdup(base_of(j->cpath));
		if (s.is_dir && !s.contents && !j->host_dst.name && !j->host_dst.must_be_dir_source)
			r = cell_error_set(err, ENOTDIR, "cp: cannot copy a directory to a file");
		else
			r = do_copy(&cp, &s, &j->host_dst, b ? b : "copy", err);
		source_clear(&s);
		return r;
	}
	struct target t = {.dir = -1};
	if ((r = resolve_target(rootfd, j->cpath, j->host_src.is_dir, &t, err)) < 0)
		return r;
	_cleanup_free_ char *b = strdup(base_of(j->hpath));
	r = do_copy(&cp, &j->host_src, &t, b ? b : "copy", err);
	target_clear(&t);
	return r;
}

int engine_cp(struct engine *e, const struct cp_request *req, cell_error **err)
{
	_cleanup_free_ char *sc = NULL, *sp = NULL, *dc = NULL, *dp = NULL;
	bool src_in = cp_split(req->src, &sc, &sp), dst_in = cp_split(req->dst, &dc, &dp);
	if (src_in == dst_in)
		return cell_error_set(err, EINVAL,
				      src_in ? "cp: copying between containers is not supported"
					     : "cp: one of the paths must be CONTAINER:PATH");
	if (strcmp(req->src, "-") == 0 || strcmp(req->dst, "-") == 0)
		return cell_error_set(err, ENOTSUP,
				      "cp: tar streams (\"-\") are not supported; use cell export");
	_cleanup_ctr_ struct ctr *c = NULL;
	int r = ctr_open(e, src_in ? sc : dc, false, &c, err);
	if (r < 0)
		return r;
	struct cp_job j = {.req = req, .out = src_in, .host_src = {.dir = -1}, .host_dst = {.dir = -1}};
	if (src_in) {
		j.cpath = *sp ? sp : "/";
		j.hpath = req->dst;
		/* The host's side is opened before any namespace is joined. */
		if ((r = resolve_target(-1, req->dst, false, &j.host_dst, err)) < 0)
			return r;
	} else {
		j.cpath = *dp ? dp : "/";
		j.hpath = req->src;
		if ((r = resolve_source(-1, req->src, req->follow_link, &j.host_src, err)) < 0)
			return r;
	}
	r = in_container_root(e, c, copy_in_root, &j, err);
	source_clear(&j.host_src);
	target_clear(&j.host_dst);
	return r;
}
