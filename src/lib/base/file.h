/* Whole-file reads and writes, the atomic replace used for every record on
 * disk, recursive removal of a directory tree by fd, and passing an fd over
 * a unix socket. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* One message of len bytes on a unix socket, with fd riding along
 * (SCM_RIGHTS) unless it is negative; retries on EINTR. */
int send_with_fd(int sock, const void *buf, size_t len, int fd);

/* Write all of buf to fd, retrying on EINTR and short writes. */
int write_all(int fd, const void *buf, size_t len);

/* Read fd to its end into a new NUL-terminated buffer; refuses more than max
 * bytes with -EFBIG. */
int read_all(int fd, size_t max, char **out, size_t *out_len);

/* Read the file at dirfd/path (no symlink following in the last component is
 * NOT implied; use safe paths for untrusted trees). */
int read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *out_len);

/* Write a whole file at dirfd/path, creating or truncating it. */
int write_file_at(int dirfd, const char *path, const void *buf, size_t len, mode_t mode);

/* Replace dirfd/name atomically: write a temporary file next to it, fsync it,
 * rename it over name, fsync the directory. A crash leaves either the old or
 * the new content, never a mix. */
int write_file_atomic(int dirfd, const char *name, const void *buf, size_t len, mode_t mode);

/* The same replace, flushed to disk only when durable: a killed process
 * still leaves the old or the new content, a crash of the machine may
 * leave neither (for records that do not outlive a boot anyway). */
int write_file_replace(int dirfd, const char *name, const void *buf, size_t len, mode_t mode, bool durable);

/* The names in the directory dirfd: "." and ".." left out, and those keep
 * (when given) turns down; sorted by strcmp() when sorted. A NULL-terminated
 * array, never NULL itself (free with strv_free()), its length in *n (n may
 * be NULL). Returns 0 or a negative errno; a failing readdir() is an error,
 * not a shorter list. dirfd stays open and where it was. */
int dir_names(int dirfd, bool (*keep)(const char *name, void *ctx), void *ctx, bool sorted, char ***out,
	      size_t *n);

/* Turn O_DIRECT on or off for fd (its open file description: every
 * copy of fd). Returns 0 or a negative errno (EINVAL where the file
 * system takes no O_DIRECT). */
int fd_set_direct(int fd, bool on);

/* Ask the file system to spread the subdirectories of the directory fd
 * over its block groups, as for the top of unrelated trees such as /home
 * (ext2/3/4's FS_TOPDIR_FL, for the Orlov allocator). Without it ext4 puts
 * a new directory, and its files, in its parent's group: every layer of a
 * store in one place, and on ext4 without a journal also among the inodes
 * deleted in the last minutes, which it skips one by one for every file it
 * creates. Best effort: other file systems have no such flag. */
void dir_spread_subdirs(int fd);

/* Remove dirfd/name and everything below it without following symlinks and
 * without crossing into other mounts. A missing name is not an error. */
int remove_tree_at(int dirfd, const char *name);
