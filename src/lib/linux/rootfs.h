/* The container's root file system: made a mount point in the new mount
 * namespace, pivoted into (or chrooted with --no-pivot, the classic jail that
 * a process with CAP_SYS_CHROOT can leave), then finished: propagation,
 * masked and read-only paths, a read-only root. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "spec/config.h"
#include "sync.h"

/* Before the mounts: set "/" to the configured propagation (rslave by
 * default) so nothing leaks to the host, and bind the root file system onto
 * itself. Returns an O_PATH fd of it. */
int rootfs_prepare(const struct oci_config *c, const char *rootfs, struct init_error *e);

/* Make rootfd the root of the mount namespace (pivot_root, or MS_MOVE and
 * chroot when no_pivot) and detach the old root. The cwd ends at "/". */
int rootfs_pivot(int rootfd, bool no_pivot, struct init_error *e);

/* Copies of the host's null device for the masked files. */
struct null_mounts {
	int *fds; /* detached mounts (open_tree clones) */
	size_t n, used;
};

/* Before the pivot: one detached copy of the host's /dev/null (checked to be
 * the null device) per masked path. Without the new mount API there are
 * none, and masked files get the container's /dev/null after the same check.
 * Release with rootfs_release_null(). */
int rootfs_prepare_null(const struct oci_config *c, struct null_mounts *out, struct init_error *e);
void rootfs_release_null(struct null_mounts *m);

/* After the pivot: rootfsPropagation, readonlyPaths, maskedPaths (files get
 * a null device bound over them, directories an empty read-only tmpfs). */
int rootfs_finish(const struct oci_config *c, struct null_mounts *nulls, struct init_error *e);

/* Last: remount "/" read-only when root.readonly asks. */
int rootfs_make_readonly(const struct oci_config *c, struct init_error *e);
