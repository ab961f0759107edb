/* cellrt's commands: one file per verb, each parsing its own flags, calling
 * libcell and printing. They return the process exit status. */
#pragma once

#include <getopt.h>
#include <stdbool.h>

#include "base/error.h"
#include "runtime/create.h"

struct command {
	const char *name;
	const char *args; /* "CONTAINER_ID", shown in usage */
	const char *summary;
	int (*run)(const struct runtime_opts *g, int argc, char **argv);
};

/* Print err once, prefixed with the program name, and return 1. */
int cli_fail(cell_error *err);

/* Print a usage error ("cellrt create: ...") and return 1. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parse a non-negative integer flag value; false when it is not one. */
bool cli_parse_int(const char *s, int max, int *out);

/* Reset getopt for a command's own flags (argv[0] is the command name). */
void cli_reset_getopt(void);

/* Print the usage of a command, its flags described by help. */
void cli_print_help(const char *cmd, const char *args, const char *summary, const char *help);

int cmd_spec(const struct runtime_opts *g, int argc, char **argv);
int cmd_checkpoint(const struct runtime_opts *g, int argc, char **argv);
int cmd_create(const struct runtime_opts *g, int argc, char **argv);
int cmd_restore(const struct runtime_opts *g, int argc, char **argv);
int cmd_run(const struct runtime_opts *g, int argc, char **argv);
int cmd_start(const struct runtime_opts *g, int argc, char **argv);
int cmd_state(const struct runtime_opts *g, int argc, char **argv);
int cmd_list(const struct runtime_opts *g, int argc, char **argv);
int cmd_kill(const struct runtime_opts *g, int argc, char **argv);
int cmd_delete(const struct runtime_opts *g, int argc, char **argv);
int cmd_pause(const struct runtime_opts *g, int argc, char **argv);
int cmd_resume(const struct runtime_opts *g, int argc, char **argv);
int cmd_update(const struct runtime_opts *g, int argc, char **argv);
int cmd_events(const struct runtime_opts *g, int argc, char **argv);
int cmd_ps(const struct runtime_opts *g, int argc, char **argv);
int cmd_exec(const struct runtime_opts *g, int argc, char **argv);
int cmd_features(const struct runtime_opts *g, int argc, char **argv);
