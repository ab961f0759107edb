/* Writing tar archives of a container's files (export, commit): entries
 * are read by fd below a directory, never following a symlink, with their
 * owners, modes, times, extended attributes, device numbers and hard
 * links; PAX format. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"

struct tar_writer;

/* Into fd. */
int tar_writer_open_fd(int fd, struct tar_writer **out, cell_error **err);

/* Into a function (which returns 0 or a negative errno). */
typedef int (*tar_sink_fn)(void *data, const void *buf, size_t len);
int tar_writer_open_sink(tar_sink_fn sink, void *data, struct tar_writer **out, cell_error **err);

/* The entry dirfd/name as path (relative: "etc/passwd"); a directory's
 * entry only. */
int tar_add_entry(struct tar_writer *w, int dirfd, const char *name, const char *path, cell_error **err);

/* Everything below dirfd, paths under prefix ("" for the top); one file
 * system only (mount points are left out). */
int tar_add_tree(struct tar_writer *w, int dirfd, const char *prefix, cell_error **err);

/* An empty file (a whiteout: ".wh.NAME", ".wh..wh..opq"). */
int tar_add_marker(struct tar_writer *w, const char *path, cell_error **err);

/* Finish the archive. */
int tar_writer_close(struct tar_writer *w, cell_error **err);
void tar_writer_free(struct tar_writer *w);
