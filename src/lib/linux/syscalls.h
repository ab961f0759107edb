/* System calls the C library may not wrap. glibc 2.36 declares the mount
 * API (fsopen, fsconfig, fsmount, move_mount, open_tree, mount_setattr) and
 * statx; musl 1.2.3, which the static cellrt is built with, declares
 * neither. Include this header instead of <sys/mount.h> where they are
 * used: with glibc it adds nothing, with musl it takes the constants and
 * structs from the kernel's headers and calls the kernel directly. */
#pragma once

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#ifndef __GLIBC__
#include <linux/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline int fsopen(const char *fs_name, unsigned int flags)
{
	return (int)syscall(SYS_fsopen, fs_name, flags);
}

static inline int fsconfig(int fd, unsigned int cmd, const char *key, const void *value, int aux)
{
	return (int)syscall(SYS_fsconfig, fd, cmd, key, value, aux);
}

static inline int fsmount(int fd, unsigned int flags, unsigned int attr_flags)
{
	return (int)syscall(SYS_fsmount, fd, flags, attr_flags);
}

static inline int move_mount(int from_dfd, const char *from_path, int to_dfd, const char *to_path,
			     unsigned int flags)
{
	return (int)syscall(SYS_move_mount, from_dfd, from_path, to_dfd, to_path, flags);
}

static inline int open_tree(int dfd, const char *path, unsigned int flags)
{
	return (int)syscall(SYS_open_tree, dfd, path, flags);
}

static inline int mount_setattr(int dfd, const char *path, unsigned int flags, struct mount_attr *attr,
				size_t size)
{
	return (int)syscall(SYS_mount_setattr, dfd, path, flags, attr, size);
}

/* musl 1.2.5 and later declare statx themselves (and define STATX_TYPE). */
#ifndef STATX_TYPE
#include <linux/stat.h>
static inline int statx(int dfd, const char *path, int flags, unsigned int mask, struct statx *buf)
{
	return (int)syscall(SYS_statx, dfd, path, flags, mask, buf);
}
#endif
#endif
