/* bench helper: unpack one layer tarball into an empty directory with
 * cell's layer unpacker, as `tar -x` would, and print the seconds it took.
 *
 *   cell-bench-unpack LAYER.tar DIR [overlay|vfs]
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "storage/unpack.h"

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s LAYER.tar DIR [overlay|vfs]\n", argv[0]);
		return 2;
	}
	int in = open(argv[1], O_RDONLY | O_CLOEXEC);
	int dir = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (in < 0 || dir < 0) {
		perror("open");
		return 1;
	}
	struct unpack_options o = {
	    .whiteouts = argc > 3 && strcmp(argv[3], "vfs") == 0 ? WHITEOUT_DELETE : WHITEOUT_OVERLAY,
	    .rootless = geteuid() != 0,
	    .what = argv[1],
	};
	struct unpack_result res;
	cell_error *err = NULL;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (layer_unpack(in, dir, &o, &res, &err) < 0) {
		fprintf(stderr, "%s\n", err->msg);
		cell_error_free(err);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.3f\n", (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	close(in);
	close(dir);
	return 0;
}
