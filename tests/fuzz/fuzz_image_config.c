/* libFuzzer: image configs, and their conversion to what the runtime spec
 * takes from an image (the user resolved in an empty root). */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "image/config.h"
#include "image/runspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int rootfd = -1;
	if (rootfd < 0) {
		char dir[] = "/tmp/cell-fuzz-root-XXXXXX";
		if (!mkdtemp(dir))
			return 0;
		rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		/* An empty root: its name may go at once, the fd keeps it usable. */
		rmdir(dir);
	}
	struct image_config c;
	cell_error *err = NULL;
	if (image_config_parse((const char *)data, size, "fuzz", &c, &err) == 0) {
		struct image_run r;
		cell_error *e2 = NULL;
		if (image_run_from_config(&c, rootfd, NULL, &r, &e2) == 0)
			image_run_clear(&r);
		cell_error_free(e2);
		image_config_clear(&c);
	}
	cell_error_free(err);
	return 0;
}
