/* Safe resolution of paths inside a directory tree that we do not trust (a
 * container root filesystem, an image layer): a path is always resolved as if
 * the tree were "/", so ".." and absolute symlinks stay inside it. openat2()
 * with RESOLVE_IN_ROOT does this in the kernel; where the kernel lacks it, a
 * component-by-component walk with O_NOFOLLOW does, and its result is checked
 * through /proc/self/fd. Never a string join followed by open(). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* What path_open_in_root() may create when a component is missing. */
enum path_create {
	PATH_CREATE_NONE = 0,
	PATH_CREATE_DIRS = 1, /* missing directories on the way, the last one included */
	PATH_CREATE_FILE = 2, /* missing directories on the way, the last one as an empty file */
};

/* Open path (absolute or relative, both taken from the tree's top) inside the
 * tree rootfd with open_flags (O_CLOEXEC is always added). Symlinks are
 * followed inside the tree, magic links (/proc/self/fd/N) are refused.
 * With create, missing components are made with mode (subject to umask),
 * following dangling symlinks to create their targets inside the tree.
 * Returns a new fd or a negative errno. */
int path_open_in_root(int rootfd, const char *path, int open_flags, enum path_create create, mode_t mode);

/* True if the kernel has openat2(); false after the first ENOSYS, or when the
 * environment variable CELL_NO_OPENAT2 is set (tests of the fallback). */
bool path_have_openat2(void);

/* Writes into buf the path that the kernel records for fd ("/proc/self/fd/N").
 * Returns 0 or a negative errno. */
int path_of_fd(int fd, char *buf, size_t len);

/* Normalise a path lexically: collapse "//" and "/./", drop a trailing "/".
 * ".." is kept. Returns a new string or NULL on allocation failure. */
char *path_normalize(const char *path);

/* Create a directory and its parents on the host (mkdir -p). Returns 0 or a
 * negative errno; an existing directory is not an error. */
int mkdir_parents(const char *path, mode_t mode);

/* Open path below dirfd for the store's own trees (image layers being
 * unpacked, the store's records): no symlink is followed anywhere, neither
 * ".." nor an absolute path may leave dirfd, and no mount is crossed:
 * openat2() with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS
 * | RESOLVE_NO_XDEV, or else a component walk with O_NOFOLLOW. A symlink on
 * the way gives -ELOOP (with O_PATH | O_NOFOLLOW a final symlink is opened
 * itself), an escape -EXDEV. An empty path or "." opens dirfd itself. */
int path_open_beneath(int dirfd, const char *path, int open_flags);
