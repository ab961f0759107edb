/* The runtime's state directory: ROOT/ID/ holds `status` (our record of the
 * container: pid and its start time, bundle, cgroup, …), `config.json` (the
 * config as it was at create time), and `exec.fifo` while the container is
 * created but not started. Commands on one container take a lock on its
 * directory, so that concurrent callers are serialised. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "base/error.h"
#include "cgroup/cgroup.h"

enum container_status {
	CONTAINER_CREATING,
	CONTAINER_CREATED,
	CONTAINER_RUNNING,
	CONTAINER_PAUSED,
	CONTAINER_STOPPED,
};

const char *container_status_name(enum container_status s);

struct container {
	char *id;
	int dirfd;      /* ROOT/ID, locked */
	json_t *record; /* the status file; NULL while creating */
	pid_t pid;
	unsigned long long start_time;
	const char *bundle; /* borrowed from record */
	const char *rootfs;
	const char *created;
	struct cgroup *cgroup; /* NULL when cgroups were disabled */
	bool new_pid_ns;       /* killing the init ends every process */
	enum container_status status;
};

/* Ids as runc accepts them: letters, digits, '_', '+', '-', '.', not "." or "..". */
int container_id_check(const char *id, cell_error **err);

/* Open (mkdir -p when create) the state root. */
int state_root_open(const char *root, bool create, int *out, cell_error **err);

enum lock_mode { LOCK_SHARED, LOCK_EXCLUSIVE };

/* Open container id under root, lock it and load its record; -ENOENT with a
 * message "container ID does not exist" when there is none. */
int container_open(const char *root, const char *id, enum lock_mode lock, struct container **out,
		   cell_error **err);

/* Recompute status from the record and the live process. */
void container_refresh_status(struct container *c);

/* The OCI state document (with runc's extra fields), for `state`, `list`
 * and hooks. */
json_t *container_oci_state(const struct container *c);

/* Write the record atomically. */
int container_save(struct container *c, cell_error **err);

/* Remove the state directory (the container is gone). */
int container_remove_dir(const char *root, const char *id, cell_error **err);

void container_free(struct container *c);
static inline void container_freep(struct container **c)
{
	container_free(*c);
	*c = NULL;
}
#define _cleanup_container_ _cleanup_(container_freep)

/* Ids of every container under root, sorted. */
int container_list_ids(const char *root, char ***out, cell_error **err);
