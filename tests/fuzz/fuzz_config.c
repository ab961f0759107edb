/* libFuzzer target: config.json through the parser, the cross-field rules,
 * and the parts of plan building that interpret the config without touching
 * the system (capabilities, LSM labels). Nothing may crash, hang or leak. */
#include <stdint.h>
#include <stdlib.h>

#include "base/json.h"
#include "base/log.h"
#include "linux/caps.h"
#include "linux/lsm.h"
#include "spec/config.h"
#include "spec/validate.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	cell_log_set_level(CELL_LOG_ERROR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = NULL;
	cell_error *err = NULL;
	if (json_load_buffer((const char *)data, size, "config.json", &j, &err) < 0) {
		cell_error_free(err);
		return 0;
	}
	struct oci_config *c = NULL;
	if (oci_config_parse(j, &c, &err) == 0) {
		if (oci_config_validate(c, &err) == 0 && c->process) {
			struct caps_plan caps;
			struct lsm_plan lsm;
			cell_error_free(err);
			err = NULL;
			caps_plan_build(c->process, "process", &caps, &err);
			cell_error_free(err);
			err = NULL;
			lsm_plan_build(c, c->process, "process", &lsm, &err);
		}
		oci_config_free(c);
	}
	cell_error_free(err);
	json_decref(j);
	return 0;
}
