#include "procfs.h"

#include "syscalls.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/path.h"
#include "mounts.h"

#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif
#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif
#define PROC_ROOT_INO 1

static int check_is_procfs(int fd)
{
	struct statfs sfs;
	if (fstatfs(fd, &sfs) < 0)
		return -errno;
	return sfs.f_type == PROC_SUPER_MAGIC ? 0 : -EXDEV;
}

int procfs_open_private(void)
{
	if (!mount_have_new_api())
		return -ENOSYS;
	_cleanup_close_ int fs = fsopen("proc", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	_cleanup_close_ int mnt =
	    fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (mnt < 0)
		return -errno;
	int r = check_is_procfs(mnt);
	if (r < 0)
		return r;
	return TAKE_FD(mnt);
}

int procfs_open_mounted(void)
{
	_cleanup_close_ int fd = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = check_is_procfs(fd);
	if (r < 0)
		return r;
	/* The top of a procfs mount, not one of its directories bound here. */
	struct statx stx;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_INO, &stx) < 0)
		return -errno;
	if (stx.stx_ino != PROC_ROOT_INO || ((stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
					     !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT)))
		return -EXDEV;
	return TAKE_FD(fd);
}

static int mount_id_of(int dirfd, const char *name, uint64_t *out)
{
	struct statx stx;
	if (statx(dirfd, name, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID | STATX_TYPE, &stx) < 0)
		return -errno;
	if (!(stx.stx_mask & STATX_MNT_ID))
		return -EOPNOTSUPP;
	if (S_ISLNK(stx.stx_mode))
		return -ELOOP;
	*out = stx.stx_mnt_id;
	return 0;
}

/* Without openat2: one component at a time, none of them a symlink, all of
 * them on the mount of procfd. */
static int walk_open(int procfd, const char *path, int flags)
{
	uint64_t root_id, id;
	int r = mount_id_of(procfd, "", &root_id);
	if (r < 0)
		return r;
	char buf[PATH_MAX];
	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	_cleanup_close_ int dir = fcntl(procfd, F_DUPFD_CLOEXEC, 3);
	if (dir < 0)
		return -errno;
	char *save = NULL;
	char *comp = strtok_r(buf, "/", &save);
	while (comp) {
		char *next = strtok_r(NULL, "/", &save);
		if (strcmp(comp, "..") == 0 || strcmp(comp, ".") == 0)
			return -EXDEV;
		if ((r = mount_id_of(dir, comp, &id)) < 0)
			return r;
		if (id != root_id)
			return -EXDEV;
		int fd = openat(dir, comp, (next ? O_PATH | O_DIRECTORY : flags) | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		close(dir);
		dir = fd;
		comp = next;
	}
	/* Checked again on the fd: the name may have been covered meanwhile. */
	if ((r = mount_id_of(dir, "", &id)) < 0)
		return r;
	if (id != root_id)
		return -EXDEV;
	return TAKE_FD(dir);
}

int procfs_open_at(int procfd, const char *path, int flags)
{
	int fd;
	if (path_have_openat2()) {
		struct open_how how = {
		    .flags = (unsigned long long)(flags | O_CLOEXEC),
		    .resolve =
			RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
		};
		do
			fd = (int)syscall(SYS_openat2, procfd, path, &how, sizeof(how));
		while (fd < 0 && (errno == EAGAIN || errno == EINTR));
		if (fd < 0 && errno != ENOSYS)
			return -errno;
		if (fd < 0)
			fd = walk_open(procfd, path, flags);
	} else {
		fd = walk_open(procfd, path, flags);
	}
	if (fd < 0)
		return fd;
	int r = check_is_procfs(fd);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int procfs_write(int procfd, const char *path, const char *value)
{
	_cleanup_close_ int fd = procfs_open_at(procfd, path, O_WRONLY);
	if (fd < 0)
		return fd;
	size_t len = strlen(value);
	ssize_t n;
	do
		n = write(fd, value, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}
