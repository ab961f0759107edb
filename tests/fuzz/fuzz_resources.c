/* libFuzzer target: linux.resources as any JSON document, through the
 * parser, the device rule translations (v1 lines, the eBPF program and its
 * interpreter) and the unit conversions. Nothing may crash, hang or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cgroup/bpf_devices.h"
#include "cgroup/resources.h"
#include "cgroup/v1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = NULL;
	cell_error *err = NULL;
	if (json_load_buffer((const char *)data, size, "fuzz", &j, &err) < 0) {
		cell_error_free(err);
		return 0;
	}
	struct cgroup_resources *r = NULL;
	if (cgroup_resources_parse(j, "linux.resources", &r, &err) == 0) {
		if (cgroup_resources_add_default_devices(r, NULL, NULL) == 0) {
			char *lines = NULL;
			if (cgroup_v1_device_lines(r->devices, r->n_devices, &lines, NULL) == 0)
				free(lines);
			struct bpf_insn *p = NULL;
			size_t n = 0;
			if (bpf_devices_build(r->devices, r->n_devices, &p, &n, NULL) == 0) {
				bpf_devices_eval(p, n, 'c', 1, 3, CGROUP_DEV_READ);
				bpf_devices_eval(p, n, 'b', 8, 0, CGROUP_DEV_MKNOD);
				free(p);
			}
		}
		char buf[32];
		const char *why;
		cgroup_swap_to_v2(r->memory_limit, r->memory_swap, buf, sizeof(buf), &why);
		cgroup_shares_to_weight(r->cpu_shares);
		cgroup_blkio_weight_to_io_weight(r->blkio_weight);
		cgroup_resources_free(r);
	} else {
		cell_error_free(err);
	}
	if (size < 64) {
		char s[64];
		memcpy(s, data, size);
		s[size] = '\0';
		int64_t v;
		cgroup_parse_size(s, &v);
	}
	json_decref(j);
	return 0;
}
