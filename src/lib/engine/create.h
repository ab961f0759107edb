/* `cell create` (and the first half of `cell run`): a container from an
 * image and what the user asked for, recorded in the store in one step
 * (its directory appears with its records, or not at all). The OCI config
 * is made at the first start, when the root file system is mounted and the
 * user name can be looked up in the image's /etc/passwd. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "container.h"
#include "engine.h"
#include "mountspec.h"
#include "options.h"
#include "pull_policy.h"

struct create_request {
	const char *image;
	enum pull_policy pull;
	const struct pull_opts *pull_opts; /* for a pull; NULL: the defaults */
	char *const *cmd;                  /* after the image; NULL: the image's */
	const char *entrypoint;            /* --entrypoint; NULL: the image's; "": none */
	const char *name;                  /* NULL: a generated one */
	char *const *env;                  /* KEY=VALUE, in order (-e, --env-file) */
	const char *workdir, *user, *hostname;
	bool tty, interactive, autoremove, read_only, privileged, init;
	bool detach; /* only recorded (Attach* of Docker's Config) */
	struct mount_spec *mounts;
	size_t n_mounts;
	char *const *cap_add, *const *cap_drop; /* canonical names or "ALL" */
	const struct opt_security *security;
	char *const *security_opts; /* as given, for the record */
	struct opt_restart restart;
	const char *stop_signal; /* NULL: the image's, else SIGTERM */
	int stop_timeout;        /* -1: 10 s */
	const struct opt_ulimit *ulimits;
	size_t n_ulimits;
	json_t *labels;      /* object; may be NULL */
	const char *network; /* "none" (default) or "host" */
	int64_t memory, nano_cpus, pids_limit;
	const char *log_driver; /* "k8s-file" (default), "json-file" (the same), "none" */
	int64_t log_max_size;   /* -1: the default */
	int log_max_files;      /* -1: the default */
};

/* Default log limits: 10 MB files, 3 of them. */
#define ENGINE_LOG_MAX_SIZE  (10 * 1024 * 1024)
#define ENGINE_LOG_MAX_FILES 3

int engine_create(struct engine *e, const struct create_request *req, char id[CTR_ID_LEN + 1],
		  cell_error **err);

/* Before a start: write the OCI config, the /etc files and fill new
 * volumes from the image, unless done already. rootfs is mounted. */
int engine_prepare_bundle(struct engine *e, struct ctr *c, const char *rootfs, cell_error **err);
