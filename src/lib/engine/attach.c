#include "attach.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "attach_proto.h"
#include "base/file.h"
#include "container.h"
#include "launch.h"
#include "runtime/lifecycle.h"

/* ctrl-p ctrl-q, Docker's default detach keys. */
#define DETACH_1 0x10
#define DETACH_2 0x11

void engine_terminal_size(unsigned short *rows, unsigned short *cols)
{
	struct winsize ws = {0};
	*rows = *cols = 0;
	if (isatty(STDIN_FILENO) && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	}
}

int engine_attach_connect(struct engine *e, const char *id, int *sock, cell_error **err)
{
	_cleanup_close_ int dir = engine_container_run_dir(e, id, false, err);
	if (dir < 0)
		return dir;
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cell_error_errno(err, errno, "attach socket");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/" ATTACH_SOCKET_NAME, dir);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return cell_error_errno(err, errno, "attach to container %.12s", id);
	*sock = TAKE_FD(fd);
	return 0;
}

static int send_msg(int sock, char type, const void *data, size_t len)
{
	char buf[ATTACH_MSG_MAX];
	if (len > sizeof(buf) - 1)
		len = sizeof(buf) - 1;
	buf[0] = type;
	if (len)
		memcpy(buf + 1, data, len);
	for (;;) {
		ssize_t n = send(sock, buf, len + 1, MSG_NOSIGNAL);
		if (n >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

static void send_size(int sock)
{
	unsigned short rows, cols;
	engine_terminal_size(&rows, &cols);
	if (!rows || !cols)
		return;
	char s[32];
	int n = snprintf(s, sizeof(s), "%u %u", rows, cols);
	send_msg(sock, ATTACH_RESIZE, s, (size_t)n);
}

struct session {
	struct engine *e;
	const char *id;
	int sock;
	const struct attach_options *o;
	bool stdin_done;
	bool got_exit;
	bool detached;
	bool pending_detach; /* saw the first detach key */
	bool out_broken;
	int code;
};

/* Input from the user; with a terminal, ctrl-p ctrl-q detaches. */
static void pump_stdin(struct session *s)
{
	char buf[ATTACH_MSG_MAX - 1];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		s->stdin_done = true;
		if (s->o->stdin_eof)
			send_msg(s->sock, ATTACH_STDIN_EOF, NULL, 0);
		return;
	}
	if (!s->o->tty) {
		send_msg(s->sock, ATTACH_STDIN, buf, (size_t)n);
		return;
	}
	char out[ATTACH_MSG_MAX];
	size_t o = 0;
	for (ssize_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)buf[i];
		if (s->pending_detach) {
			s->pending_detach = false;
			if (ch == DETACH_2) {
				s->detached = true;
				break;
			}
			out[o++] = DETACH_1;
		}
		if (ch == DETACH_1) {
			s->pending_detach = true;
			continue;
		}
		out[o++] = (char)ch;
	}
	if (o)
		send_msg(s->sock, ATTACH_STDIN, out, o);
}

static void output(struct session *s, int fd, const char *data, size_t len)
{
	if (s->out_broken)
		return;
	if (write_all(fd, data, len) < 0 && errno == EPIPE)
		s->out_broken = true;
}

/* One message from the monitor; false at the end of the connection. */
static bool pump_sock(struct session *s)
{
	char buf[ATTACH_MSG_MAX + 1];
	ssize_t n = recv(s->sock, buf, ATTACH_MSG_MAX, 0);
	if (n < 0 && errno == EINTR)
		return true;
	if (n <= 0)
		return false;
	switch (buf[0]) {
	case ATTACH_STDOUT:
		output(s, STDOUT_FILENO, buf + 1, (size_t)n - 1);
		break;
	case ATTACH_STDERR:
		output(s, STDERR_FILENO, buf + 1, (size_t)n - 1);
		break;
	case ATTACH_EXIT:
		buf[n] = '\0';
		s->code = atoi(buf + 1);
		s->got_exit = true;
		if (s->o->owner)
			send_msg(s->sock, s->o->take ? ATTACH_TAKE : ATTACH_LEAVE, NULL, 0);
		/* Taking over, we are done here; otherwise the end of the
		 * connection tells that the clean-up is over. */
		return !(s->o->owner && s->o->take);
	default:
		break;
	}
	return true;
}

static void forward_signal(struct session *s, int sig)
{
	if (sig == SIGWINCH) {
		send_size(s->sock);
		return;
	}
	cell_error *err = NULL;
	runtime_kill(&s->e->rt, s->id, sig, false, &err);
	cell_error_free(err);
}

static int loop(struct session *s, int sfd)
{
	bool use_stdin = s->o->stdin_;
	for (;;) {
		struct pollfd p[3] = {
		    {.fd = s->sock, .events = POLLIN},
		    {.fd = use_stdin && !s->stdin_done && !s->got_exit ? STDIN_FILENO : -1, .events = POLLIN},
		    {.fd = sfd, .events = POLLIN},
		};
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[2].revents) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				forward_signal(s, (int)si.ssi_signo);
		}
		if (p[0].revents && !pump_sock(s))
			return 0;
		if (p[1].revents) {
			pump_stdin(s);
			if (s->detached)
				return 0;
		}
	}
}

int engine_attach_session(struct engine *e, const char *id, int sock, const struct attach_options *o,
			  int *exit_code, bool *detached, cell_error **err)
{
	struct session s = {.e = e, .id = id, .sock = sock, .o = o};
	struct termios saved;
	bool raw = false;
	if (o->tty && o->stdin_ && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		struct termios t = saved;
		cfmakeraw(&t);
		raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
	}
	sigset_t mask, old;
	sigemptyset(&mask);
	sigaddset(&mask, SIGWINCH);
	if (o->sig_proxy && !o->tty) {
		int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
		for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
			sigaddset(&mask, sigs[i]);
	}
	sigprocmask(SIG_BLOCK, &mask, &old);
	void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (o->tty)
		send_size(sock);
	int r = sfd < 0 ? -errno : loop(&s, sfd);
	if (sfd >= 0)
		close(sfd);
	if (raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGPIPE, old_pipe);
	*detached = s.detached;
	*exit_code = s.code;
	if (r < 0 || s.detached)
		close(sock);
	if (r < 0)
		return cell_error_errno(err, r, "attach to container %.12s", id);
	if (s.detached)
		return 0;
	if (!s.got_exit) {
		/* The monitor went away without a word (it was killed): what
		 * the records say is all there is. */
		_cleanup_ctr_ struct ctr *c = NULL;
		cell_error *ce = NULL;
		if (ctr_open_id(e, id, false, &c, &ce) == 0 && c->status == CTR_EXITED)
			*exit_code = c->exit_code;
		else
			*exit_code = -1;
		cell_error_free(ce);
		close(sock);
		if (*exit_code < 0)
			return cell_error_set(err, EPIPE,
					      "container %.12s: lost its monitor before it exited", id);
		return 0;
	}
	if (o->owner && o->take) {
		/* The monitor waits for this to end; were we killed meanwhile,
		 * it would finish the clean-up itself. */
		r = engine_cleanup(e, id, o->gen, false, NULL, 0, err);
		send_msg(sock, ATTACH_DONE, NULL, 0);
		close(sock);
		return r;
	}
	close(sock);
	return 0;
}
