#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"

extern char **environ;

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int hook_run(const struct oci_hook *h, enum oci_hook_kind kind, size_t index, const char *state,
	     struct init_error *e)
{
	const char *name = oci_hook_names[kind];
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return init_fail(e, errno, "hooks.%s[%zu] %s: pipe", name, index, h->path);
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return init_fail(e, errno, "hooks.%s[%zu] %s: pipe", name, index, h->path);
	}
	_cleanup_close_ int in_r = in[0], in_w = in[1], out_r = out[0], out_w = out[1];

	/* The state is small; it fits the pipe before the hook even starts. */
	size_t len = strlen(state);
	fcntl(in_w, F_SETFL, O_NONBLOCK);
	if (write(in_w, state, len) != (ssize_t)len)
		return init_fail(e, errno ? errno : EIO, "hooks.%s[%zu] %s: pass the state", name, index,
				 h->path);
	closep(&in_w);

	pid_t pid = fork();
	if (pid < 0)
		return init_fail(e, errno, "hooks.%s[%zu] %s: fork", name, index, h->path);
	if (pid == 0) {
		const char *argv0[] = {h->path, NULL};
		dup2(in_r, 0);
		dup2(out_w, 1);
		dup2(out_w, 2);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execve(h->path, (char *const *)(h->args && h->args[0] ? h->args : argv0),
		       h->env ? (char *const *)h->env : environ);
		dprintf(2, "exec %s: %s", h->path, strerror(errno));
		_exit(127);
	}
	closep(&out_w);
	closep(&in_r);

	/* Collect the hook's output for the message until the hook exits (a
	 * child it left behind may hold the pipe open) or its time runs out. */
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	char buf[1024];
	size_t got = 0;
	long deadline = h->timeout > 0 ? now_ms() + h->timeout * 1000L : -1;
	bool timed_out = false, exited = false, eof = false;
	while (!exited) {
		struct pollfd pfd[2] = {{.fd = eof ? -1 : out_r, .events = POLLIN},
					{.fd = pidfd, .events = POLLIN}};
		int wait = deadline < 0 ? -1 : (int)(deadline - now_ms());
		if (deadline >= 0 && wait <= 0) {
			timed_out = true;
			break;
		}
		int n = poll(pfd, 2, pidfd >= 0 ? wait : (wait < 0 || wait > 50 ? 50 : wait));
		if (n < 0 && errno == EINTR)
			continue;
		if (pfd[0].revents) {
			char chunk[512];
			ssize_t k = read(out_r, chunk, sizeof(chunk));
			if (k <= 0) {
				eof = k == 0 || errno != EINTR;
			} else {
				size_t room = sizeof(buf) - 1 - got;
				size_t keep = (size_t)k < room ? (size_t)k : room;
				memcpy(buf + got, chunk, keep);
				got += keep;
			}
		}
		if (pidfd >= 0 && pfd[1].revents)
			exited = true;
		if (pidfd < 0 && eof)
			exited = true; /* without pidfds, the pipe's end is the best sign */
	}
	/* What the hook wrote just before it exited. */
	fcntl(out_r, F_SETFL, O_NONBLOCK);
	while (!eof && got < sizeof(buf) - 1) {
		ssize_t k = read(out_r, buf + got, sizeof(buf) - 1 - got);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	buf[got] = '\0';
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == ' '))
		buf[--got] = '\0';
	if (timed_out)
		kill(pid, SIGKILL);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (timed_out) {
		e->err = ETIMEDOUT;
		snprintf(e->text, sizeof(e->text), "hooks.%s[%zu] %s: timed out after %d s", name, index,
			 h->path, h->timeout);
		return -ETIMEDOUT;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	e->err = ECANCELED;
	if (WIFEXITED(status))
		snprintf(e->text, sizeof(e->text), "hooks.%s[%zu] %s: exited with status %d%s%.*s", name,
			 index, h->path, WEXITSTATUS(status), got ? ": " : "", (int)(sizeof(e->text) / 2),
			 buf);
	else
		snprintf(e->text, sizeof(e->text), "hooks.%s[%zu] %s: killed by signal %d%s%.*s", name, index,
			 h->path, WTERMSIG(status), got ? ": " : "", (int)(sizeof(e->text) / 2), buf);
	return -ECANCELED;
}

int hooks_run(const struct oci_hooks *hooks, enum oci_hook_kind kind, const char *state, struct init_error *e)
{
	for (size_t i = 0; i < hooks->n[kind]; i++) {
		int r = hook_run(&hooks->list[kind][i], kind, i, state, e);
		if (r < 0)
			return r;
	}
	return 0;
}
