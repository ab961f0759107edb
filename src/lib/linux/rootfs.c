#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/path.h"
#include "mounts.h"

static unsigned long propagation_flags(const char *p)
{
	static const struct {
		const char *name;
		unsigned long flags;
	} table[] = {
	    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
	    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
	    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
	    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
	};
	for (size_t i = 0; p && i < ARRAY_SIZE(table); i++)
		if (strcmp(table[i].name, p) == 0)
			return table[i].flags;
	return 0;
}

/* pivot_root refuses a new root whose parent mount is shared; make the mount
 * that holds the root file system private (only that one). */
static int make_parent_mount_private(const char *rootfs, struct init_error *e)
{
	char mp[4096], parent[4096];
	struct statx st;
	if (strlen(rootfs) >= sizeof(mp))
		return init_fail(e, ENAMETOOLONG, "root %s", rootfs);
	if (statx(AT_FDCWD, rootfs, 0, STATX_MNT_ID, &st) < 0)
		return init_fail(e, errno, "root %s", rootfs);
	uint64_t id = st.stx_mnt_id;
	/* Walk up while the parent directory is on the same mount. */
	strcpy(mp, rootfs);
	while (strcmp(mp, "/") != 0) {
		char *slash = strrchr(mp, '/');
		if (!slash)
			break;
		snprintf(parent, sizeof(parent), "%.*s", slash == mp ? 1 : (int)(slash - mp), mp);
		if (statx(AT_FDCWD, parent, 0, STATX_MNT_ID, &st) < 0)
			return init_fail(e, errno, "root %s: parent %s", rootfs, parent);
		if (st.stx_mnt_id != id)
			break;
		strcpy(mp, parent);
	}
	if (mount(NULL, mp, NULL, MS_PRIVATE, NULL) < 0 && errno != EINVAL)
		return init_fail(e, errno, "make %s private", mp);
	return 0;
}

int rootfs_prepare(const struct oci_config *c, const char *rootfs, struct init_error *e)
{
	unsigned long prop = propagation_flags(c->linux_.rootfs_propagation);
	/* Default rslave: host mounts still show up, ours never reach the host. */
	if (mount(NULL, "/", NULL, prop ? prop | MS_REC : MS_SLAVE | MS_REC, NULL) < 0)
		return init_fail(e, errno, "set propagation of /");
	int r = make_parent_mount_private(rootfs, e);
	if (r < 0)
		return r;
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return init_fail(e, errno, "bind root %s", rootfs);
	int fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return init_fail(e, errno, "open root %s", rootfs);
	return fd;
}

int rootfs_pivot(int rootfd, bool no_pivot, struct init_error *e)
{
	if (fchdir(rootfd) < 0)
		return init_fail(e, errno, "enter the root file system");
	if (no_pivot) {
		if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
			return init_fail(e, errno, "move the root file system to /");
		if (chroot(".") < 0)
			return init_fail(e, errno, "chroot");
		if (chdir("/") < 0)
			return init_fail(e, errno, "chdir /");
		return 0;
	}
	/* pivot_root(".", ".") stacks the old root on the new one, at the same
	 * place; unmounting "." then removes the old root (the trick from lxc),
	 * with no directory needed inside the container. Before that, the old
	 * root (and only it: "." would name the new root, whose shared binds
	 * must stay shared) becomes a slave, so that unmounting it never
	 * propagates to the host. */
	_cleanup_close_ int oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (oldroot < 0)
		return init_fail(e, errno, "open the old root");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return init_fail(e, errno, "pivot_root");
	int r = mount_setattr_fd(oldroot, true, 0, 0, MS_SLAVE | MS_REC);
	if (r < 0)
		return init_fail(e, r, "detach the old root from the host's propagation");
	if (umount2(".", MNT_DETACH) < 0)
		return init_fail(e, errno, "unmount the old root");
	if (chdir("/") < 0)
		return init_fail(e, errno, "chdir /");
	return 0;
}

/* /dev/null, verified to be the real null device, as a detached mount. */
static int open_devnull_tree(struct init_error *e)
{
	_cleanup_close_ int fd = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return init_fail(e, errno, "maskedPaths: open /dev/null");
	struct stat st;
	if (fstat(fd, &st) < 0)
		return init_fail(e, errno, "maskedPaths: check /dev/null");
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		return init_fail(e, EPERM, "maskedPaths: /dev/null is not the null device");
	return TAKE_FD(fd);
}

static int mask_path(int rootfd, const char *path, struct init_error *e)
{
	_cleanup_close_ int target =
	    path_open_in_root(rootfd, path, O_PATH | O_NOFOLLOW, PATH_CREATE_NONE, 0);
	if (target == -ENOENT || target == -ENOTDIR)
		return 0;
	if (target < 0)
		return init_fail(e, target, "linux.maskedPaths: %s", path);
	struct stat st;
	if (fstat(target, &st) < 0)
		return init_fail(e, errno, "linux.maskedPaths: %s", path);
	if (S_ISLNK(st.st_mode))
		return 0; /* masking the link would mask whatever it points at */
	if (S_ISDIR(st.st_mode))
		return mount_fs_at("tmpfs", "tmpfs",
				   MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
				       MOUNT_ATTR_NOEXEC,
				   "size=0k", target, path, e);
	_cleanup_close_ int null = open_devnull_tree(e);
	if (null < 0)
		return null;
	return mount_bind_at(null, "", target, false, 0, path, e);
}

static int readonly_path(int rootfd, const char *path, struct init_error *e)
{
	_cleanup_close_ int target = path_open_in_root(rootfd, path, O_PATH, PATH_CREATE_NONE, 0);
	if (target == -ENOENT || target == -ENOTDIR)
		return 0;
	if (target < 0)
		return init_fail(e, target, "linux.readonlyPaths: %s", path);
	int r = mount_bind_at(target, "", target, true, 0, path, e);
	if (r < 0)
		return r;
	_cleanup_close_ int top = path_open_in_root(rootfd, path, O_PATH, PATH_CREATE_NONE, 0);
	r = top < 0 ? top : mount_setattr_fd(top, true, MOUNT_ATTR_RDONLY, 0, 0);
	if (r < 0)
		return init_fail(e, r, "linux.readonlyPaths: make %s read-only", path);
	return 0;
}

int rootfs_finish(const struct oci_config *c, struct init_error *e)
{
	unsigned long prop = propagation_flags(c->linux_.rootfs_propagation);
	if (prop && mount(NULL, "/", NULL, prop, NULL) < 0)
		return init_fail(e, errno, "linux.rootfsPropagation: set %s on /",
				 c->linux_.rootfs_propagation);
	_cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return init_fail(e, errno, "open /");
	int r;
	for (size_t i = 0; c->linux_.readonly_paths[i]; i++)
		if ((r = readonly_path(rootfd, c->linux_.readonly_paths[i], e)) < 0)
			return r;
	for (size_t i = 0; c->linux_.masked_paths[i]; i++)
		if ((r = mask_path(rootfd, c->linux_.masked_paths[i], e)) < 0)
			return r;
	return 0;
}

int rootfs_make_readonly(const struct oci_config *c, struct init_error *e)
{
	if (!c->root_readonly)
		return 0;
	_cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r = rootfd < 0 ? -errno : mount_setattr_fd(rootfd, false, MOUNT_ATTR_RDONLY, 0, 0);
	if (r < 0)
		return init_fail(e, r, "root.readonly: remount / read-only");
	return 0;
}
