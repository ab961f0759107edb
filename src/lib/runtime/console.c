#include "console.h"
#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/file.h"
#include "pidutil.h"

int console_socket_connect(const char *path, int *out, cell_error **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int dirfd = -EBADF;
	if (strlen(path) < sizeof(sa.sun_path)) {
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	} else {
		/* Too long for sun_path: reach it through its directory's fd. */
		const char *slash = strrchr(path, '/');
		if (!slash || strlen(slash + 1) > sizeof(sa.sun_path) - 32)
			return cell_error_set(err, ENAMETOOLONG, "--console-socket %s: path too long", path);
		char dir[4096];
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
		dirfd = open(*dir ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0)
			return cell_error_errno(err, errno, "--console-socket %s", path);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dirfd, slash + 1);
	}
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cell_error_errno(err, errno, "--console-socket %s: create a socket", path);
	int r;
	while ((r = connect(fd, (struct sockaddr *)&sa, sizeof(sa))) < 0 && errno == EINTR)
		;
	if (r < 0)
		return cell_error_errno(err, errno, "--console-socket %s: connect", path);
	*out = TAKE_FD(fd);
	return 0;
}

int console_socket_send(int sock, int master, const char *what, cell_error **err)
{
	/* podman's conmon and runc's recvtty read the name "/dev/ptmx" */
	static const char name[] = "/dev/ptmx";
	int r = send_with_fd(sock, name, sizeof(name) - 1, master);
	if (r < 0)
		return cell_error_errno(err, -r, "--console-socket %s: send the terminal", what);
	return 0;
}

void console_proxy_init(struct console_proxy *p)
{
	memset(p, 0, sizeof(*p));
	p->master = -1;
	p->in = STDIN_FILENO;
	p->out = STDOUT_FILENO;
}

/* The user's terminal: stdin, or stdout when only that one is a terminal. */
static int user_tty(const struct console_proxy *p)
{
	if (isatty(p->in))
		return p->in;
	if (isatty(p->out))
		return p->out;
	return -1;
}

static bool tty_size(int tty, struct winsize *ws)
{
	return tty >= 0 && ioctl(tty, TIOCGWINSZ, ws) == 0 && ws->ws_row && ws->ws_col;
}

static void copy_size(struct console_proxy *p)
{
	struct winsize ws;
	if (tty_size(user_tty(p), &ws))
		ioctl(p->master, TIOCSWINSZ, &ws);
}

bool console_user_size(struct winsize *ws)
{
	struct console_proxy p;
	console_proxy_init(&p);
	return tty_size(user_tty(&p), ws);
}

int console_proxy_start(struct console_proxy *p, int master, bool keep_size, cell_error **err)
{
	p->master = master;
	if (isatty(p->in)) {
		if (tcgetattr(p->in, &p->saved) < 0)
			return cell_error_errno(err, errno, "terminal: read the settings of stdin");
		struct termios raw = p->saved;
		/* Raw: every byte, ^C and ^Z included, goes to the container's
		 * terminal, whose own line discipline acts on it; output goes
		 * out unchanged (the container's pty already adds the CRs). */
		cfmakeraw(&raw);
		if (tcsetattr(p->in, TCSANOW, &raw) < 0)
			return cell_error_errno(err, errno, "terminal: switch stdin to raw mode");
		p->raw = true;
	}
	if (!keep_size)
		copy_size(p);
	return 0;
}

void console_proxy_stop(struct console_proxy *p)
{
	if (p->raw) {
		tcsetattr(p->in, TCSANOW, &p->saved);
		p->raw = false;
	}
	if (p->master >= 0) {
		close(p->master);
		p->master = -1;
	}
}

void foreground_signal_mask(sigset_t *mask)
{
	static const int forwarded[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGTERM,  SIGUSR1,
					SIGUSR2, SIGALRM, SIGCONT, SIGWINCH, SIGPIPE};
	sigemptyset(mask);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(mask, forwarded[i]);
	sigaddset(mask, SIGCHLD);
}

/* Move what is buffered for stdout; drop it when nobody reads any more. */
static void flush_out(struct console_proxy *p)
{
	while (p->to_out_off < p->to_out_len) {
		ssize_t n = p->out_broken
				? (ssize_t)(p->to_out_len - p->to_out_off)
				: write(p->out, p->to_out + p->to_out_off, p->to_out_len - p->to_out_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			p->out_broken = true;
			continue;
		}
		p->to_out_off += (size_t)n;
	}
	p->to_out_len = p->to_out_off = 0;
}

