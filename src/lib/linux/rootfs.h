/* The container's root file system: made a mount point in the new mount
 * namespace, pivoted into (or chrooted with --no-pivot, the classic jail that
 * a process with CAP_SYS_CHROOT can leave), then finished: propagation,
 * masked and read-only paths, a read-only root. */
#pragma once

#include <stdbool.h>

#include "spec/config.h"
#include "sync.h"

/* Before the mounts: set "/" to the configured propagation (rslave by
 * default) so nothing leaks to the host, and bind the root file system onto
 * itself. Returns an O_PATH fd of it. */
int rootfs_prepare(const struct oci_config *c, const char *rootfs, struct init_error *e);

/* Make rootfd the root of the mount namespace (pivot_root, or MS_MOVE and
 * chroot when no_pivot) and detach the old root. The cwd ends at "/". */
int rootfs_pivot(int rootfd, bool no_pivot, struct init_error *e);

/* After the pivot: rootfsPropagation, maskedPaths, readonlyPaths. */
int rootfs_finish(const struct oci_config *c, struct init_error *e);

/* Last: remount "/" read-only when root.readonly asks. */
int rootfs_make_readonly(const struct oci_config *c, struct init_error *e);
