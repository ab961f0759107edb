#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static const char *program = "cell";
static enum cell_log_level max_level = CELL_LOG_WARNING;
static int log_fd = -1;
static bool log_json;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void cell_log_set_program(const char *name)
{
	program = name;
}

void cell_log_set_level(enum cell_log_level level)
{
	max_level = level;
}

enum cell_log_level cell_log_get_level(void)
{
	return max_level;
}

int cell_log_set_file(const char *path, bool json)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (log_fd >= 0)
		close(log_fd);
	log_fd = fd;
	log_json = json;
	return 0;
}

int cell_log_move_fd_above(int min)
{
	if (log_fd < 0 || log_fd >= min)
		return 0;
	int fd = fcntl(log_fd, F_DUPFD_CLOEXEC, min);
	if (fd < 0)
		return -errno;
	close(log_fd);
	log_fd = fd;
	return 0;
}

void cell_log_set_json(bool json)
{
	log_json = json;
}

bool cell_log_to_file(void)
{
	return log_fd >= 0;
}

static void format_time(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One write per message so that concurrent writers never interleave a line. */
static void emit(int fd, const char *line)
{
	size_t len = strlen(line);
	while (len > 0) {
		ssize_t n = write(fd, line, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		line += n;
		len -= (size_t)n;
	}
}

static void emit_json(int fd, enum cell_log_level level, const char *msg)
{
	char when[64];
	format_time(when, sizeof(when));
	json_t *o = json_pack("{s:s, s:s, s:s}", "level", level_names[level], "msg", msg, "time", when);
	if (!o)
		return;
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s)
		return;
	char *line = NULL;
	if (asprintf(&line, "%s\n", s) >= 0) {
		emit(fd, line);
		free(line);
	}
	free(s);
}

void cell_log(enum cell_log_level level, const char *fmt, ...)
{
	if (level > max_level)
		return;

	int saved_errno = errno;
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0) {
		errno = saved_errno;
		return;
	}

	if (log_fd >= 0 && log_json) {
		emit_json(log_fd, level, msg);
	} else {
		char *line = NULL;
		if (log_fd >= 0) {
			char when[64];
			format_time(when, sizeof(when));
			r = asprintf(&line, "time=\"%s\" level=%s msg=\"%s\"\n", when, level_names[level],
				     msg);
		} else if (level == CELL_LOG_ERROR) {
			r = asprintf(&line, "%s: %s\n", program, msg);
		} else {
			r = asprintf(&line, "%s: %s: %s\n", program, level_names[level], msg);
		}
		if (r >= 0) {
			emit(log_fd >= 0 ? log_fd : STDERR_FILENO, line);
			free(line);
		}
	}
	free(msg);
	errno = saved_errno;
}
