/* Many blob downloads of one repository at once, over a curl multi handle
 * in this one process: at most `parallel` transfers run, each streams its
 * bytes into its item's sink as they arrive, and a transfer that fails part
 * way (a dropped connection, a 5xx, a body cut short) starts again after a
 * backoff with a Range request from where it stopped. A body longer than
 * its descriptor says, or an answer that is not the blob, fails the item;
 * the first item to fail stops them all. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/digest.h"
#include "base/error.h"
#include "client.h"

struct fetch_item {
	char digest[DIGEST_BUF];
	uint64_t size; /* from the descriptor: exactly this many bytes */
	/* Called once, before the first byte. */
	int (*start)(void *ctx, cell_error **err);
	/* The body's bytes, in order. 0: taken. -EAGAIN: not now (nothing
	 * taken): the transfer pauses until wait_fd (when >= 0) is writable and
	 * then offers the same bytes again. Another negative errno fails the
	 * item (with err set). */
	int (*write)(void *ctx, const void *data, size_t len, cell_error **err);
	/* Called once, after the last byte (size bytes arrived). */
	int (*finish)(void *ctx, cell_error **err);
	int wait_fd;
	void *ctx;
	/* Filled in as it goes. */
	uint64_t received;
	unsigned retries;
	bool started, done;
};

struct fetch_opts {
	unsigned parallel; /* 0: 4 */
	/* After each piece an item takes, and when it is done. */
	void (*progress)(void *ctx, const struct fetch_item *item);
	void *ctx;
};

/* Fetch every item. Returns 0 when all are done, or the first failure (the
 * others are stopped where they are; their sinks are the caller's to clean
 * up). */
int registry_fetch(struct registry_session *s, struct fetch_item *items, size_t n, const struct fetch_opts *o,
		   cell_error **err);
