#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *fallback_message(void)
{
	return strdup("out of memory while reporting an error");
}

static int set_message(cell_error **err, int code, char *msg)
{
	if (code <= 0)
		code = EIO;
	if (!err) {
		free(msg);
		return -code;
	}
	cell_error *e = calloc(1, sizeof(*e));
	if (!e) {
		free(msg);
		return -code;
	}
	e->code = code;
	e->msg = msg ? msg : fallback_message();
	cell_error_free(*err);
	*err = e;
	return -code;
}

int cell_error_set(cell_error **err, int code, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	return set_message(err, code, msg);
}

int cell_error_errno(cell_error **err, int code, const char *fmt, ...)
{
	char *head = NULL, *msg = NULL;
	va_list ap;

	if (code < 0)
		code = -code;
	va_start(ap, fmt);
	if (vasprintf(&head, fmt, ap) < 0)
		head = NULL;
	va_end(ap);
	if (head && asprintf(&msg, "%s: %s", head, strerror(code ? code : EIO)) < 0)
		msg = NULL;
	free(head);
	return set_message(err, code, msg);
}

int cell_error_prefix(cell_error **err, const char *fmt, ...)
{
	char *head = NULL, *msg = NULL;
	va_list ap;

	if (!err || !*err)
		return -EIO;
	va_start(ap, fmt);
	if (vasprintf(&head, fmt, ap) < 0)
		head = NULL;
	va_end(ap);
	if (head && asprintf(&msg, "%s: %s", head, (*err)->msg) >= 0) {
		free((*err)->msg);
		(*err)->msg = msg;
	}
	free(head);
	return -(*err)->code;
}

void cell_error_free(cell_error *e)
{
	if (!e)
		return;
	free(e->msg);
	free(e);
}
