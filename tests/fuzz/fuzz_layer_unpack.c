/* libFuzzer: layer tarballs (plain or compressed) unpacked into a scratch
 * directory, in both whiteout modes (the first byte picks), then the tree
 * summarised and removed. Whatever the input, nothing may be written
 * outside the scratch directory: a canary beside it must stay as it was. */
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "storage/tree.h"
#include "storage/unpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char top[64];
static int topfd = -1;

/* Scratch directories are named by pid; libFuzzer may end without running
 * atexit handlers, so each run first sweeps those of dead processes. */
static void sweep_scratch(const char *prefix)
{
	DIR *d = opendir("/tmp");
	struct dirent *de;
	size_t n = strlen(prefix);
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, prefix, n) != 0)
			continue;
		char proc[300];
		snprintf(proc, sizeof(proc), "/proc/%s", de->d_name + n);
		if (access(proc, F_OK) == 0)
			continue;
		char path[300];
		snprintf(path, sizeof(path), "/tmp/%s", de->d_name);
		remove_tree_at(AT_FDCWD, path);
	}
	if (d)
		closedir(d);
}

/* At the end of a run (libFuzzer exits through exit()), the scratch tree
 * goes too; a crash leaves it for the next run's sweep. */
static void remove_scratch(void)
{
	remove_tree_at(AT_FDCWD, top);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (topfd < 0) {
		atexit(remove_scratch);
		sweep_scratch("cell-fuzz-unpack-");
		snprintf(top, sizeof(top), "/tmp/cell-fuzz-unpack-%d", (int)getpid());
		remove_tree_at(AT_FDCWD, top);
		if (mkdir(top, 0700) < 0)
			abort();
		topfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (write_file_at(topfd, "canary", "canary", 6, 0644) < 0)
			abort();
	}
	if (size < 1)
		return 0;
	int in = memfd_create("layer", MFD_CLOEXEC);
	if (in < 0 || write_all(in, data + 1, size - 1) < 0 || lseek(in, 0, SEEK_SET) < 0)
		abort();
	remove_tree_at(topfd, "tree");
	if (mkdirat(topfd, "tree", 0755) < 0)
		abort();
	int dest = openat(topfd, "tree", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct unpack_options o = {
	    .whiteouts = data[0] & 1 ? WHITEOUT_DELETE : WHITEOUT_OVERLAY,
	    .rootless = (data[0] & 2) != 0,
	    .what = "layer fuzz",
	    .hash_contents = true,
	    .content_sum = data[0] & 4 ? TREE_SUM_SHA256 : TREE_SUM_CRC64,
	};
	struct unpack_result res;
	cell_error *err = NULL;
	if (layer_unpack(in, dest, &o, &res, &err) == 0) {
		/* What was hashed while writing must be what a reader sees. */
		struct tree_summary known, read;
		cell_error *e2 = NULL;
		int r1 = tree_summarize(dest, "fuzz", o.content_sum, res.contents, &known, &e2);
		cell_error_free(e2);
		e2 = NULL;
		int r2 = tree_summarize(dest, "fuzz", o.content_sum, NULL, &read, &e2);
		cell_error_free(e2);
		if (r1 == 0 && r2 == 0 && strcmp(known.digest, read.digest) != 0)
			abort();
		unpack_result_clear(&res);
	}
	cell_error_free(err);
	close(dest);
	close(in);
	/* The only things beside the tree are the canary and the tree. */
	char *canary = NULL;
	if (read_file_at(topfd, "canary", 16, &canary, NULL) < 0 || strcmp(canary, "canary") != 0)
		abort();
	free(canary);
	if (remove_tree_at(topfd, "tree") < 0)
		abort();
	return 0;
}
