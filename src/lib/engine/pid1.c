#include "pid1.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char *a, const char *b, const char *c)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "cell-init: %s%s%s\n", a, b, c);
	if (n > 0 && write(STDERR_FILENO, buf, (size_t)n) < 0)
		return;
}

_Noreturn static void child(char **cmd, const sigset_t *orig)
{
	setpgid(0, 0);
	if (isatty(STDIN_FILENO)) {
		/* Take the terminal's foreground, so that ^C and job control
		 * reach the command, not us. */
		signal(SIGTTOU, SIG_IGN);
		tcsetpgrp(STDIN_FILENO, getpgrp());
		signal(SIGTTOU, SIG_DFL);
	}
	sigprocmask(SIG_SETMASK, orig, NULL);
	execvp(cmd[0], cmd);
	int e = errno;
	say("exec ", cmd[0], e == ENOENT ? ": not found" : ": cannot run it");
	_exit(e == ENOENT ? 127 : 126);
}

/* Every zombie we have; true once the command's status is known. */
static int reap(pid_t cmd, int *status)
{
	int done = 0;
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, WNOHANG);
		if (p <= 0)
			return done;
		if (p == cmd) {
			*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			done = 1;
		}
	}
}

int pid1_main(int argc, char **argv)
{
	int i = 1;
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i >= argc) {
		say("usage: cell-init -- COMMAND [ARG...]", "", "");
		return 2;
	}
	sigset_t all, orig;
	sigfillset(&all);
	/* Faults stay faults. */
	int sync[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS};
	for (size_t k = 0; k < sizeof(sync) / sizeof(sync[0]); k++)
		sigdelset(&all, sync[k]);
	sigprocmask(SIG_BLOCK, &all, &orig);
	pid_t pid = fork();
	if (pid < 0) {
		say("fork: ", strerror(errno), "");
		return 125;
	}
	if (pid == 0)
		child(argv + i, &orig);
	int status = 0;
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
		if (sig < 0)
			continue;
		if (sig == SIGCHLD) {
			if (reap(pid, &status)) {
				/* Orphans that exited with it too. */
				reap(pid, &status);
				return status;
			}
			continue;
		}
		kill(pid, sig);
	}
}
