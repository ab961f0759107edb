#include "logs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "container.h"
#include "lifecycle.h"
#include "logfile.h"

/* A line being put together from P records, per stream. */
struct pending_line {
	char *buf;
	size_t len, cap;
	char time[48];
	int64_t time_ns;
};

struct reader {
	const struct logs_options *o;
	int64_t skip;  /* complete lines still to skip (--tail) */
	bool counting; /* first pass: only count lines */
	int64_t count;
	struct pending_line line[3];
	bool out_broken;
};

static void emit(struct reader *rd, enum log_stream s, struct pending_line *l)
{
	if (rd->counting) {
		rd->count++;
		return;
	}
	if (rd->skip > 0) {
		rd->skip--;
		return;
	}
	if ((rd->o->since_ns && l->time_ns < rd->o->since_ns) ||
	    (rd->o->until_ns && l->time_ns > rd->o->until_ns))
		return;
	if (rd->out_broken)
		return;
	int fd = s == LOG_STDERR ? STDERR_FILENO : STDOUT_FILENO;
	int r = 0;
	if (rd->o->timestamps) {
		char ts[64];
		int n = snprintf(ts, sizeof(ts), "%s ", l->time);
		r = write_all(fd, ts, (size_t)n);
	}
	if (r == 0)
		r = write_all(fd, l->buf ? l->buf : "", l->len);
	if (r == 0)
		r = write_all(fd, "\n", 1);
	if (r < 0)
		rd->out_broken = true;
}

static void take_record(struct reader *rd, const struct log_record *rec)
{
	struct pending_line *l = &rd->line[rec->stream];
	if (l->len == 0 && !l->time[0]) {
		snprintf(l->time, sizeof(l->time), "%.*s", (int)rec->time_len, rec->time);
		l->time_ns = rec->time_ns;
	}
	if (l->len + rec->msg_len + 1 > l->cap) {
		size_t cap = l->len + rec->msg_len + 4096;
		char *b = realloc(l->buf, cap);
		if (!b)
			return;
		l->buf = b;
		l->cap = cap;
	}
	memcpy(l->buf + l->len, rec->msg, rec->msg_len);
	l->len += rec->msg_len;
	if (rec->partial)
		return;
	emit(rd, rec->stream, l);
	l->len = 0;
	l->time[0] = '\0';
}

/* Records in buf; returns how much was used (a last line without its
 * newline waits for more). */
static size_t take_buffer(struct reader *rd, const char *buf, size_t len)
{
	size_t used = 0;
	while (used < len) {
		const char *nl = memchr(buf + used, '\n', len - used);
		if (!nl)
			break;
		struct log_record rec;
		if (log_record_parse(buf + used, (size_t)(nl - buf - used), &rec) == 0)
			take_record(rd, &rec);
		used = (size_t)(nl - buf) + 1;
	}
	return used;
}

/* Read fd from where it is to its end. */
static int read_to_end(struct reader *rd, int fd, char **carry, size_t *carry_len)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		size_t total = *carry_len + (size_t)n;
		char *all = realloc(*carry, total ? total : 1);
		if (!all)
			return -ENOMEM;
		memcpy(all + *carry_len, buf, (size_t)n);
		size_t used = take_buffer(rd, all, total);
		memmove(all, all + used, total - used);
		*carry = all;
		*carry_len = total - used;
	}
}

static int max_files(const struct ctr *c)
{
	json_t *lc = json_object_get(json_object_get(c->record, "HostConfig"), "LogConfig");
	int64_t n = ctr_int(json_object_get(lc, "Config"), "MaxFiles", 1);
	return n < 1 ? 1 : n > 1000 ? 1000 : (int)n;
}

/* Every file from the oldest; the current one stays open in *cur. */
static int read_all_files(struct reader *rd, const struct ctr *c, int *cur)
{
	_cleanup_free_ char *carry = NULL;
	size_t carry_len = 0;
	for (int n = max_files(c) - 1; n >= 0; n--) {
		char name[64];
		log_file_name(n, name, sizeof(name));
		int fd = openat(c->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		int r = read_to_end(rd, fd, &carry, &carry_len);
		carry_len = 0;
		if (n == 0 && cur) {
			*cur = fd;
		} else {
			close(fd);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static bool same_file(int fd, int dirfd)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && fstatat(dirfd, LOG_FILE_NAME, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	       a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static int follow(struct reader *rd, struct ctr *c, int fd, cell_error **err)
{
	_cleanup_free_ char *carry = NULL;
	size_t carry_len = 0;
	_cleanup_close_ int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", c->dirfd);
	if (in >= 0)
		inotify_add_watch(in, path, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE);
	for (;;) {
		bool stopped = c->status != CTR_RUNNING && c->status != CTR_RESTARTING;
		int r = fd >= 0 ? read_to_end(rd, fd, &carry, &carry_len) : 0;
		if (r < 0)
			return cell_error_errno(err, r, "read the log of %.12s", c->id);
		if (fd < 0 || !same_file(fd, c->dirfd)) {
			/* Rotated (or not made yet): the new file, from its start. */
			int nfd = openat(c->dirfd, LOG_FILE_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			if (nfd >= 0) {
				if (fd >= 0)
					close(fd);
				fd = nfd;
				carry_len = 0;
				continue;
			}
		} else {
			struct stat st;
			/* Cut back to empty (a single log file): from the start again. */
			if (fstat(fd, &st) == 0 && lseek(fd, 0, SEEK_CUR) > st.st_size)
				lseek(fd, 0, SEEK_SET);
		}
		if (stopped || rd->out_broken)
			break;
		struct pollfd p = {.fd = in, .events = POLLIN};
		poll(&p, in >= 0 ? 1 : 0, 1000);
		char ev[4096];
		while (in >= 0 && read(in, ev, sizeof(ev)) > 0)
			;
		cell_error *re = NULL;
		if (ctr_reload(c, &re) < 0) {
			cell_error_free(re);
			break; /* removed */
		}
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

int engine_logs(struct engine *e, const char *ref, const struct logs_options *o, cell_error **err)
{
	_cleanup_ctr_ struct ctr *c = NULL;
	int r = ctr_open(e, ref, false, &c, err);
	if (r < 0)
		return r;
	const char *driver = ctr_str(c->record, "HostConfig.LogConfig.Type");
	if (driver && strcmp(driver, "none") == 0)
		return cell_error_set(err, ENOTSUP, "container %s has no log (--log-driver none)", ref);
	struct reader rd = {.o = o};
	if (o->tail >= 0) {
		rd.counting = true;
		if ((r = read_all_files(&rd, c, NULL)) < 0)
			return cell_error_errno(err, r, "read the log of %s", ref);
		rd.counting = false;
		rd.skip = rd.count > o->tail ? rd.count - o->tail : 0;
		for (int s = 0; s < 3; s++)
			rd.line[s].len = 0, rd.line[s].time[0] = '\0';
	}
	int cur = -1;
	r = read_all_files(&rd, c, &cur);
	if (r < 0) {
		if (cur >= 0)
			close(cur);
		r = cell_error_errno(err, r, "read the log of %s", ref);
	} else if (o->follow) {
		r = follow(&rd, c, cur, err);
	} else if (cur >= 0) {
		close(cur);
	}
	for (int s = 0; s < 3; s++)
		free(rd.line[s].buf);
	return r;
}
