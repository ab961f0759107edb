#include "tarball.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <search.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "dynlib/archive.h"

#define MAX_DEPTH 512

struct seen {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct tar_writer {
	struct archive *a;
	tar_sink_fn sink;
	void *data;
	int sink_err;
	void *links; /* tsearch of struct seen: hard links */
	dev_t top_dev;
};

static int seen_cmp(const void *x, const void *y)
{
	const struct seen *a = x, *b = y;
	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	return a->ino < b->ino ? -1 : a->ino > b->ino ? 1 : 0;
}

static void seen_free(void *p)
{
	struct seen *s = p;
	free(s->path);
	free(s);
}

void tar_writer_free(struct tar_writer *w)
{
	if (!w)
		return;
	if (w->a)
		archive_write_free(w->a);
	tdestroy(w->links, seen_free);
	free(w);
}

static la_ssize_t sink_write(struct archive *a, void *client, const void *buf, size_t len)
{
	struct tar_writer *w = client;
	int r = w->sink(w->data, buf, len);
	if (r < 0) {
		w->sink_err = -r;
		archive_set_error(a, -r, "%s", strerror(-r));
		return -1;
	}
	return (la_ssize_t)len;
}

static int writer_new(struct tar_writer **out, cell_error **err)
{
	struct tar_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return cell_error_set(err, ENOMEM, "out of memory");
	w->a = archive_write_new();
	if (!w->a || archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK) {
		tar_writer_free(w);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	*out = w;
	return 0;
}

int tar_writer_open_fd(int fd, struct tar_writer **out, cell_error **err)
{
	int r = writer_new(out, err);
	if (r < 0)
		return r;
	if (archive_write_open_fd((*out)->a, fd) != ARCHIVE_OK) {
		r = cell_error_set(err, EIO, "tar: %s", archive_error_string((*out)->a));
		tar_writer_free(*out);
		*out = NULL;
	}
	return r;
}

int tar_writer_open_sink(tar_sink_fn sink, void *data, struct tar_writer **out, cell_error **err)
{
	int r = writer_new(out, err);
	if (r < 0)
		return r;
	(*out)->sink = sink;
	(*out)->data = data;
	if (archive_write_open2((*out)->a, *out, NULL, sink_write, NULL, NULL) != ARCHIVE_OK) {
		r = cell_error_set(err, EIO, "tar: %s", archive_error_string((*out)->a));
		tar_writer_free(*out);
		*out = NULL;
	}
	return r;
}

static int archive_fail(struct tar_writer *w, const char *path, cell_error **err)
{
	int code = w->sink_err ? w->sink_err : archive_errno(w->a) > 0 ? archive_errno(w->a) : EIO;
	return cell_error_set(err, code, "tar: %s: %s", path, archive_error_string(w->a) ?: strerror(code));
}

static void add_xattrs(struct archive_entry *e, int fd)
{
	char names[4096];
	ssize_t n = flistxattr(fd, names, sizeof(names));
	for (ssize_t off = 0; n > 0 && off < n; off += (ssize_t)strlen(names + off) + 1) {
		const char *name = names + off;
		/* The storage driver's own, not the files'. */
		if (strncmp(name, "trusted.overlay.", 16) == 0 || strncmp(name, "user.overlay.", 13) == 0)
			continue;
		char value[4096];
		ssize_t vl = fgetxattr(fd, name, value, sizeof(value));
		if (vl >= 0)
			archive_entry_xattr_add_entry(e, name, value, (size_t)vl);
	}
}

static int copy_data(struct tar_writer *w, int fd, const char *path, cell_error **err)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cell_error_errno(err, errno, "tar: read %s", path);
		if (n == 0)
			return 0;
		if (archive_write_data(w->a, buf, (size_t)n) != n)
			return archive_fail(w, path, err);
	}
}

/* A hard link to a file already in the archive: its first path, or NULL
 * (then this one is remembered). */
