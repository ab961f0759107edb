#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "runtime/console.h"
#include "tap.h"

/* A listener at path; returns its fd. */
static int listen_at(const char *path)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 1) < 0)
		return -1;
	return s;
}

/* What arrives on the accepted connection: the data and the fd. */
static int receive(int conn, char *name, size_t len, int *fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = name, .iov_len = len - 1};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
	ssize_t n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	name[n] = '\0';
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -EPROTO;
	memcpy(fd, CMSG_DATA(c), sizeof(int));
	return 0;
}

static void round_trip(const char *dir, const char *sock)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, sock);
	struct sockaddr_un sa;
	_cleanup_close_ int l = -1, d = -1;
	if (strlen(path) < sizeof(sa.sun_path)) {
		l = listen_at(path);
	} else {
		/* bind() cannot take it either: go through the directory. */
		char via[128];
		d = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		snprintf(via, sizeof(via), "/proc/self/fd/%d/%s", d, sock);
		l = listen_at(via);
	}
	ASSERT_TRUE(l >= 0);
	cell_error *err = NULL;
	_cleanup_close_ int c = -1;
	ASSERT_EQ(0, console_socket_connect(path, &c, &err));
	_cleanup_close_ int conn = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_TRUE(conn >= 0);
	int p[2];
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, console_socket_send(c, p[0], path, &err));
	close(p[0]);
	char name[64];
	int got = -1;
	ASSERT_EQ(0, receive(conn, name, sizeof(name), &got));
	/* runc's message: the master's name, and the fd */
	ASSERT_STREQ("/dev/ptmx", name);
	ASSERT_EQ(1, write(p[1], "x", 1));
	char b = 0;
	ASSERT_EQ(1, read(got, &b, 1));
	ASSERT_EQ('x', b);
	close(got);
	close(p[1]);
	unlink(path);
}

TEST(console_socket_sends_the_fd_as_runc_does)
{
	char dir[] = "/tmp/cell-test-console-XXXXXX";
	ASSERT_TRUE(mkdtemp(dir) != NULL);
	round_trip(dir, "s");
	rmdir(dir);
}

TEST(console_socket_paths_longer_than_sun_path)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "/tmp/cell-test-console-%d-", (int)getpid());
	size_t len = strlen(dir);
	memset(dir + len, 'd', 120);
	dir[len + 120] = '\0';
	ASSERT_EQ(0, mkdir(dir, 0700));
	round_trip(dir, "sock");
	rmdir(dir);
}

TEST(console_socket_connect_names_the_path)
{
	cell_error *err = NULL;
	int fd = -1;
	ASSERT_EQ(-ENOENT, console_socket_connect("/nonexistent/dir/sock", &fd, &err));
	ASSERT_CONTAINS(err->msg, "--console-socket /nonexistent/dir/sock: connect");
	cell_error_free(err);
}
