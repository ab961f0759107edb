/* checkpoint and restore through the criu binary: a running container is
 * dumped to image files (its process tree, memory, namespaces, mounts and
 * cgroups), killed or left running, and later restored from them, on this
 * host or another, under its old id or a new one. The container's mounts
 * that come from the host (bind mounts, masked files, the cgroup binds, the
 * device binds of a user namespace) and namespaces it joined by path are
 * described to criu as external, so that restore rebuilds them from the new
 * bundle and cgroup. Before anything, `criu check` must pass; where it does
 * not, both commands fail with criu's own reason. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "base/error.h"
#include "cgroup/cgroup.h"
#include "create.h"
#include "spec/config.h"

struct checkpoint_opts {
	const char *id;
	const char *image_path;  /* --image-path; NULL: ./checkpoint, as runc */
	const char *work_path;   /* --work-path (criu's logs); NULL: the image path */
	const char *parent_path; /* --parent-path: an earlier pre-dump, relative to the image path */
	bool leave_running, tcp_established, ext_unix_sk, shell_job, file_locks, pre_dump;
	const char *manage_cgroups_mode; /* soft (default), full, strict, ignore */
};

/* Dump container id; unless leave_running or pre_dump, the container is then
 * gone (as after delete). */
int runtime_checkpoint(const struct runtime_opts *g, const struct checkpoint_opts *o, cell_error **err);

struct restore_opts {
	const char *image_path; /* NULL: ./checkpoint */
	const char *work_path;
	bool tcp_established, ext_unix_sk, shell_job, file_locks;
	const char *manage_cgroups_mode;
};

/* Restore container o->id from its images with the bundle's config (create's
 * options say which), detached or waited for like run. */
int runtime_restore(const struct runtime_opts *g, const struct create_opts *o, const struct restore_opts *r,
		    bool detach, int *exit_status, cell_error **err);

/* What create has set up when it hands over to criu instead of cloning an
 * init: the container's config, bundle and root, its state directory, its
 * cgroup (NULL when it has none). */
struct restore_target {
	const char *id;
	const struct oci_config *config;
	const char *bundle;
	const char *rootfs;
	int state_dirfd;
	const struct cgroup *cgroup;
};

/* Called by create: run `criu restore` for t; *pid is the restored init, a
 * child of ours (we are a subreaper while criu runs). */
int criu_restore(const struct runtime_opts *g, const struct restore_opts *r, const struct restore_target *t,
		 pid_t *pid, cell_error **err);
