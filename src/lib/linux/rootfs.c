#include "rootfs.h"

#include "syscalls.h"
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* /dev/null at path, checked to be the null device, as an O_PATH fd. */
static int open_checked_null(const char *path, const char *whose, struct init_error *e)
{
	_cleanup_close_ int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return init_fail(e, errno, "linux.maskedPaths: open %s /dev/null", whose);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return init_fail(e, errno, "linux.maskedPaths: check %s /dev/null", whose);
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		return init_fail(e, EPERM, "linux.maskedPaths: %s /dev/null is not the null device", whose);
	return TAKE_FD(fd);
}

int rootfs_prepare_null(const struct oci_config *c, struct null_mounts *out, struct init_error *e)
{
	*out = (struct null_mounts){.fd = -1};
	if (!c->linux_.masked_paths[0] || !mount_have_new_api())
		return 0;
	_cleanup_close_ int null = open_checked_null("/dev/null", "the host's", e);
	if (null < 0)
		return null;
	out->fd = (int)syscall(SYS_open_tree, null, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (out->fd < 0)
		return init_fail(e, errno, "linux.maskedPaths: copy the host's /dev/null");
	return 0;
}

void rootfs_release_null(struct null_mounts *m)
{
	if (m->fd >= 0)
		close(m->fd);
	*m = (struct null_mounts){.fd = -1};
}

/* Masked paths are resolved inside the root, symlinks included (a masked
 * name that is a symlink masks what it names, rather than being skipped and
 * leaving that readable); the mask goes onto the fd we resolved, so a rename
 * or symlink swap after the lookup cannot move it elsewhere. */
static int mask_path(int rootfd, struct null_mounts *nulls, const char *path, struct init_error *e)
{
	_cleanup_close_ int target = path_open_in_root(rootfd, path, O_PATH, PATH_CREATE_NONE, 0);
	if (target == -ENOENT || target == -ENOTDIR)
		return 0; /* nothing there to hide */
	if (target < 0)
		return init_fail(e, target, "linux.maskedPaths: %s", path);
	struct stat st;
	if (fstat(target, &st) < 0)
		return init_fail(e, errno, "linux.maskedPaths: %s", path);
	if (S_ISDIR(st.st_mode))
		return mount_fs_at("tmpfs", "tmpfs",
				   MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
				       MOUNT_ATTR_NOEXEC,
				   "size=0k", target, path, e);
	/* A copy of the host's null device made before the pivot; never the
	 * container's /dev/null unchecked, which the container's files decide
	 * (CVE-2025-31133: a symlink there would bind its target instead). */
	if (nulls->fd >= 0 && !nulls->attached) {
		if (move_mount(nulls->fd, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
		    0)
			return init_fail(e, errno, "linux.maskedPaths: mask %s", path);
		nulls->attached = true;
		return 0;
	}
	if (nulls->fd >= 0) {
		_cleanup_close_ int tree = (int)syscall(SYS_open_tree, nulls->fd, "",
							OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
		if (tree < 0)
			return init_fail(e, errno, "linux.maskedPaths: copy the null device for %s", path);
		if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			return init_fail(e, errno, "linux.maskedPaths: mask %s", path);
		return 0;
	}
	_cleanup_close_ int null = open_checked_null("/dev/null", "the container's", e);
	if (null < 0)
		return null;
	return mount_bind_at(null, "", target, false, 0, path, e);
}

/* A read-only copy of the tree at path, attached onto the fd we resolved:
 * with the new mount API the copy is made read-only, recursively, before it
 * is visible anywhere. */
static int readonly_path(int rootfd, const char *path, struct init_error *e)
{
	_cleanup_close_ int target = path_open_in_root(rootfd, path, O_PATH, PATH_CREATE_NONE, 0);
	if (target == -ENOENT || target == -ENOTDIR)
		return 0;
	if (target < 0)
		return init_fail(e, target, "linux.readonlyPaths: %s", path);
	int r;
	if (mount_have_new_api()) {
		_cleanup_close_ int tree =
		    (int)syscall(SYS_open_tree, target, "",
				 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
		if (tree < 0)
			return init_fail(e, errno, "linux.readonlyPaths: copy %s", path);
		if ((r = mount_setattr_fd(tree, true, MOUNT_ATTR_RDONLY, 0, 0)) < 0)
			return init_fail(e, r, "linux.readonlyPaths: make %s read-only", path);
		if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			return init_fail(e, errno, "linux.readonlyPaths: attach %s", path);
		return 0;
	}
	if ((r = mount_bind_at(target, "", target, true, 0, path, e)) < 0)
		return r;
	_cleanup_close_ int top = path_open_in_root(rootfd, path, O_PATH, PATH_CREATE_NONE, 0);
	r = top < 0 ? top : mount_setattr_fd(top, true, MOUNT_ATTR_RDONLY, 0, 0);
	if (r < 0)
		return init_fail(e, r, "linux.readonlyPaths: make %s read-only", path);
	return 0;
}

int rootfs_finish(const struct oci_config *c, struct null_mounts *nulls, struct init_error *e)
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
		if ((r = mask_path(rootfd, nulls, c->linux_.masked_paths[i], e)) < 0)
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
