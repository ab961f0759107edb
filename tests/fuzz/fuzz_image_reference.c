/* libFuzzer: image names ("quay.io/x/y:tag@sha256:…") and --change
 * instructions, the two strings users hand to the image commands. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/archive.h"
#include "image/reference.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	struct image_ref r;
	for (int def = 0; def < 2; def++)
		if (image_ref_parse(s, def ? IMAGE_REF_DOCKER : IMAGE_REF_LOCALHOST, &r, NULL) == 0) {
			free(image_ref_format(&r));
			free(image_ref_repository(&r));
			image_ref_clear(&r);
		}
	image_ref_is_short(s);
	json_t *cfg = json_object();
	cell_error *err = NULL;
	image_apply_change(cfg, s, &err);
	cell_error_free(err);
	json_decref(cfg);
	free(s);
	return 0;
}
