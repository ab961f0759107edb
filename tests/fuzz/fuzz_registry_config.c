/* libFuzzer: the files cell reads to reach registries. The first byte picks
 * the reader: a containers-registries.conf(5) file (TOML, v1 and v2 forms),
 * or a containers-auth.json(5) / Docker config.json credentials file. Both
 * are read from a memfd through its /proc/self/fd path, as from any file. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "registry/auth.h"
#include "registry/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("fuzz-registry-config", MFD_CLOEXEC);
		if (fd < 0)
			return 0;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (size < 1 || ftruncate(fd, 0) < 0)
		return 0;
	if (size > 1 && pwrite(fd, data + 1, size - 1, 0) != (ssize_t)(size - 1))
		return 0;
	cell_error *err = NULL;
	if (data[0] & 1) {
		const char *const paths[] = {path, NULL};
		struct registry_config *c = NULL;
		if (registry_config_load(paths, &c, &err) == 0) {
			static const char *const names[] = {"docker.io/library/busybox", "localhost:5000/a/b",
							    "example.com", "[::1]:5000/x"};
			for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
				(void)registry_config_find(c, names[i]);
			registry_config_free(c);
		}
	} else {
		static const char *const names[] = {"docker.io/library/busybox", "localhost:5000/team/app",
						    "quay.io"};
		struct credentials cr = {0};
		if (auth_lookup_in(path, names[(data[0] >> 1) % 3], &cr, &err) == 0)
			credentials_clear(&cr);
	}
	cell_error_free(err);
	return 0;
}
