/* The OCI operations on an existing container: start, kill, delete, state,
 * and the listing of all containers. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"
#include "create.h"
#include "spec/config.h"
#include "state.h"

/* start: only from "created"; runs poststart hooks after the process starts. */
int runtime_start(const struct runtime_opts *g, const char *id, cell_error **err);

/* kill: the init, or with all every process of the container. */
int runtime_kill(const struct runtime_opts *g, const char *id, int sig, bool all, cell_error **err);

/* delete: a stopped or created container; a running one only with force. A
 * missing container is an error unless force. */
int runtime_delete(const struct runtime_opts *g, const char *id, bool force, cell_error **err);

/* The OCI state of id (with runc's extra fields). */
int runtime_state(const struct runtime_opts *g, const char *id, json_t **out, cell_error **err);

/* The states of every container under the root, as an array. */
int runtime_list(const struct runtime_opts *g, json_t **out, cell_error **err);

/* Shared by delete and run: make sure nothing of c still runs, remove its
 * cgroup, run the poststop hooks, remove its state. config is the
 * container's config when the caller has it (run does), else NULL: it is
 * read from the state directory. */
int container_destroy(const struct runtime_opts *g, struct container *c, const struct oci_config *config,
		      cell_error **err);

/* The config that c was created with (from its state directory). */
int container_load_config(const struct container *c, struct oci_config **out, cell_error **err);

/* Run the poststart hooks; failures only warn, as the spec says. */
void container_run_poststart(const struct container *c, const struct oci_config *config);
