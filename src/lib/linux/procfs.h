/* The init's own writes to /proc (sysctls, LSM labels, oom_score_adj) go to
 * the real procfs, never to what the container's files or another container
 * sharing a volume arrange at /proc: a symlink, a bind mount of some other
 * file, a fake proc (CVE-2019-16884, CVE-2019-19921, CVE-2023-27561,
 * CVE-2023-28642, CVE-2025-52881). Child side: plain negative errno. */
#pragma once

/* A fresh procfs instance that is mounted nowhere (fsopen/fsmount), so that
 * nothing in the container can cover or replace its files. Returns its fd,
 * or a negative errno when the kernel lacks the new mount API (or
 * CELL_NO_NEW_MOUNT_API is set): then use procfs_open_mounted(). */
int procfs_open_private(void);

/* The procfs mounted at /proc in the current root, after checks: it must be
 * procfs and the root of its mount (not a directory of something else, not
 * a symlink). Returns an fd or a negative errno (-EXDEV when it is not the
 * real thing). */
int procfs_open_mounted(void);

/* Open path (relative: "sys/net/ipv4/ip_forward", "1/attr/exec") below the
 * procfs procfd with flags, refusing symlinks, magic links and mount points
 * on the way (anything bind-mounted over a proc file), and checking that
 * the result is a procfs file. Returns an fd or a negative errno. */
int procfs_open_at(int procfd, const char *path, int flags);

/* Write value to path below procfd (one write, as proc files want it). */
int procfs_write(int procfd, const char *path, const char *value);