static void read_master(struct console_proxy *p)
{
	ssize_t n = read(p->master, p->to_out, sizeof(p->to_out));
	if (n > 0) {
		p->to_out_len = (size_t)n;
		p->to_out_off = 0;
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		p->master_done = true; /* EIO: every slave end is closed */
	}
}

static void read_in(struct console_proxy *p)
{
	ssize_t n = read(p->in, p->to_pty, sizeof(p->to_pty));
	if (n > 0) {
		p->to_pty_len = (size_t)n;
		p->to_pty_off = 0;
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		p->in_done = true;
	}
}

static void write_master(struct console_proxy *p)
{
	ssize_t n = write(p->master, p->to_pty + p->to_pty_off, p->to_pty_len - p->to_pty_off);
	if (n > 0) {
		p->to_pty_off += (size_t)n;
		if (p->to_pty_off == p->to_pty_len)
			p->to_pty_len = p->to_pty_off = 0;
	} else if (n < 0 && errno != EINTR && errno != EAGAIN) {
		p->to_pty_len = p->to_pty_off = 0;
		p->in_done = true;
	}
}

/* After the process exited: what it wrote last is still in the pty. */
static void drain(struct console_proxy *p)
{
	int fl = fcntl(p->master, F_GETFL);
	if (fl >= 0)
		fcntl(p->master, F_SETFL, fl | O_NONBLOCK);
	for (int rounds = 0; rounds < 4096; rounds++) {
		flush_out(p);
		if (p->master_done)
			break;
		read_master(p);
		if (p->to_out_len == 0)
			break;
	}
	flush_out(p);
}

/* The proxy's part of the poll set, starting at fds[n]; returns the new n. */
static int proxy_poll_fds(struct console_proxy *p, struct pollfd *fds, int n, int idx[3])
{
	idx[0] = idx[1] = idx[2] = -1;
	if (!p->in_done && p->to_pty_len == 0) {
		idx[0] = n;
		fds[n++] = (struct pollfd){.fd = p->in, .events = POLLIN};
	}
	short ev =
	    (short)((!p->master_done && p->to_out_len == 0 ? POLLIN : 0) | (p->to_pty_len ? POLLOUT : 0));
	if (ev) {
		idx[1] = n;
		fds[n++] = (struct pollfd){.fd = p->master, .events = ev};
	}
	if (p->to_out_len) {
		idx[2] = n;
		fds[n++] = (struct pollfd){.fd = p->out, .events = POLLOUT};
	}
	return n;
}

static void proxy_step(struct console_proxy *p, const struct pollfd *fds, const int idx[3])
{
	if (idx[0] >= 0 && fds[idx[0]].revents)
		read_in(p);
	if (idx[1] >= 0) {
		short re = fds[idx[1]].revents;
		if ((re & POLLOUT) && p->to_pty_len)
			write_master(p);
		if ((re & (POLLIN | POLLHUP | POLLERR)) && p->to_out_len == 0)
			read_master(p);
	}
	if ((idx[2] >= 0 && fds[idx[2]].revents) || p->out_broken)
		flush_out(p);
}

int foreground_wait(pid_t pid, int pidfd, int sfd, struct console_proxy *proxy, int notify_fd,
		    const char *notify_host, int *exit_status, cell_error **err)
{
	bool proxying = proxy && proxy->master >= 0;
	for (;;) {
		struct pollfd fds[6] = {{.fd = sfd, .events = POLLIN},
					{.fd = pidfd, .events = POLLIN},
					{.fd = notify_fd, .events = POLLIN}};
		int idx[3] = {-1, -1, -1};
		int n = proxying ? proxy_poll_fds(proxy, fds, 3, idx) : 3;
		if (poll(fds, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return cell_error_errno(err, errno, "wait for process %d", (int)pid);
		}
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGWINCH && proxying)
					copy_size(proxy);
				else if (si.ssi_signo != SIGCHLD)
					pidfd_signal(pidfd, (int)si.ssi_signo);
			}
		}
		if (proxying)
			proxy_step(proxy, fds, idx);
		if (notify_fd >= 0 && fds[2].revents) {
			bool ready = false;
			notify_forward(notify_fd, notify_host, &ready);
		}
		if (fds[1].revents) {
			int status;
			pid_t w;
			while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
				;
			if (w < 0)
				return cell_error_errno(err, errno, "wait for process %d", (int)pid);
			if (proxying)
				drain(proxy);
			*exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			return 0;
		}
	}
}
