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

/* The host's null device for the masked files. */
struct null_mounts {
	int fd;        /* an open_tree clone; -1: none (old mount API) */
	bool attached; /* fd is mounted over a masked file, so it is cloned from */
};

/* Before the pivot: one detached copy of the host's /dev/null (checked to be
 * the null device) when there are masked paths. The first masked file gets
 * it; the others get clones of that mount, made after the pivot from an
 * attached mount (a detached one cannot be cloned once the old root is gone).
 * One copy instead of one per path: every detached mount closed unused costs
 * the kernel an RCU grace period. Without the new mount API there is none,
 * and masked files get the container's /dev/null after the same check.
 * Release with rootfs_release_null(). */
int rootfs_prepare_null(const struct oci_config *c, struct null_mounts *out, struct init_error *e);
void rootfs_release_null(struct null_mounts *m);

/* After the pivot: rootfsPropagation, readonlyPaths, maskedPaths (files get
 * a null device bound over them, directories an empty read-only tmpfs). */
int rootfs_finish(const struct oci_config *c, struct null_mounts *nulls, struct init_error *e);

/* Last: remount "/" read-only when root.readonly asks. */
int rootfs_make_readonly(const struct oci_config *c, struct init_error *e);
