/* What `cell` does to containers that exist: stop, kill, remove, wait,
 * rename, prune; and finishing the clean-up that a killed monitor could not
 * do. Each takes the container's lock only while it changes records, never
 * while it waits for a process. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "container.h"
#include "engine.h"

/* The stop signal, then SIGKILL after timeout seconds (timeout < 0: the
 * container's StopTimeout, else 10); returns once it has exited and been
 * cleaned up. A stopped container is not an error. The restart policy does
 * not bring it back. */
int engine_stop(struct engine *e, const char *ref, int timeout, cell_error **err);

/* Send sig to the container's init. -EINVAL when it is not running. */
int engine_kill(struct engine *e, const char *ref, int sig, cell_error **err);

/* Remove a container: its runtime state, writable layer, records, logs;
 * with volumes its anonymous volumes too. A running one only with force
 * (it is killed first). */
int engine_remove(struct engine *e, const char *id, bool force, bool volumes, cell_error **err);

/* Wait until the container is not running; *code is its exit code. */
int engine_wait(struct engine *e, const char *ref, int *code, cell_error **err);

int engine_rename(struct engine *e, const char *ref, const char *name, cell_error **err);

/* Remove every container that does not run (created or exited). */
int engine_prune(struct engine *e, char ***removed, uint64_t *reclaimed, cell_error **err);

/* For a locked container whose process and monitor are both gone while
 * its record says it runs (the monitor was killed): delete the runtime's
 * container, record the exit, unmount. 1 when it did, 0 when nothing was
 * to do. */
int engine_reconcile(struct engine *e, struct ctr *c, cell_error **err);

/* Bytes of the container's writable layer. */
uint64_t engine_rw_size(struct engine *e, const char *id);

/* Wait (up to timeout_ms; -1: for ever) for a change in the container's
 * directory, or for a process recorded there to end. */
void engine_wait_change(struct ctr *c, int timeout_ms);
