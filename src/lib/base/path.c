#include "path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

#define MAX_SYMLINKS 40

static bool openat2_missing; /* set by the first ENOSYS */

bool path_have_openat2(void)
{
	return !openat2_missing && !getenv("CELL_NO_OPENAT2");
}

static int sys_openat2(int dirfd, const char *path, int flags, mode_t mode, unsigned long long resolve)
{
	struct open_how how = {
	    .flags = (unsigned long long)flags,
	    .mode = ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? mode : 0,
	    .resolve = resolve,
	};
	for (;;) {
		long r = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
		if (r >= 0)
			return (int)r;
		if (errno == EAGAIN || errno == EINTR)
			continue; /* a concurrent rename in the tree; the kernel asks us to retry */
		if (errno == ENOSYS)
			openat2_missing = true;
		return -errno;
	}
}

int path_of_fd(int fd, char *buf, size_t len)
{
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(proc, buf, len - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= len - 1)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return 0;
}

/* A path split into components, consumed front to back; symlink targets are
 * spliced in front of what remains. */
struct walk {
	char *buf;    /* remaining path, components separated by '/' */
	size_t pos;   /* start of the next component in buf */
	int symlinks; /* symlinks followed so far */
	int *stack;   /* fds of the directories from the top to the current one */
	size_t depth; /* entries in stack; stack[0] is the tree's top */
	size_t cap;
};

static void walk_free(struct walk *w)
{
	for (size_t i = 1; i < w->depth; i++)
		close(w->stack[i]);
	free(w->stack);
	free(w->buf);
}

static int walk_push(struct walk *w, int fd)
{
	if (w->depth == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		int *s = realloc(w->stack, cap * sizeof(int));
		if (!s) {
			close(fd);
			return -ENOMEM;
		}
		w->stack = s;
		w->cap = cap;
	}
	w->stack[w->depth++] = fd;
	return 0;
}

/* Next component into comp (without slashes); false when the path is done. */
static bool walk_next(struct walk *w, char *comp, size_t len, bool *last)
{
	while (w->buf[w->pos] == '/')
		w->pos++;
	if (!w->buf[w->pos])
		return false;
	size_t start = w->pos;
	while (w->buf[w->pos] && w->buf[w->pos] != '/')
		w->pos++;
	size_t n = w->pos - start;
	if (n >= len)
		n = len - 1;
	memcpy(comp, w->buf + start, n);
	comp[n] = '\0';
	size_t p = w->pos;
	while (w->buf[p] == '/')
		p++;
	*last = !w->buf[p];
	return true;
}

/* Replace what was consumed with target + the rest. An absolute target
 * restarts from the top of the tree. */
static int walk_splice(struct walk *w, const char *target)
{
	if (++w->symlinks > MAX_SYMLINKS)
		return -ELOOP;
	const char *rest = w->buf + w->pos;
	char *nb = NULL;
	if (asprintf(&nb, "%s/%s", target, rest) < 0)
		return -ENOMEM;
	free(w->buf);
	w->buf = nb;
	w->pos = 0;
	if (target[0] == '/')
		while (w->depth > 1)
			close(w->stack[--w->depth]);
	return 0;
}

/* The fallback resolver: walks the tree one component at a time, never letting
 * the kernel follow a symlink, and creates what is missing if asked. Returns an
 * O_PATH fd of the final component. */
static int walk_in_root(int rootfd, const char *path, enum path_create create, mode_t mode)
{
	struct walk w = {0};
	char comp[NAME_MAX + 1];
	bool last = false;
	int r;

	w.buf = strdup(path);
	if (!w.buf)
		return -ENOMEM;
	r = walk_push(&w, rootfd);
	if (r < 0)
		goto out;

	while (walk_next(&w, comp, sizeof(comp), &last)) {
		int cur = w.stack[w.depth - 1];
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			if (w.depth > 1)
				close(w.stack[--w.depth]);
			continue;
		}
		int fd = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && create != PATH_CREATE_NONE) {
			if (last && create == PATH_CREATE_FILE) {
				int f = openat(cur, comp,
					       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
				if (f >= 0)
					close(f);
				else if (errno != EEXIST) {
					r = -errno;
					goto out;
				}
			} else if (mkdirat(cur, comp, mode) < 0 && errno != EEXIST) {
				r = -errno;
				goto out;
			}
			fd = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		}
		if (fd < 0) {
			r = -errno;
			goto out;
		}
		struct stat st;
		if (fstat(fd, &st) < 0) {
			r = -errno;
			close(fd);
			goto out;
		}
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
			close(fd);
			if (n < 0) {
				r = -errno;
				goto out;
			}
			target[n] = '\0';
			r = walk_splice(&w, target);
			if (r < 0)
				goto out;
			continue;
		}
		if (!last && !S_ISDIR(st.st_mode)) {
			close(fd);
			r = -ENOTDIR;
			goto out;
		}
		r = walk_push(&w, fd);
		if (r < 0)
			goto out;
	}
	/* The result leaves the stack: the top stays the caller's fd. */
	if (w.depth == 1)
		r = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	else
		r = w.stack[--w.depth];
	if (r < 0)
		r = -errno;
out:
	walk_free(&w);
	return r;
}

/* Defence in depth for the walk: the kernel's idea of where fd lives must be
 * inside the kernel's idea of where the tree is. */
static int check_beneath(int rootfd, int fd)
{
	char root[PATH_MAX], got[PATH_MAX];
	int r = path_of_fd(rootfd, root, sizeof(root));
	if (r < 0)
		return r;
	r = path_of_fd(fd, got, sizeof(got));
	if (r < 0)
		return r;
	size_t n = strlen(root);
	if (strcmp(root, "/") == 0)
		return 0;
	if (strncmp(root, got, n) != 0 || (got[n] != '\0' && got[n] != '/'))
		return -EXDEV;
	return 0;
}

