/* The client side of attach: `cell run` in the foreground, `start -a` and
 * `attach` copy between the user's terminal (or pipes) and the container's
 * monitor. With a terminal the user's goes raw, its size follows SIGWINCH,
 * and ctrl-p ctrl-q detaches; without one, signals are passed on to the
 * container. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "engine.h"

struct attach_options {
	bool tty;       /* the container has a terminal */
	bool stdin_;    /* pass our stdin on */
	bool stdin_eof; /* and its end */
	bool sig_proxy; /* pass SIGINT, SIGTERM, … on (without a terminal) */
	bool owner;     /* we started it: answer its exit (see attach_proto.h) */
	bool take;      /* as the owner, do the clean-up ourselves */
	int64_t gen;    /* the run we own */
};

/* Connect to the attach socket of a running container. */
int engine_attach_connect(struct engine *e, const char *id, int *sock, cell_error **err);

/* Copy until the container exits (*exit_code: its status) or the user
 * detaches (*detached). Owning a run, the clean-up is done (take) or left
 * to the monitor before returning. Closes sock. */
int engine_attach_session(struct engine *e, const char *id, int sock, const struct attach_options *o,
			  int *exit_code, bool *detached, cell_error **err);

/* The size of our terminal (0 0 when stdin is not one). */
void engine_terminal_size(unsigned short *rows, unsigned short *cols);
