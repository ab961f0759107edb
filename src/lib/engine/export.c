#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "commit.h"
#include "container.h"
#include "tarball.h"

int engine_export(struct engine *e, const char *ref, int fd, cell_error **err)
{
	_cleanup_ctr_ struct ctr *c = NULL;
	int r = ctr_open(e, ref, false, &c, err);
	if (r < 0)
		return r;
	/* A stopped container's root is mounted for the export only, and no
	 * start may come in between. */
	bool running = c->status == CTR_RUNNING || c->status == CTR_RESTARTING;
	if (!running && (r = ctr_lock(c, err)) < 0)
		return r;
	_cleanup_free_ char *rootfs = NULL;
	_cleanup_close_ int rootfd = -EBADF;
	struct tar_writer *w = NULL;
	if ((r = storage_container_mount(e->store->storage, c->id, &rootfs, err)) == 0 &&
	    (rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		r = cell_error_errno(err, errno, "open %s", rootfs);
	if (r == 0)
		r = tar_writer_open_fd(fd, &w, err);
	if (r == 0)
		r = tar_add_tree(w, rootfd, "", err);
	if (r == 0)
		r = tar_writer_close(w, err);
	tar_writer_free(w);
	if (rootfd >= 0)
		close(TAKE_FD(rootfd));
	if (!running) {
		cell_error *ue = NULL;
		storage_container_unmount(e->store->storage, c->id, &ue);
		cell_error_free(ue);
	}
	return r < 0 ? cell_error_prefix(err, "export %s", ref) : 0;
}
