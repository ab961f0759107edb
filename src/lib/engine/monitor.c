#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "attach_proto.h"
#include "base/timefmt.h"
#include "logfile.h"

#define MAX_CLIENTS 32
/* How long output may still come after the init exited (its last
 * processes die with it, in its pid namespace). */
#define DRAIN_MS 2000
/* How long a client that does not read may hold the container's output. */
#define SLOW_CLIENT_MS 5000
/* How long the owner may take to answer the exit. */
#define OWNER_ANSWER_MS 30000

struct client {
	int fd;
	bool owner;
};

struct monitor {
	int dirfd;
	pid_t pid;
	long long gen;
	int listen_fd;
	int in_fd, out_fd, err_fd, pty_fd;
	bool stdin_once;
	bool logging;
	bool no_sync;
	struct log_writer log;
	struct client clients[MAX_CLIENTS];
	int n_clients;
	int sfd;
	bool exited;
	int code;
	char **cleanup_argv;
	int cleanup_argc;
	/* Input a client sent that the container has not read yet. */
	char pending[ATTACH_MSG_MAX];
	size_t pending_len, pending_off;
};

static char buf[ATTACH_MSG_MAX];

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void drop_client(struct monitor *m, int i)
{
	close(m->clients[i].fd);
	m->clients[i] = m->clients[--m->n_clients];
}

static bool send_all_wait(int fd, const char *msg, size_t len, int wait_ms)
{
	for (;;) {
		ssize_t n = send(fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0)
			return true;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return false;
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		int r = poll(&p, 1, wait_ms);
		if (r == 0 || (r < 0 && errno != EINTR) || (r > 0 && !(p.revents & POLLOUT)))
			return false;
	}
}

/* A message to every client. The owner (the foreground `cell run`) is
 * waited for as long as it takes, as a pipe would; others that do not read
 * are dropped after a while rather than stall the container. */
static void broadcast(struct monitor *m, char type, const char *data, size_t len)
{
	static char msg[ATTACH_MSG_MAX];
	while (len || type == ATTACH_EXIT) {
		size_t n = len > ATTACH_MSG_MAX - 1 ? ATTACH_MSG_MAX - 1 : len;
		msg[0] = type;
		memcpy(msg + 1, data, n);
		for (int i = m->n_clients - 1; i >= 0; i--)
			if (!send_all_wait(m->clients[i].fd, msg, n + 1,
					   m->clients[i].owner ? -1 : SLOW_CLIENT_MS))
				drop_client(m, i);
		data += n;
		len -= n;
		if (type == ATTACH_EXIT)
			break;
	}
}

static void record_output(struct monitor *m, enum log_stream stream, const char *data, size_t len)
{
	if (m->logging && log_writer_write(&m->log, stream, data, len) < 0) {
		/* A full disk must not stop the container: go on without a log. */
		m->logging = false;
	}
	broadcast(m, stream == LOG_STDERR ? ATTACH_STDERR : ATTACH_STDOUT, data, len);
}

/* Read what one output fd has; at its end (or the pty's EIO) close it. */
static void pump_output(struct monitor *m, int *fd, enum log_stream stream)
{
	for (int rounds = 0; rounds < 16; rounds++) {
		ssize_t n = read(*fd, buf, sizeof(buf) - 1);
		if (n > 0) {
			record_output(m, stream, buf, (size_t)n);
			continue;
		}
		if (n < 0 && (errno == EINTR))
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		close_fd(fd);
		if (fd == &m->pty_fd)
			m->in_fd = -1; /* the same master: nothing left to write to */
		return;
	}
}

