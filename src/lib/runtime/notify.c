#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/path.h"

const char *notify_host_socket(void)
{
	const char *s = getenv("NOTIFY_SOCKET");
	/* Abstract sockets ("@…") have no path to bind in the container. */
	if (!s || s[0] != '/')
		return NULL;
	return s;
}

int notify_prepare(int dirfd, uid_t uid, gid_t gid, cell_error **err)
{
	if (mkdirat(dirfd, NOTIFY_DIR, 0755) < 0 && errno != EEXIST)
		return cell_error_errno(err, errno, "NOTIFY_SOCKET: create the notify directory");
	if (fchownat(dirfd, NOTIFY_DIR, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return cell_error_errno(err, errno, "NOTIFY_SOCKET: give the notify directory to %u:%u", uid,
					gid);
	return 0;
}

int notify_listen(int dirfd, uid_t uid, gid_t gid, cell_error **err)
{
	_cleanup_close_ int dfd = openat(dirfd, NOTIFY_DIR, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return cell_error_errno(err, errno, "NOTIFY_SOCKET: open the notify directory");
	/* Bound through /proc/self/fd: the state path may be longer than
	 * sun_path allows. */
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "/proc/self/fd/%d/notify", dfd);
	unlinkat(dfd, "notify", 0);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return cell_error_errno(err, errno, "NOTIFY_SOCKET: create a socket");
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return cell_error_errno(err, errno, "NOTIFY_SOCKET: bind the notify socket");
	if (fchownat(dfd, "notify", uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fchmodat(dfd, "notify", 0777, 0) < 0)
		return cell_error_errno(err, errno, "NOTIFY_SOCKET: open the notify socket to the container");
	return TAKE_FD(fd);
}

int notify_forward(int fd, const char *host_socket, bool *ready)
{
	char buf[4096];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
	buf[n] = '\0';
	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');
		if (strncmp(line, "READY=1", 7) == 0 && (line[7] == '\n' || line[7] == '\0'))
			*ready = true;
		line = nl ? nl + 1 : NULL;
	}
	_cleanup_close_ int out = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (out < 0 || strlen(host_socket) >= sizeof(a.sun_path))
		return out < 0 ? -errno : -ENAMETOOLONG;
	strcpy(a.sun_path, host_socket);
	if (sendto(out, buf, (size_t)n, 0, (struct sockaddr *)&a, sizeof(a)) < 0) {
		log_warning("NOTIFY_SOCKET %s: %s", host_socket, strerror(errno));
		return -errno;
	}
	return 0;
}

int notify_wait_ready(int fd, const char *host_socket, int pidfd, cell_error **err)
{
	bool ready = false;
	while (!ready) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
		int n = poll(p, pidfd >= 0 ? 2 : 1, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cell_error_errno(err, errno, "NOTIFY_SOCKET: wait for the container");
		if (p[0].revents)
			notify_forward(fd, host_socket, &ready);
		else if (pidfd >= 0 && p[1].revents)
			return cell_error_set(err, ESRCH,
					      "NOTIFY_SOCKET: the container exited before it said READY=1");
	}
	return 0;
}
