/* The engine: one store (images, layers, containers, volumes under ROOT),
 * one run directory (RUNROOT: the runtime's state, attach sockets), and
 * libcell's runtime called in-process. Every `cell` command opens one. */
#pragma once

#include <stdbool.h>

#include "base/error.h"
#include "image/store.h"
#include "runtime/create.h"

struct engine_options {
	const char *root;      /* NULL: the default store */
	const char *runroot;   /* NULL: the default run directory */
	const char *driver;    /* NULL: the store's */
	const char *log_level; /* passed on to what the monitor runs; NULL: "warn" */
};

struct engine {
	struct image_store *store;
	int containers_fd;  /* ROOT/containers */
	int volumes_fd;     /* ROOT/volumes */
	int run_fd;         /* RUNROOT/containers */
	char *runtime_root; /* RUNROOT/runtime: the runtime's state directories */
	struct runtime_opts rt;
	char *log_level;
	char *self; /* this program, which the monitor runs for the clean-up */
};

int engine_open(const struct engine_options *o, struct engine **out, cell_error **err);
void engine_free(struct engine *e);
static inline void engine_freep(struct engine **e)
{
	engine_free(*e);
	*e = NULL;
}
#define _cleanup_engine_ _cleanup_(engine_freep)

/* The store lock (image_store_lock). */
int engine_lock(struct engine *e, bool exclusive, cell_error **err);
void engine_unlock(struct engine *e);

/* Where a helper program of ours is: next to this program (a build tree),
 * else the installed libexec directory. A new string; NULL when missing. */
char *engine_helper_path(const char *name);

/* ROOT/containers/ID and RUNROOT/containers/ID as paths (new strings). */
char *engine_container_path(const struct engine *e, const char *id);
char *engine_container_run_path(const struct engine *e, const char *id);

/* Open (creating with create) RUNROOT/containers/ID. */
int engine_container_run_dir(struct engine *e, const char *id, bool create, cell_error **err);
