/* Reading and writing the files of one cgroup directory, for the drivers.
 * Errors name the file on the host and the value ("write \"100\" to
 * /sys/fs/cgroup/a/pids.max: Invalid argument"). A cgroup file takes one
 * value per write(2), so every write is a single call. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "cgroup.h"

/* An open cgroup directory and its host path, for messages. */
struct cgfile_dir {
	int fd;
	char *path;
};

/* Open the directory of d (O_DIRECTORY). */
int cgfile_open(const struct cgroup_dir *d, struct cgfile_dir *out, cell_error **err);
/* Open a directory by host path. */
int cgfile_open_path(const char *path, struct cgfile_dir *out, cell_error **err);
void cgfile_close(struct cgfile_dir *d);
#define _cleanup_cgfile_ _cleanup_(cgfile_close)

bool cgfile_exists(const struct cgfile_dir *d, const char *file);

/* Write value to file (one write). */
int cgfile_write(const struct cgfile_dir *d, const char *file, const char *value, cell_error **err);
/* The same through *fd, which it opens when negative and leaves open for
 * the next value to the same file (the caller closes it): for files that
 * take many values, one per write, such as v1's devices.allow. */
int cgfile_write_to(const struct cgfile_dir *d, int *fd, const char *file, const char *value,
		    cell_error **err);
int cgfile_writef(const struct cgfile_dir *d, const char *file, cell_error **err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Read a whole file (NUL-terminated, trailing newline kept). Negative errno. */
int cgfile_read(const struct cgfile_dir *d, const char *file, char **out);

/* A file holding one number, or "max" (UINT64_MAX). Negative errno. */
int cgfile_read_u64(const struct cgfile_dir *d, const char *file, uint64_t *out);

/* The value of key in a "key value" per line file (memory.stat, cpu.stat,
 * memory.events). -ENOENT when the file or the key is missing. */
int cgfile_read_keyed(const struct cgfile_dir *d, const char *file, const char *key, uint64_t *out);

/* The hierarchy of cg whose v1 controllers include controller, or NULL. */
const struct cgroup_dir *cgroup_find_v1(const struct cgroup *cg, const char *controller);

/* cg's directory in the unified hierarchy, or NULL. */
const struct cgroup_dir *cgroup_find_unified(const struct cgroup *cg);

/* True if the word list s ("cpu,cpuacct" or "cpu io memory") holds word. */
bool cgfile_list_has(const char *s, const char *word);
