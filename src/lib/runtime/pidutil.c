#include "pidutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/file.h"

int pid_stat(pid_t pid, unsigned long long *start_time, char *state)
{
	char path[64];
	_cleanup_free_ char *buf = NULL;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int r = read_file_at(AT_FDCWD, path, 4096, &buf, NULL);
	if (r == -ENOENT)
		return -ESRCH;
	if (r < 0)
		return r;
	/* The command name may hold spaces and parentheses: start after the
	 * last ')'. Then: state(3) … starttime(22). */
	char *p = strrchr(buf, ')');
	if (!p)
		return -EBADMSG;
	p += 2;
	char st = *p;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -EBADMSG;
		p++;
	}
	if (state)
		*state = st;
	if (start_time)
		*start_time = strtoull(p, NULL, 10);
	return 0;
}

int pid_open(pid_t pid, unsigned long long start_time)
{
	if (pid <= 0)
		return -ESRCH;
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -errno;
	/* The pidfd pins the process; if the start time matches now, the fd
	 * names the process we recorded, not a newcomer with its pid. */
	unsigned long long st = 0;
	char state = 0;
	if (start_time && (pid_stat(pid, &st, &state) < 0 || st != start_time)) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

bool pidfd_exited(int pidfd)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};
	return poll(&p, 1, 0) > 0;
}

int pidfd_wait_exit(int pidfd, int timeout_ms)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};
	for (;;) {
		int n = poll(&p, 1, timeout_ms);
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

int pidfd_signal(int pidfd, int sig)
{
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
		return -errno;
	return 0;
}

int pid_file_write(const char *path, pid_t pid, cell_error **err)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%d", (int)pid);
	_cleanup_free_ char *dir = strdup(path);
	if (!dir)
		return cell_error_set(err, ENOMEM, "out of memory");
	char *slash = strrchr(dir, '/');
	const char *name = path;
	if (slash) {
		*slash = '\0';
		name = slash + 1;
	}
	_cleanup_close_ int dfd = open(slash ? (*dir ? dir : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return cell_error_errno(err, errno, "--pid-file %s", path);
	int r = write_file_replace(dfd, name, buf, (size_t)len, 0644, false);
	if (r < 0)
		return cell_error_errno(err, r, "--pid-file %s", path);
	return 0;
}