static void reap(struct monitor *m)
{
	for (;;) {
		int status;
		pid_t p = waitpid(-1, &status, WNOHANG);
		if (p <= 0)
			return;
		if (p != m->pid || m->exited)
			continue;
		m->exited = true;
		m->code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
}

static void flush_stdin(struct monitor *m)
{
	int fd = m->pty_fd >= 0 ? m->pty_fd : m->in_fd;
	while (m->pending_off < m->pending_len && fd >= 0) {
		ssize_t n = write(fd, m->pending + m->pending_off, m->pending_len - m->pending_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* The container closed its stdin: what is left goes nowhere. */
			m->pending_off = m->pending_len;
			if (m->pty_fd < 0)
				close_fd(&m->in_fd);
			break;
		}
		m->pending_off += (size_t)n;
	}
	m->pending_len = m->pending_off = 0;
}

static void client_message(struct monitor *m, int i)
{
	ssize_t n = recv(m->clients[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		drop_client(m, i);
		return;
	}
	switch (buf[0]) {
	case ATTACH_STDIN:
		if (n > 1 && (m->in_fd >= 0 || m->pty_fd >= 0)) {
			memcpy(m->pending, buf + 1, (size_t)n - 1);
			m->pending_len = (size_t)n - 1;
			m->pending_off = 0;
			flush_stdin(m);
		}
		break;
	case ATTACH_STDIN_EOF:
		if (m->stdin_once && m->pty_fd < 0) {
			flush_stdin(m);
			close_fd(&m->in_fd);
		}
		break;
	case ATTACH_RESIZE:
		if (m->pty_fd >= 0 && n > 1) {
			buf[n < (ssize_t)sizeof(buf) ? n : (ssize_t)sizeof(buf) - 1] = '\0';
			unsigned rows = 0, cols = 0;
			if (sscanf(buf + 1, "%u %u", &rows, &cols) == 2 && rows && cols && rows < 65536 &&
			    cols < 65536) {
				struct winsize ws = {.ws_row = (unsigned short)rows,
						     .ws_col = (unsigned short)cols};
				ioctl(m->pty_fd, TIOCSWINSZ, &ws);
			}
		}
		break;
	default:
		break;
	}
}

static void accept_client(struct monitor *m)
{
	int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (m->n_clients >= MAX_CLIENTS) {
		close(fd);
		return;
	}
	m->clients[m->n_clients++] = (struct client){.fd = fd};
}

static bool outputs_open(const struct monitor *m)
{
	return m->out_fd >= 0 || m->err_fd >= 0 || m->pty_fd >= 0;
}

/* The loop until the init has exited and its output is drained. */
static void run(struct monitor *m)
{
	long long drain_until = 0;
	for (;;) {
		if (m->exited && !drain_until)
			drain_until = now_ms() + DRAIN_MS;
		if (m->exited && (!outputs_open(m) || now_ms() >= drain_until))
			return;
		struct pollfd p[8 + MAX_CLIENTS];
		int n = 0, first_client;
		p[n++] = (struct pollfd){.fd = m->sfd, .events = POLLIN};
		p[n++] = (struct pollfd){.fd = m->exited ? -1 : m->listen_fd, .events = POLLIN};
		p[n++] = (struct pollfd){.fd = m->out_fd, .events = POLLIN};
		p[n++] = (struct pollfd){.fd = m->err_fd, .events = POLLIN};
		p[n++] = (struct pollfd){.fd = m->pty_fd, .events = POLLIN};
		int in = m->pty_fd >= 0 ? m->pty_fd : m->in_fd;
		bool waiting_input = m->pending_off < m->pending_len;
		p[n++] = (struct pollfd){.fd = waiting_input ? in : -1, .events = POLLOUT};
		first_client = n;
		for (int i = 0; i < m->n_clients; i++)
			p[n++] =
			    (struct pollfd){.fd = waiting_input ? -1 : m->clients[i].fd, .events = POLLIN};
		int timeout = m->exited ? (int)(drain_until - now_ms()) : -1;
		if (m->exited && timeout < 0)
			timeout = 0;
		int r = poll(p, (nfds_t)n, timeout);
		if (r < 0 && errno != EINTR)
			return;
		if (r <= 0)
			continue;
		if (p[0].revents) {
			struct signalfd_siginfo si;
			while (read(m->sfd, &si, sizeof(si)) == sizeof(si))
				;
			reap(m);
		}
		if (p[1].revents & POLLIN)
			accept_client(m);
		if (p[2].revents)
			pump_output(m, &m->out_fd, LOG_STDOUT);
		if (p[3].revents)
			pump_output(m, &m->err_fd, LOG_STDERR);
		if (p[4].revents)
			pump_output(m, &m->pty_fd, LOG_STDOUT);
		if (p[5].revents)
			flush_stdin(m);
		/* Clients last, from the end: a message may drop one. */
		for (int i = m->n_clients - 1; i >= 0; i--)
			if (first_client + i < n && p[first_client + i].revents &&
			    p[first_client + i].fd >= 0 && p[first_client + i].fd == m->clients[i].fd)
				client_message(m, i);
	}
}

static void write_exit(struct monitor *m)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	char t[40], line[128];
	rfc3339_from_ns((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec, t, sizeof(t));
	int len = snprintf(line, sizeof(line), "%lld %d %s\n", m->gen, m->code, t);
	int fd = openat(m->dirfd, ".exit.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	bool ok = write(fd, line, (size_t)len) == len && (m->no_sync || fsync(fd) == 0);
	close(fd);
	if (ok && renameat(m->dirfd, ".exit.tmp", m->dirfd, "exit") == 0 && !m->no_sync)
		fsync(m->dirfd);
}

/* After EXIT: does the owner take the clean-up over, and finish it? An
 * owner that took it and then went away without a word (killed) leaves
 * it to us. */
static bool owner_takes(struct monitor *m)
{
	int owner = -1;
	for (int i = 0; i < m->n_clients; i++)
		if (m->clients[i].owner)
			owner = i;
	if (owner < 0)
		return false;
	long long until = now_ms() + OWNER_ANSWER_MS;
	for (;;) {
		struct pollfd p = {.fd = m->clients[owner].fd, .events = POLLIN};
		int left = until < 0 ? -1 : (int)(until - now_ms());
		if ((until >= 0 && left <= 0) || poll(&p, 1, left) <= 0)
			return false;
		ssize_t n = recv(m->clients[owner].fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			drop_client(m, owner);
			return false;
		}
		if (buf[0] == ATTACH_TAKE)
			until = -1; /* as long as its clean-up takes */
		if (buf[0] == ATTACH_DONE)
			return true;
		if (buf[0] == ATTACH_LEAVE)
			return false;
	}
}

static void exec_cleanup(struct monitor *m)
{
	char fds[MAX_CLIENTS * 12 + 2] = "";
	size_t o = 0;
	for (int i = 0; i < m->n_clients; i++) {
		int fl = fcntl(m->clients[i].fd, F_GETFD);
		if (fl >= 0)
			fcntl(m->clients[i].fd, F_SETFD, fl & ~FD_CLOEXEC);
		o += (size_t)snprintf(fds + o, sizeof(fds) - o, "%s%d", i ? "," : "", m->clients[i].fd);
	}
	char **argv = calloc((size_t)m->cleanup_argc + 3, sizeof(char *));
	if (!argv)
		_exit(1);
	for (int i = 0; i < m->cleanup_argc; i++)
		argv[i] = m->cleanup_argv[i];
	int k = m->cleanup_argc;
	if (o) {
		argv[k++] = "--client-fds";
		argv[k++] = fds;
	}
	argv[k] = NULL;
	execv(argv[0], argv);
	_exit(127);
}

static bool parse_int(const char *s, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno)
		return false;
	*out = v;
	return true;
}

static void set_cloexec_nonblock(int fd, bool nonblock)
{
	if (fd < 0)
		return;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (nonblock)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static int parse_args(struct monitor *m, int argc, char **argv, long long *max_size, long long *max_files,
		      int *owner)
{
	m->dirfd = m->listen_fd = m->in_fd = m->out_fd = m->err_fd = m->pty_fd = *owner = -1;
	m->logging = true;
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "--stdin-once") == 0) {
			m->stdin_once = true;
			continue;
		}
		if (strcmp(a, "--no-log") == 0) {
			m->logging = false;
			continue;
		}
		if (strcmp(a, "--no-sync") == 0) {
			m->no_sync = true;
			continue;
		}
		long long v;
		if (i + 1 >= argc || !parse_int(argv[i + 1], &v))
			return -1;
		i++;
		if (strcmp(a, "--dir-fd") == 0)
			m->dirfd = (int)v;
		else if (strcmp(a, "--pid") == 0)
			m->pid = (pid_t)v;
		else if (strcmp(a, "--gen") == 0)
			m->gen = v;
		else if (strcmp(a, "--listen-fd") == 0)
			m->listen_fd = (int)v;
		else if (strcmp(a, "--stdin-fd") == 0)
			m->in_fd = (int)v;
		else if (strcmp(a, "--stdout-fd") == 0)
			m->out_fd = (int)v;
		else if (strcmp(a, "--stderr-fd") == 0)
			m->err_fd = (int)v;
		else if (strcmp(a, "--pty-fd") == 0)
			m->pty_fd = (int)v;
		else if (strcmp(a, "--owner-fd") == 0)
			*owner = (int)v;
		else if (strcmp(a, "--log-max-size") == 0)
			*max_size = v;
		else if (strcmp(a, "--log-max-files") == 0)
			*max_files = v;
		else
			return -1;
	}
	m->cleanup_argv = argv + i;
	m->cleanup_argc = argc - i;
	if (m->dirfd < 0 || m->pid <= 0 || m->listen_fd < 0 || m->cleanup_argc < 1)
		return -1;
	return 0;
}

