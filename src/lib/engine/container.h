/* A container of the engine, as the store keeps it in ROOT/containers/ID/
 * next to its writable layer:
 *   container.json  what it is (Docker's inspect shape: Id, Name, Created,
 *                   Image, Config, HostConfig, Mounts, …), written at create
 *   state.json      what it does now (status, pids, times, exit code,
 *                   restart count), rewritten at every change
 *   exit            written by its monitor when its process exits:
 *                   "GENERATION CODE FINISHED_AT"
 *   config.json     the OCI runtime config (the directory is the bundle)
 *   ctr.log[.N]     its output, in the k8s-file format
 * Every file is replaced atomically (write, fsync, rename). Changes take
 * the container's lock (flock on its directory). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"
#include "engine.h"

#define CTR_ID_LEN 64

enum ctr_status {
	CTR_CREATED,
	CTR_RUNNING,
	CTR_RESTARTING,
	CTR_EXITED,
};

const char *ctr_status_name(enum ctr_status s);

struct ctr {
	char id[CTR_ID_LEN + 1];
	int dirfd;      /* ROOT/containers/ID */
	int parent_fd;  /* ROOT/containers, borrowed from the engine */
	bool locked;    /* the lock on dirfd is ours */
	json_t *record; /* container.json */
	json_t *state;  /* state.json */
	/* What ctr_refresh() derived from the records and the live processes. */
	enum ctr_status status;
	int exit_code;        /* of the last run; -1 when unknown */
	char finished_at[48]; /* "" when it has not finished */
	bool init_alive;      /* the container's process runs */
	bool monitor_alive;   /* its monitor runs */
	bool exit_recorded;   /* the monitor wrote the exit of this run */
	bool durable;         /* records are flushed to disk (not for --rm containers) */
};

void ctr_free(struct ctr *c);
static inline void ctr_freep(struct ctr **c)
{
	ctr_free(*c);
	*c = NULL;
}
#define _cleanup_ctr_ _cleanup_(ctr_freep)

/* A new random ID (64 hex digits). */
int ctr_id_new(char out[CTR_ID_LEN + 1], cell_error **err);

/* Docker's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128 characters. */
bool ctr_name_valid(const char *name);

/* 1 when a container is named name (its ID into id), else 0. */
int ctr_find_name(struct engine *e, const char *name, char id[CTR_ID_LEN + 1]);

/* A free name of the adjective_noun kind. */
int ctr_name_generate(struct engine *e, char **out, cell_error **err);

/* The ID of the container that ref names: a full ID, a name, or a unique
 * prefix of an ID. -ENOENT: "no such container: REF". */
int ctr_resolve(struct engine *e, const char *ref, char id[CTR_ID_LEN + 1], cell_error **err);

/* Open the container ref names; with lock, take its lock (and check it
 * still exists once held). Records are read and the status derived. */
int ctr_open(struct engine *e, const char *ref, bool lock, struct ctr **out, cell_error **err);
int ctr_open_id(struct engine *e, const char *id, bool lock, struct ctr **out, cell_error **err);

/* Every container, newest first (none locked). One that disappears while
 * listed is left out. */
int ctr_list(struct engine *e, struct ctr ***out, size_t *n, cell_error **err);
void ctr_list_free(struct ctr **v, size_t n);

/* Take or drop the container's lock (blocking). */
int ctr_lock(struct ctr *c, cell_error **err);
void ctr_unlock(struct ctr *c);

/* Read the records again and derive the status. */
int ctr_reload(struct ctr *c, cell_error **err);
void ctr_refresh(struct ctr *c);

/* Replace a file of the container's directory (flushed when durable). */
int ctr_write_file(struct ctr *c, const char *name, const char *text, cell_error **err);

/* Replace a file of the container's directory (flushed when durable). */
int ctr_write_file(struct ctr *c, const char *name, const char *text, cell_error **err);

int ctr_save_state(struct ctr *c, cell_error **err);
int ctr_save_record(struct ctr *c, cell_error **err);

/* Lookups in the records. */
const char *ctr_name(const struct ctr *c);
const char *ctr_str(json_t *obj, const char *path); /* "Config.Image", NULL when absent */
int64_t ctr_int(json_t *obj, const char *path, int64_t dflt);
bool ctr_bool(json_t *obj, const char *path);

/* Set a member of state.json. */
void ctr_state_set(struct ctr *c, const char *key, json_t *value);

/* The monitor's exit record of generation gen: 1 when there is one. */
int ctr_read_exit(int dirfd, int64_t gen, int *code, char *finished_at, size_t len);

/* Write a pid and its start time under key (Pid/PidStart, MonitorPid/MonitorStart). */
void ctr_state_set_pid(struct ctr *c, const char *key, pid_t pid);
/* True if the pid recorded under key is still that process (not a zombie). */
bool ctr_pid_alive(const struct ctr *c, const char *key);
