#include "logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/timefmt.h"

void log_file_name(int n, char *buf, size_t len)
{
	if (n == 0)
		snprintf(buf, len, "%s", LOG_FILE_NAME);
	else
		snprintf(buf, len, "%s.%d", LOG_FILE_NAME, n);
}

int log_writer_open(struct log_writer *w, int dirfd, uint64_t max_size, int max_files)
{
	w->dirfd = dirfd;
	w->max_size = max_size;
	w->max_files = max_files < 1 ? 1 : max_files;
	w->fd = openat(dirfd, LOG_FILE_NAME, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (w->fd < 0)
		return -errno;
	struct stat st;
	w->size = fstat(w->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

void log_writer_close(struct log_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

static int rotate(struct log_writer *w)
{
	if (w->max_files == 1) {
		if (ftruncate(w->fd, 0) < 0)
			return -errno;
		w->size = 0;
		return 0;
	}
	char from[64], to[64];
	for (int n = w->max_files - 1; n >= 1; n--) {
		log_file_name(n - 1, from, sizeof(from));
		log_file_name(n, to, sizeof(to));
		/* Renaming over the oldest drops it. */
		if (renameat(w->dirfd, from, w->dirfd, to) < 0 && errno != ENOENT)
			return -errno;
	}
	int fd =
	    openat(w->dirfd, LOG_FILE_NAME, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(w->fd);
	w->fd = fd;
	w->size = 0;
	return 0;
}

static int write_full(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One record: header, content, newline, as one write so that a reader
 * never sees half of one (O_APPEND writes of a file are not torn). */
static int put_record(struct log_writer *w, const char *head, size_t hl, const char *msg, size_t ml)
{
	char buf[8192];
	uint64_t need = hl + ml + 1;
	if (w->max_size && w->size > 0 && w->size + need > w->max_size) {
		int r = rotate(w);
		if (r < 0)
			return r;
	}
	int r;
	if (need <= sizeof(buf)) {
		memcpy(buf, head, hl);
		memcpy(buf + hl, msg, ml);
		buf[hl + ml] = '\n';
		r = write_full(w->fd, buf, need);
	} else {
		struct iovec_like {
			const char *p;
			size_t n;
		} parts[] = {{head, hl}, {msg, ml}, {"\n", 1}};
		r = 0;
		for (size_t i = 0; r == 0 && i < 3; i++)
			r = write_full(w->fd, parts[i].p, parts[i].n);
	}
	if (r == 0)
		w->size += need;
	return r;
}

int log_writer_write(struct log_writer *w, enum log_stream stream, const char *buf, size_t len)
{
	if (w->fd < 0 || len == 0)
		return 0;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	char t[40], head[64];
	rfc3339_from_ns((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec, t, sizeof(t));
	const char *name = stream == LOG_STDERR ? "stderr" : "stdout";
	/* A record stays well below the limit: a huge line is cut into
	 * pieces, as conmon does with its buffer. */
	size_t chunk_max = w->max_size && w->max_size / 2 > 256 ? (size_t)(w->max_size / 2) : 16384;
	if (chunk_max > 16384)
		chunk_max = 16384;
	while (len) {
		const char *nl = memchr(buf, '\n', len);
		size_t n = nl ? (size_t)(nl - buf) : len;
		bool partial = !nl;
		if (n > chunk_max) {
			n = chunk_max;
			partial = true;
		}
		int hl = snprintf(head, sizeof(head), "%s %s %c ", t, name, partial ? 'P' : 'F');
		int r = put_record(w, head, (size_t)hl, buf, n);
		if (r < 0)
			return r;
		size_t used = n + (!partial ? 1 : 0);
		buf += used;
		len -= used;
	}
	return 0;
}

static bool parse_time(const char *s, size_t len, int64_t *out)
{
	/* YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM) */
	if (len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return false;
	int f[6];
	const int pos[6] = {0, 5, 8, 11, 14, 17}, width[6] = {4, 2, 2, 2, 2, 2};
	for (int i = 0; i < 6; i++) {
		f[i] = 0;
		for (int k = 0; k < width[i]; k++) {
			char c = s[pos[i] + k];
			if (c < '0' || c > '9')
				return false;
			f[i] = f[i] * 10 + (c - '0');
		}
	}
	if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 || f[4] > 59 || f[5] > 60)
		return false;
	size_t i = 19;
	int64_t frac = 0;
	int digits = 0;
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (digits < 9) {
				frac = frac * 10 + (s[i] - '0');
				digits++;
			}
			i++;
		}
		if (!digits)
			return false;
		while (digits++ < 9)
			frac *= 10;
	}
	int64_t offset = 0;
	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
		int hh = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
		int mm = (s[i + 4] - '0') * 10 + (s[i + 5] - '0');
		if (hh < 0 || hh > 23 || mm < 0 || mm > 59)
			return false;
		offset = (s[i] == '+' ? 1 : -1) * (int64_t)(hh * 3600 + mm * 60);
		i += 6;
	} else {
		return false;
	}
	if (i != len)
		return false;
	/* Days from the civil date (proleptic Gregorian), without timegm's
	 * dependence on the environment. */
	int64_t y = f[0], m = f[1], d = f[2];
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;
	int64_t secs = days * 86400 + f[3] * 3600 + f[4] * 60 + f[5] - offset;
	/* Nanoseconds since 1970 in 64 bits end in 2262: later is malformed. */
	if (__builtin_mul_overflow(secs, (int64_t)1000000000, out) || __builtin_add_overflow(*out, frac, out))
		return false;
	return true;
}

int log_record_parse(const char *line, size_t len, struct log_record *out)
{
	const char *sp1 = memchr(line, ' ', len);
	if (!sp1)
		return -EINVAL;
	size_t tl = (size_t)(sp1 - line);
	if (!parse_time(line, tl, &out->time_ns))
		return -EINVAL;
	out->time = line;
	out->time_len = tl;
	const char *p = sp1 + 1;
	size_t rest = len - tl - 1;
	if (rest >= 7 && memcmp(p, "stdout ", 7) == 0)
		out->stream = LOG_STDOUT;
	else if (rest >= 7 && memcmp(p, "stderr ", 7) == 0)
		out->stream = LOG_STDERR;
	else
		return -EINVAL;
	p += 7;
	rest -= 7;
	/* The tag: "F" or "P", possibly with more ':'-separated parts. */
	const char *sp3 = memchr(p, ' ', rest);
	size_t tag_len = sp3 ? (size_t)(sp3 - p) : rest;
	if (tag_len == 0 || (p[0] != 'F' && p[0] != 'P') || (tag_len > 1 && p[1] != ':'))
		return -EINVAL;
	out->partial = p[0] == 'P';
	out->msg = sp3 ? sp3 + 1 : p + rest;
	out->msg_len = sp3 ? rest - tag_len - 1 : 0;
	return 0;
}
