/* The runtime's side of a container process in the foreground (`run` and
 * `exec` without --detach) and of its terminal: the --console-socket
 * protocol, the terminal proxy (the user's terminal in raw mode, window size
 * and SIGWINCH, restored on every way out), and the wait that forwards
 * signals to the process. */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <termios.h>

#include "base/error.h"

/* Connect to the unix stream socket at path (paths longer than sun_path
 * work too). *out is the connected socket, close-on-exec. */
int console_socket_connect(const char *path, int *out, cell_error **err);

/* Send the pty master over sock as runc does: one message whose data is the
 * master's name ("/dev/ptmx") and whose SCM_RIGHTS carries the fd. podman's
 * conmon and containerd's shim receive it this way. */
int console_socket_send(int sock, int master, const char *what, cell_error **err);

struct console_proxy {
	int master; /* the pty master; -1 when there is no terminal to proxy */
	int in, out;
	bool in_done, master_done, out_broken;
	bool raw; /* in is a terminal that start() switched to raw mode */
	struct termios saved;
	char to_pty[4096];
	size_t to_pty_len, to_pty_off;
	char to_out[4096];
	size_t to_out_len, to_out_off;
};

/* An idle proxy (master -1) that stop() accepts. */
void console_proxy_init(struct console_proxy *p);

/* Take over master (the proxy closes it) and the runtime's stdin/stdout:
 * stdin goes raw when it is a terminal, and the terminal's size goes to the
 * pty unless keep_size (process.consoleSize was given). */
int console_proxy_start(struct console_proxy *p, int master, bool keep_size, cell_error **err);

/* The size of the user's terminal (stdin, else stdout), when there is one
 * and it has a size: for a pty to have it before the container's process
 * starts, which may ask at once (the proxy follows changes later). */
bool console_user_size(struct winsize *ws);

/* Restore the user's terminal and close the master. Safe to call twice. */
void console_proxy_stop(struct console_proxy *p);

static inline void console_proxy_stopp(struct console_proxy *p)
{
	console_proxy_stop(p);
}
#define _cleanup_console_proxy_ _cleanup_(console_proxy_stopp)

/* The signals a foreground run or exec passes on to its process, and
 * SIGCHLD. Block them before the process is created, so none slips by. */
void foreground_signal_mask(sigset_t *mask);

/* Wait for pid (our child, with pidfd) to exit while forwarding the
 * signals that arrive on the signalfd sfd to it, and, with a proxy, copying
 * between the terminal and the user (SIGWINCH then resizes the pty rather
 * than being forwarded). With notify_fd (else -1), what the container says
 * there goes on to notify_host (NOTIFY_SOCKET). *exit_status is the exit
 * code, 128+N after signal N. The proxy's remaining output is written
 * before returning. */
int foreground_wait(pid_t pid, int pidfd, int sfd, struct console_proxy *proxy, int notify_fd,
		    const char *notify_host, int *exit_status, cell_error **err);