int monitor_main(int argc, char **argv)
{
	static struct monitor m;
	long long max_size = 0, max_files = 1;
	int owner = -1;
	if (parse_args(&m, argc, argv, &max_size, &max_files, &owner) < 0) {
		static const char usage[] =
		    "cell-monitor: started with wrong arguments (it is run by cell)\n";
		if (write(STDERR_FILENO, usage, sizeof(usage) - 1) < 0)
			return 2;
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	m.sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (m.sfd < 0)
		return 1;
	set_cloexec_nonblock(m.dirfd, false);
	set_cloexec_nonblock(m.listen_fd, true);
	set_cloexec_nonblock(m.in_fd, true);
	set_cloexec_nonblock(m.out_fd, true);
	set_cloexec_nonblock(m.err_fd, true);
	set_cloexec_nonblock(m.pty_fd, true);
	if (owner >= 0) {
		set_cloexec_nonblock(owner, false);
		m.clients[m.n_clients++] = (struct client){.fd = owner, .owner = true};
	}
	if (m.logging && log_writer_open(&m.log, m.dirfd, (uint64_t)(max_size > 0 ? max_size : 0),
					 (int)(max_files > 0 ? max_files : 1)) < 0)
		m.logging = false;
	/* The init may have ended before we were here to see SIGCHLD. */
	reap(&m);
	run(&m);
	if (!m.exited) {
		/* Only a failed poll gets here: wait for the exit itself. */
		int status;
		while (waitpid(m.pid, &status, 0) < 0 && errno == EINTR)
			;
		m.exited = true;
		m.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	if (m.logging)
		log_writer_close(&m.log);
	write_exit(&m);
	char code[16];
	int cl = snprintf(code, sizeof(code), "%d", m.code);
	broadcast(&m, ATTACH_EXIT, code, (size_t)cl);
	close_fd(&m.listen_fd);
	close_fd(&m.in_fd);
	close_fd(&m.out_fd);
	close_fd(&m.err_fd);
	close_fd(&m.pty_fd);
	if (owner_takes(&m))
		return 0;
	exec_cleanup(&m);
	return 127;
}
