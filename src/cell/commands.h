/* cell's commands: one file per verb, each parsing its own flags, calling
 * libcell and printing. They return the process exit status: 0, or 125 when
 * cell itself failed (Docker's and Podman's convention). */
#pragma once

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "base/json.h"
#include "engine/create.h"
#include "engine/engine.h"
#include "image/store.h"
#include "registry/client.h"
#include "registry/pull.h"

#define EXIT_CELL_FAILED 125

struct global_opts {
	const char *root;
	const char *runroot;
	const char *driver;
	const char *log_level;
};

struct command {
	const char *name;
	const char *args;
	const char *summary;
	int (*run)(const struct global_opts *g, int argc, char **argv);
};

/* Print err once ("cell: …") and return 125. */
int cli_fail(cell_error *err);
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_reset_getopt(void);
void cli_print_help(const char *cmd, const char *args, const char *summary, const char *help);

/* Open the store the global flags select. */
int cli_open_store(const struct global_opts *g, struct image_store **out, cell_error **err);

/* What one of kill, stop, restart, rm does to the container called name. */
typedef int (*cli_container_fn)(struct engine *e, const char *name, void *ctx, cell_error **err);
/* fn on each of names[0..n), Docker's way: the name printed when it worked,
 * the error when not, and on to the next. Returns 0, or the exit status of
 * the last failure. */
int cli_each_container(struct engine *e, char *const *names, size_t n, cli_container_fn fn, void *ctx);

/* Docker's question before a prune: the warning, then "Are you sure ...?"
 * on stderr; true for an answer starting with y or Y. */
bool cli_confirm(const char *warning);

/* -t/--time of stop and restart: seconds before SIGKILL, 0 to a year.
 * Returns 0, or the usage error's exit status (the message is printed). */
int cli_stop_time(const char *cmd, const char *arg, int *out);

/* Open the engine (the store, the run directory, the runtime). */
int cli_open_engine(const struct global_opts *g, struct engine **out, cell_error **err);

/* Print json, or render --format's template for it (one line each). */
int cli_print_formatted(const char *format, json_t *value, cell_error **err);

/* "4.26MB" (decimal units, three significant digits, as Podman shows). */
void cli_human_size(uint64_t bytes, char *buf, size_t len);
/* "3 days ago" from an RFC 3339 time; "" when unknown. */
void cli_human_age(const char *rfc3339, char *buf, size_t len);
/* Seconds since the epoch of an RFC 3339 time, 0 when unknown. */
int64_t cli_parse_time(const char *rfc3339);

/* A command group ("image", "system"): dispatch to its table. */
int cli_dispatch(const char *group, const struct command *table, size_t n, const struct global_opts *g,
		 int argc, char **argv);

int cmd_images(const struct global_opts *g, int argc, char **argv);
int cmd_image(const struct global_opts *g, int argc, char **argv);
int cmd_image_inspect(const struct global_opts *g, int argc, char **argv);
int cmd_image_history(const struct global_opts *g, int argc, char **argv);
int cmd_image_prune(const struct global_opts *g, int argc, char **argv);
int cmd_image_mount(const struct global_opts *g, int argc, char **argv);
int cmd_image_unmount(const struct global_opts *g, int argc, char **argv);
int cmd_tag(const struct global_opts *g, int argc, char **argv);
int cmd_rmi(const struct global_opts *g, int argc, char **argv);
int cmd_load(const struct global_opts *g, int argc, char **argv);
int cmd_save(const struct global_opts *g, int argc, char **argv);
int cmd_import(const struct global_opts *g, int argc, char **argv);
int cmd_system(const struct global_opts *g, int argc, char **argv);
int cmd_system_df(const struct global_opts *g, int argc, char **argv);
int cmd_system_check(const struct global_opts *g, int argc, char **argv);
int cmd_run(const struct global_opts *g, int argc, char **argv);
int cmd_create(const struct global_opts *g, int argc, char **argv);
int cmd_start(const struct global_opts *g, int argc, char **argv);
int cmd_stop(const struct global_opts *g, int argc, char **argv);
int cmd_kill(const struct global_opts *g, int argc, char **argv);
int cmd_restart(const struct global_opts *g, int argc, char **argv);
int cmd_rm(const struct global_opts *g, int argc, char **argv);
int cmd_ps(const struct global_opts *g, int argc, char **argv);
int cmd_logs(const struct global_opts *g, int argc, char **argv);
int cmd_exec(const struct global_opts *g, int argc, char **argv);
int cmd_inspect(const struct global_opts *g, int argc, char **argv);
int cmd_wait(const struct global_opts *g, int argc, char **argv);
int cmd_attach(const struct global_opts *g, int argc, char **argv);
int cmd_top(const struct global_opts *g, int argc, char **argv);
int cmd_stats(const struct global_opts *g, int argc, char **argv);
int cmd_cp(const struct global_opts *g, int argc, char **argv);
int cmd_diff(const struct global_opts *g, int argc, char **argv);
int cmd_commit(const struct global_opts *g, int argc, char **argv);
int cmd_export(const struct global_opts *g, int argc, char **argv);
int cmd_rename(const struct global_opts *g, int argc, char **argv);
int cmd_container(const struct global_opts *g, int argc, char **argv);
int cmd_container_prune(const struct global_opts *g, int argc, char **argv);
int cmd_container_cleanup(const struct global_opts *g, int argc, char **argv);
int cmd_volume(const struct global_opts *g, int argc, char **argv);
int cmd_volume_create(const struct global_opts *g, int argc, char **argv);
int cmd_volume_ls(const struct global_opts *g, int argc, char **argv);
int cmd_volume_inspect(const struct global_opts *g, int argc, char **argv);
int cmd_volume_rm(const struct global_opts *g, int argc, char **argv);
int cmd_volume_prune(const struct global_opts *g, int argc, char **argv);

