/* libFuzzer target: a linux.seccomp object through its translation into a
 * BPF program (linux/seccomp_bpf.c and the checks around it). */
#include <stdint.h>
#include <stdlib.h>

#include "base/json.h"
#include "base/log.h"
#include "linux/seccomp.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	cell_log_set_level(CELL_LOG_ERROR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = NULL;
	cell_error *err = NULL;
	if (json_load_buffer((const char *)data, size, "seccomp", &j, &err) < 0) {
		cell_error_free(err);
		return 0;
	}
	struct seccomp_filter f;
	if (seccomp_compile(j, "linux.seccomp", &f, &err) == 0) {
		/* A program the kernel would take: bounded, non-empty. */
		if (f.len == 0 || f.len > 4096 || !f.prog)
			abort();
		seccomp_filter_free(&f);
	}
	cell_error_free(err);
	json_decref(j);
	return 0;
}
