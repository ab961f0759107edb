/* The attach protocol between a container's monitor and the `cell`
 * commands attached to it (run in the foreground, start -a, attach): a unix
 * SOCK_SEQPACKET socket, each message one byte of type and its payload.
 * Shared by the monitor (C library only) and the engine's client side. */
#pragma once

enum attach_msg_type {
	ATTACH_STDIN = 0,     /* client → monitor: bytes for the container's stdin */
	ATTACH_STDOUT = 1,    /* monitor → client: output (all of it with a terminal) */
	ATTACH_STDERR = 2,    /* monitor → client */
	ATTACH_EXIT = 3,      /* monitor → client: the exit status, in decimal */
	ATTACH_STDIN_EOF = 4, /* client → monitor: no more input */
	ATTACH_RESIZE = 5,    /* client → monitor: "ROWS COLS" of the user's terminal */
	ATTACH_TAKE = 6,      /* owner → monitor, after EXIT: the owner cleans up */
	ATTACH_LEAVE = 7,     /* owner → monitor, after EXIT: the monitor cleans up */
	ATTACH_DONE = 8,      /* owner → monitor, after TAKE: the clean-up is over */
};

/* The largest message, type byte included. */
#define ATTACH_MSG_MAX 32768

/* The attach socket's name in RUNROOT/containers/ID. */
#define ATTACH_SOCKET_NAME "attach"
