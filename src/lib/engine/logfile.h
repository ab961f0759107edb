/* A container's log in the k8s-file format (what Podman's conmon and the
 * kubelet write): one record a line,
 *     2024-05-01T10:00:00.123456789Z stdout F the text
 * with "F" for a full line and "P" for a piece of one whose rest follows
 * (output without a newline yet). Files rotate by size: ctr.log is
 * renamed to ctr.log.1 (and .1 to .2, …) when the next record would take
 * it past the limit, and the oldest beyond the count is dropped; with a
 * count of 1 the file is cut back to empty instead.
 *
 * Only the C library is used here: the monitor links this file alone. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOG_FILE_NAME "ctr.log"

enum log_stream {
	LOG_STDOUT = 1,
	LOG_STDERR = 2,
};

struct log_writer {
	int dirfd; /* borrowed: the directory of the log files */
	int fd;
	uint64_t size;
	uint64_t max_size; /* 0: never rotate */
	int max_files;     /* files kept, the current one included (>= 1) */
};

/* Open (append to) dirfd/ctr.log. Returns 0 or a negative errno. */
int log_writer_open(struct log_writer *w, int dirfd, uint64_t max_size, int max_files);

/* Record buf (any bytes, as the container wrote them) as lines of stream,
 * all stamped with now. Returns 0 or a negative errno. */
int log_writer_write(struct log_writer *w, enum log_stream stream, const char *buf, size_t len);

void log_writer_close(struct log_writer *w);

/* The name of rotated file n (0: the current one) into buf. */
void log_file_name(int n, char *buf, size_t len);

struct log_record {
	int64_t time_ns;  /* since the epoch */
	const char *time; /* the timestamp as written (not NUL-terminated) */
	size_t time_len;
	enum log_stream stream;
	bool partial;    /* "P": the line continues in the next record */
	const char *msg; /* the content, without the newline */
	size_t msg_len;
};

/* Parse one record line (without its newline). Returns 0, or -EINVAL for a
 * line that is not a record. Pointers point into line. */
int log_record_parse(const char *line, size_t len, struct log_record *out);
