/* libFuzzer: image manifests and indexes (OCI and Docker), with platform
 * selection on what parses. The first byte picks the media type hint. */
#include <stddef.h>
#include <stdint.h>

#include "image/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const hints[] = {NULL, MT_OCI_MANIFEST, MT_OCI_INDEX, MT_DOCKER_MANIFEST,
					    MT_DOCKER_LIST};
	if (size < 1)
		return 0;
	const char *hint = hints[data[0] % (sizeof(hints) / sizeof(hints[0]))];
	struct manifest m;
	cell_error *err = NULL;
	if (manifest_parse((const char *)data + 1, size - 1, hint, "fuzz", &m, &err) == 0) {
		if (m.kind == KIND_INDEX) {
			struct platform p;
			size_t pick;
			platform_host(&p);
			manifest_select_platform(&m, &p, &pick, NULL);
			if (platform_parse("linux/arm64/v8", &p, NULL) == 0)
				manifest_select_platform(&m, &p, &pick, NULL);
		}
		for (size_t i = 0; i < m.n_layers; i++) {
			bool foreign;
			manifest_layer_type_known(m.layers[i].media_type, &foreign);
		}
		manifest_clear(&m);
	}
	cell_error_free(err);
	return 0;
}
