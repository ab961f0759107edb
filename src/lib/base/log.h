/* Logging for the CLIs and the library. Messages go to stderr as text, or, once
 * a log file is set (runc's --log), to that file as text or in runc's JSON lines
 * format ({"level":…,"msg":…,"time":…}), which engines such as containerd parse. */
#pragma once

#include <stdbool.h>

enum cell_log_level {
	CELL_LOG_ERROR = 0,
	CELL_LOG_WARNING = 1,
	CELL_LOG_INFO = 2,
	CELL_LOG_DEBUG = 3,
};

/* The program name printed before text messages on stderr. */
void cell_log_set_program(const char *name);

/* Messages above this level are dropped before they are formatted. */
void cell_log_set_level(enum cell_log_level level);
enum cell_log_level cell_log_get_level(void);

/* Direct messages to a file (opened for append, created 0600), in JSON lines
 * format when json is true. Returns 0 or a negative errno. */
int cell_log_set_file(const char *path, bool json);

/* Switch the format without changing the destination. */
void cell_log_set_json(bool json);

/* Move the log file's fd to min or above (so that it cannot land among the
 * fds a container inherits). Returns 0 or a negative errno. */
int cell_log_move_fd_above(int min);

/* True when messages go to a file rather than stderr. */
bool cell_log_to_file(void);

void cell_log(enum cell_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...)   cell_log(CELL_LOG_ERROR, __VA_ARGS__)
#define log_warning(...) cell_log(CELL_LOG_WARNING, __VA_ARGS__)
#define log_info(...)    cell_log(CELL_LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                                                                       \
	do {                                                                                                 \
		if (cell_log_get_level() >= CELL_LOG_DEBUG)                                                  \
			cell_log(CELL_LOG_DEBUG, __VA_ARGS__);                                               \
	} while (0)
