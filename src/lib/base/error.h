/* The error type of libcell. A function that can fail returns 0 or a negative
 * errno and, above base/, fills a cell_error whose message names what failed and
 * on which object. Messages grow context on the way up with cell_error_prefix(). */
#pragma once

#include <stdarg.h>

#include "cleanup.h"

typedef struct cell_error {
	int code;  /* positive errno value describing the failure class */
	char *msg; /* complete human-readable message, without program name */
} cell_error;

/* Set *err (when err is not NULL) to a new error with the formatted message.
 * Replaces an error already there. Returns -code (code 0 becomes EIO). */
int cell_error_set(cell_error **err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* As cell_error_set(), and appends ": strerror(code)" to the message. */
int cell_error_errno(cell_error **err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prefix the message of *err with "context: ". Returns -(*err)->code, or -EIO
 * if no error was set. */
int cell_error_prefix(cell_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void cell_error_free(cell_error *e);

static inline void cell_error_freep(cell_error **e)
{
	cell_error_free(*e);
	*e = NULL;
}

#define _cleanup_error_ _cleanup_(cell_error_freep)