static const char *link_target(struct tar_writer *w, const struct stat *st, const char *path)
{
	if (!S_ISREG(st->st_mode) || st->st_nlink < 2)
		return NULL;
	struct seen key = {.dev = st->st_dev, .ino = st->st_ino};
	struct seen **found = tfind(&key, &w->links, seen_cmp);
	if (found)
		return (*found)->path;
	struct seen *s = malloc(sizeof(*s));
	if (s) {
		*s = key;
		s->path = strdup(path);
		if (!s->path || !tsearch(s, &w->links, seen_cmp))
			seen_free(s);
	}
	return NULL;
}

int tar_add_entry(struct tar_writer *w, int dirfd, const char *name, const char *path, cell_error **err)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cell_error_errno(err, errno, "tar: %s", path);
	if (S_ISSOCK(st.st_mode))
		return 0; /* tar has no sockets */
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return cell_error_set(err, ENOMEM, "out of memory");
	archive_entry_copy_pathname(e, path);
	archive_entry_copy_stat(e, &st);
	archive_entry_set_uname(e, NULL);
	archive_entry_set_gname(e, NULL);
	_cleanup_close_ int fd = -EBADF;
	int r = 0;
	const char *link = link_target(w, &st, path);
	if (link) {
		archive_entry_copy_hardlink(e, link);
		archive_entry_set_size(e, 0);
	} else if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
		if (n < 0)
			r = cell_error_errno(err, errno, "tar: readlink %s", path);
		else {
			target[n] = '\0';
			archive_entry_copy_symlink(e, target);
		}
	} else if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
		fd = openat(dirfd, name,
			    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
				(S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
		if (fd < 0)
			r = cell_error_errno(err, errno, "tar: open %s", path);
		else
			add_xattrs(e, fd);
		if (S_ISDIR(st.st_mode))
			archive_entry_set_size(e, 0);
	}
	if (r == 0 && archive_write_header(w->a, e) != ARCHIVE_OK)
		r = archive_fail(w, path, err);
	if (r == 0 && !link && S_ISREG(st.st_mode) && st.st_size > 0)
		r = copy_data(w, fd, path, err);
	archive_entry_free(e);
	return r;
}

static int add_dir(struct tar_writer *w, int dfd, char *path, size_t plen, int depth, cell_error **err)
{
	if (depth > MAX_DEPTH)
		return cell_error_set(err, ELOOP, "tar: %s: too deep", path);
	int dup = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dup >= 0 ? fdopendir(dup) : NULL;
	if (!d) {
		if (dup >= 0)
			close(dup);
		return cell_error_errno(err, errno, "tar: read %s", plen ? path : ".");
	}
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		size_t nl = strlen(de->d_name);
		if (plen + nl + 2 >= PATH_MAX) {
			r = cell_error_set(err, ENAMETOOLONG, "tar: %s/%s: name too long", path, de->d_name);
			break;
		}
		size_t o = plen;
		if (plen)
			path[o++] = '/';
		memcpy(path + o, de->d_name, nl + 1);
		struct stat st;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode) && st.st_dev != w->top_dev)
			continue; /* another file system mounted here */
		if ((r = tar_add_entry(w, dfd, de->d_name, path, err)) < 0)
			break;
		if (S_ISDIR(st.st_mode)) {
			_cleanup_close_ int sub =
			    openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				r = add_dir(w, sub, path, o + nl, depth + 1, err);
		}
	}
	closedir(d);
	path[plen] = '\0';
	return r;
}

int tar_add_tree(struct tar_writer *w, int dirfd, const char *prefix, cell_error **err)
{
	struct stat st;
	if (fstat(dirfd, &st) < 0)
		return cell_error_errno(err, errno, "tar");
	w->top_dev = st.st_dev;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s", prefix);
	return add_dir(w, dirfd, path, strlen(path), 0, err);
}

int tar_add_marker(struct tar_writer *w, const char *path, cell_error **err)
{
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return cell_error_set(err, ENOMEM, "out of memory");
	archive_entry_copy_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0);
	archive_entry_set_size(e, 0);
	int r = archive_write_header(w->a, e) == ARCHIVE_OK ? 0 : archive_fail(w, path, err);
	archive_entry_free(e);
	return r;
}

int tar_writer_close(struct tar_writer *w, cell_error **err)
{
	if (archive_write_close(w->a) != ARCHIVE_OK)
		return archive_fail(w, "end of archive", err);
	return 0;
}
