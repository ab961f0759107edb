/* The container's terminal (process.terminal), container side. The pty pair
 * comes from the devpts instance mounted inside the container, never the
 * host's, so that the container cannot reach other terminals through it. The
 * slave becomes the process's controlling terminal and its stdin, stdout and
 * stderr; the master goes to the runtime over the sync socket (SCM_RIGHTS),
 * and from there to the --console-socket or to the foreground proxy. Runs in
 * the child between clone and exec: plain negative errno, no allocation. */
#pragma once

#include <stdbool.h>

#include "spec/config.h"
#include "sync.h"

/* Allocate the pty from /dev/pts/ptmx (checked to be devpts), size it from
 * p->consoleSize, give the slave to p's user, bind it onto /dev/console when
 * bind_console (the container init, not exec), make it the controlling
 * terminal of a new session and stdio 0-2, and send the master to the
 * runtime as SYNC_CONSOLE on sync_fd. Nothing of the pair stays open here
 * but fds 0-2. */
int terminal_setup(const struct oci_process *p, bool bind_console, int sync_fd, struct init_error *e);
