#include "cgfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"

int cgfile_open_path(const char *path, struct cgfile_dir *out, cell_error **err)
{
	out->fd = -1;
	out->path = strdup(path);
	if (!out->path)
		return cell_error_set(err, ENOMEM, "out of memory");
	out->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (out->fd < 0) {
		int e = errno;
		free(out->path);
		out->path = NULL;
		return cell_error_errno(err, e, "open cgroup %s", path);
	}
	return 0;
}

int cgfile_open(const struct cgroup_dir *d, struct cgfile_dir *out, cell_error **err)
{
	_cleanup_free_ char *p = cgroup_dir_path(d);
	out->fd = -1;
	out->path = NULL;
	if (!p)
		return cell_error_set(err, ENOMEM, "out of memory");
	return cgfile_open_path(p, out, err);
}

void cgfile_close(struct cgfile_dir *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	free(d->path);
	d->path = NULL;
}

bool cgfile_exists(const struct cgfile_dir *d, const char *file)
{
	return faccessat(d->fd, file, F_OK, 0) == 0;
}

int cgfile_write(const struct cgfile_dir *d, const char *file, const char *value, cell_error **err)
{
	_cleanup_close_ int fd = -EBADF;
	return cgfile_write_to(d, &fd, file, value, err);
}

int cgfile_write_to(const struct cgfile_dir *d, int *fd, const char *file, const char *value,
		    cell_error **err)
{
	if (*fd < 0 && (*fd = openat(d->fd, file, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return cell_error_errno(err, errno, "write \"%s\" to %s/%s", value, d->path, file);
	size_t len = strlen(value);
	ssize_t n;
	while ((n = write(*fd, value, len)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return cell_error_errno(err, errno, "write \"%s\" to %s/%s", value, d->path, file);
	if ((size_t)n != len)
		return cell_error_set(err, EIO, "write \"%s\" to %s/%s: short write", value, d->path, file);
	return 0;
}

int cgfile_writef(const struct cgfile_dir *d, const char *file, cell_error **err, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return cell_error_set(err, E2BIG, "write to %s/%s: value too long", d->path, file);
	return cgfile_write(d, file, buf, err);
}

int cgfile_read(const struct cgfile_dir *d, const char *file, char **out)
{
	return read_file_at(d->fd, file, 1 << 20, out, NULL);
}

int cgfile_read_u64(const struct cgfile_dir *d, const char *file, uint64_t *out)
{
	_cleanup_free_ char *buf = NULL;
	int r = cgfile_read(d, file, &buf);
	if (r < 0)
		return r;
	if (strncmp(buf, "max", 3) == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(buf, &end, 10);
	if (errno || end == buf)
		return -EBADMSG;
	*out = v;
	return 0;
}

int cgfile_read_keyed(const struct cgfile_dir *d, const char *file, const char *key, uint64_t *out)
{
	_cleanup_free_ char *buf = NULL;
	int r = cgfile_read(d, file, &buf);
	if (r < 0)
		return r;
	size_t klen = strlen(key);
	for (char *line = buf; line && *line;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
			*out = strtoull(line + klen + 1, NULL, 10);
			return 0;
		}
		line = next;
	}
	return -ENOENT;
}

bool cgfile_list_has(const char *s, const char *word)
{
	size_t n = strlen(word);
	if (!s || !n)
		return false;
	for (const char *p = s; (p = strstr(p, word)); p += n) {
		bool start = p == s || p[-1] == ',' || p[-1] == ' ';
		bool end = p[n] == '\0' || p[n] == ',' || p[n] == ' ' || p[n] == '\n';
		if (start && end)
			return true;
	}
	return false;
}

const struct cgroup_dir *cgroup_find_v1(const struct cgroup *cg, const char *controller)
{
	for (size_t i = 0; i < cg->n_dirs; i++)
		if (!cg->dirs[i].unified && cgfile_list_has(cg->dirs[i].controllers, controller))
			return &cg->dirs[i];
	return NULL;
}

const struct cgroup_dir *cgroup_find_unified(const struct cgroup *cg)
{
	for (size_t i = 0; i < cg->n_dirs; i++)
		if (cg->dirs[i].unified)
			return &cg->dirs[i];
	return NULL;
}