/* pull, push, login, logout: the registry verbs and what they share. */
int cmd_pull(const struct global_opts *g, int argc, char **argv);
int cmd_push(const struct global_opts *g, int argc, char **argv);
int cmd_login(const struct global_opts *g, int argc, char **argv);
int cmd_logout(const struct global_opts *g, int argc, char **argv);

enum { CLI_OPT_TLS_VERIFY = 1000, CLI_OPT_CERT_DIR, CLI_OPT_AUTHFILE, CLI_OPT_CREDS };
#define CLI_REGISTRY_OPTIONS                                                                                 \
	{"tls-verify", optional_argument, NULL, CLI_OPT_TLS_VERIFY},                                         \
	    {"cert-dir", required_argument, NULL, CLI_OPT_CERT_DIR},                                         \
	    {"authfile", required_argument, NULL, CLI_OPT_AUTHFILE},                                         \
	{                                                                                                    \
		"creds", required_argument, NULL, CLI_OPT_CREDS                                              \
	}
struct cli_registry_flags {
	struct registry_opts registry;
	char *creds; /* --creds, split at its colon */
	size_t creds_len;
};
void cli_registry_flags_clear(struct cli_registry_flags *f);
/* Take one of CLI_REGISTRY_OPTIONS; 0, or the usage error's exit status. */
int cli_registry_flag(const char *cmd, int opt, const char *arg, struct cli_registry_flags *f);
extern const char *const cli_registry_help;
/* "true"/"false" (NULL: true, for --flag without a value). */
int cli_bool_arg(const char *flag, const char *arg, bool *out);

/* Progress of a transfer on stderr (nothing when quiet). Lines are keyed
 * by the blob's place in the image. */
struct progress;
struct progress *progress_new(bool quiet);
void progress_free(struct progress *p);
void progress_text(struct progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void progress_set(struct progress *p, size_t key, const char *digest, const char *state, uint64_t done,
		  uint64_t size, bool bar);
/* Every line in state from (NULL: every line) moves to state to. */
void progress_all(struct progress *p, const char *from, const char *to);
/* A pull's events as Docker shows them; ctx is a struct progress. */
struct pull_event;
void cli_pull_event(void *ctx, const struct pull_event *ev);

/* The flags of run and create (run_options.c). */
struct run_cli {
	struct create_request req;
	bool detach;
	bool sig_proxy;
	char **env, **cap_add, **cap_drop, **security_opts;
	struct opt_security sec;
	struct mount_spec *mounts;
	size_t n_mounts;
	struct opt_ulimit *ulimits;
	size_t n_ulimits;
	json_t *labels;
	/* For an image that has to be pulled first (--pull). */
	struct cli_registry_flags registry;
	struct pull_opts pull_opts;
	struct progress *progress;
	bool quiet;
};
/* Parse; *exit_now >= 0 means: return that (help shown, or a usage error). */
int run_cli_parse(const char *cmd, int argc, char **argv, struct run_cli *c, int *exit_now);
void run_cli_clear(struct run_cli *c);
