/* NOTIFY_SOCKET: systemd's readiness protocol, through the container.
 *
 * When the runtime is started with NOTIFY_SOCKET (a service of Type=notify,
 * or podman --sdnotify=container), the container gets a directory of ours
 * bound at that same path, with a socket named "notify" in it, and
 * NOTIFY_SOCKET=<path>/notify in its environment (crun's layout, which
 * crun's tests and engines expect). The runtime listens there and passes
 * what the container says on to the real socket: `run` while it waits,
 * `start` and `run --detach` until the container says READY=1. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "base/error.h"

/* The directory in the state dir that the container sees. */
#define NOTIFY_DIR "notify"

/* create: make the directory (owned by uid:gid, container root as the host
 * sees it) under the state dir dirfd. */
int notify_prepare(int dirfd, uid_t uid, gid_t gid, cell_error **err);

/* Listen on the socket in the state dir dirfd (bound anew, so that a
 * socket left by an earlier runtime process does not matter). Returns the
 * fd; uid:gid own the socket so that the container's root may write. */
int notify_listen(int dirfd, uid_t uid, gid_t gid, cell_error **err);

/* Pass one datagram from fd on to host_socket; *ready is set once it held
 * READY=1. Returns 0 or a negative errno (-EAGAIN: nothing to read). */
int notify_forward(int fd, const char *host_socket, bool *ready);

/* Forward until READY=1, or until the process behind pidfd exits. */
int notify_wait_ready(int fd, const char *host_socket, int pidfd, cell_error **err);

/* True if the environment's NOTIFY_SOCKET can be proxied (a path). */
const char *notify_host_socket(void);
