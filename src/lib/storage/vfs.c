/* The vfs driver: every layer is a full tree (a copy of its parent with its
 * own changes applied, whiteouts as deletions), and a container's root is a
 * full copy of its image's top layer. Slow and large, and works on any file
 * system and without privileges. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "driver.h"
#include "tree.h"

static int vfs_probe(struct storage *s, cell_error **err)
{
	return 0;
}

static int vfs_prepare_layer(struct storage *s, int parent_diff_fd, int diff_fd, cell_error **err)
{
	if (parent_diff_fd < 0)
		return 0;
	return tree_copy(parent_diff_fd, diff_fd, "copy of the parent layer", err);
}

static int vfs_create_rw(struct storage *s, int top_diff_fd, int cdir_fd, cell_error **err)
{
	if (mkdirat(cdir_fd, "rootfs", 0755) < 0)
		return cell_error_errno(err, errno, "create rootfs");
	if (top_diff_fd < 0)
		return 0;
	_cleanup_close_ int rfd = openat(cdir_fd, "rootfs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rfd < 0)
		return cell_error_errno(err, errno, "open rootfs");
	return tree_copy(top_diff_fd, rfd, "copy of the image", err);
}

const struct storage_driver storage_driver_vfs = {
    .name = "vfs",
    .whiteouts = WHITEOUT_DELETE,
    .independent_layers = false,
    .probe = vfs_probe,
    .prepare_layer = vfs_prepare_layer,
    .create_rw = vfs_create_rw,
    .mount = NULL,
    .rootfs_name = "rootfs",
};
