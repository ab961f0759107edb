#include "sync.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/file.h"

int sync_send(int sock, enum sync_type type, int64_t arg, int fd)
{
	struct sync_msg msg = {.type = type, .arg = arg};
	return send_with_fd(sock, &msg, offsetof(struct sync_msg, text), fd);
}

int sync_send_error(int sock, const struct init_error *e)
{
	struct sync_msg msg = {.type = SYNC_ERROR, .err = e->err};
	size_t len = strnlen(e->text, sizeof(e->text) - 1);
	memcpy(msg.text, e->text, len);
	msg.text[len] = '\0';
	return send_with_fd(sock, &msg, offsetof(struct sync_msg, text) + len + 1, -1);
}

int sync_recv(int sock, struct sync_msg *msg, int *fd_in)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = msg, .iov_len = sizeof(*msg)};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
	ssize_t n;

	if (fd_in)
		*fd_in = -1;
	memset(msg, 0, offsetof(struct sync_msg, text) + 1);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -EPIPE;
	if ((size_t)n < offsetof(struct sync_msg, text))
		return -EBADMSG;
	msg->text[SYNC_TEXT_MAX - 1] = '\0';
	if ((size_t)n == offsetof(struct sync_msg, text))
		msg->text[0] = '\0';
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int fd;
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
			if (fd_in)
				*fd_in = fd;
			else
				close(fd);
		}
	}
	return 0;
}

int sync_expect(int sock, enum sync_type type, struct sync_msg *msg)
{
	int r = sync_recv(sock, msg, NULL);
	if (r < 0)
		return r;
	if (msg->type != (uint32_t)type)
		return -EPROTO;
	return 0;
}

int init_fail(struct init_error *e, int err, const char *fmt, ...)
{
	va_list ap;
	char head[SYNC_TEXT_MAX - 128];

	if (err < 0)
		err = -err;
	if (err == 0)
		err = EIO;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	snprintf(e->text, sizeof(e->text), "%s: %s", head, strerror(err));
	e->err = err;
	return -err;
}