static int reopen_fallback(int rootfd, const char *path, int flags, enum path_create create, mode_t mode)
{
	_cleanup_close_ int fd = walk_in_root(rootfd, path, create, mode);
	if (fd < 0)
		return fd;
	int r = check_beneath(rootfd, fd);
	if (r < 0)
		return r;
	if ((flags & O_PATH) && !(flags & O_DIRECTORY))
		return TAKE_FD(fd);
	if (flags & O_DIRECTORY) {
		struct stat st;
		if (fstat(fd, &st) < 0)
			return -errno;
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
		if (flags & O_PATH)
			return TAKE_FD(fd);
	}
	/* Reopen the verified O_PATH fd with the access mode asked for. */
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	int nfd = open(proc, (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC);
	return nfd < 0 ? -errno : nfd;
}

int path_open_in_root(int rootfd, const char *path, int open_flags, enum path_create create, mode_t mode)
{
	const unsigned long long resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	int flags = open_flags | O_CLOEXEC;

	if (!path_have_openat2())
		return reopen_fallback(rootfd, path, flags, create, mode);

	int fd = sys_openat2(rootfd, path, flags, mode, resolve);
	if (fd == -ENOSYS)
		return reopen_fallback(rootfd, path, flags, create, mode);
	if (fd != -ENOENT || create == PATH_CREATE_NONE)
		return fd;

	/* Create what is missing with the walk, then let the kernel resolve the
	 * final answer again, so the fd we return is the kernel's word. A name
	 * on the way that is renamed meanwhile (a volume another container
	 * shares) can make the two disagree: try again a few times. */
	for (int attempt = 0;; attempt++) {
		int made = walk_in_root(rootfd, path, create, mode);
		if (made < 0)
			return made;
		close(made);
		fd = sys_openat2(rootfd, path, flags, mode, resolve);
		if (fd != -ENOENT || attempt == 7)
			return fd;
	}
}

char *path_normalize(const char *path)
{
	size_t n = strlen(path);
	char *out = malloc(n + 2);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (path[i] == '/') {
			/* skip "//" and "/./" */
			if (o > 0 && out[o - 1] == '/')
				continue;
			if (path[i + 1] == '.' && (path[i + 2] == '/' || path[i + 2] == '\0')) {
				if (o == 0)
					out[o++] = '/';
				i++;
				continue;
			}
		}
		out[o++] = path[i];
	}
	while (o > 1 && out[o - 1] == '/')
		o--;
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	return out;
}

int mkdir_parents(const char *path, mode_t mode)
{
	/* The parents usually exist: try the leaf first, and walk up only
	 * when it says they do not. */
	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return -errno;
	_cleanup_free_ char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	char *slash = strrchr(p, '/');
	if (!slash || slash == p)
		return -ENOENT;
	*slash = '\0';
	int r = mkdir_parents(p, mode);
	if (r < 0)
		return r;
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* The fallback of path_open_beneath(): one component at a time, each opened
 * with O_NOFOLLOW and checked to be a directory on dirfd's file system. */
static int walk_beneath(int dirfd, const char *path, int flags)
{
	struct stat top;
	if (fstat(dirfd, &top) < 0)
		return -errno;
	_cleanup_free_ char *buf = strdup(path);
	if (!buf)
		return -ENOMEM;
	_cleanup_close_ int cur = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (cur < 0)
		return -errno;
	char *save = NULL;
	char *comp = strtok_r(buf, "/", &save);
	while (comp) {
		char *next = strtok_r(NULL, "/", &save);
		if (strcmp(comp, ".") == 0) {
			comp = next;
			continue;
		}
		if (strcmp(comp, "..") == 0)
			return -EXDEV;
		if (!next) {
			int fd = openat(cur, comp, flags | O_NOFOLLOW | O_CLOEXEC, 0);
			if (fd < 0) {
				/* O_DIRECTORY on a symlink says ENOTDIR; openat2 says
				 * ELOOP, and so do we. */
				int e = errno;
				struct stat lst;
				if ((e == ENOTDIR || e == ELOOP) &&
				    fstatat(cur, comp, &lst, AT_SYMLINK_NOFOLLOW) == 0 &&
				    S_ISLNK(lst.st_mode))
					return -ELOOP;
				return -e;
			}
			struct stat st;
			if (fstat(fd, &st) < 0 || st.st_dev != top.st_dev) {
				close(fd);
				return -EXDEV;
			}
			return fd;
		}
		int fd = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		struct stat st;
		if (fstat(fd, &st) < 0) {
			close(fd);
			return -errno;
		}
		close(cur);
		cur = fd;
		if (S_ISLNK(st.st_mode))
			return -ELOOP;
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
		if (st.st_dev != top.st_dev)
			return -EXDEV;
		comp = next;
	}
	/* Only "." components: the directory itself. */
	int fd = openat(cur, ".", (flags & ~O_NOFOLLOW) | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int path_open_beneath(int dirfd, const char *path, int open_flags)
{
	const unsigned long long resolve =
	    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
	int flags = open_flags | O_CLOEXEC;

	if (path[0] == '/')
		return -EXDEV;
	if (!path[0])
		path = ".";
	if (path_have_openat2()) {
		int fd = sys_openat2(dirfd, path, flags, 0, resolve);
		if (fd != -ENOSYS)
			return fd;
	}
	return walk_beneath(dirfd, path, flags);
}
