/* cgroup v1: one hierarchy per controller (or group of controllers), as on
 * older hosts; on a hybrid host also the unified hierarchy for what only it
 * has. The driver itself is cgroup_v1_driver (driver.h). */
#pragma once

#include "base/error.h"
#include "resources.h"

/* The v1 device controller's writes for rules, in order, into buf as
 * "allow|deny LINE" lines (tests; the driver writes the same lines). */
int cgroup_v1_device_lines(const struct cgroup_device_rule *rules, size_t n, char **out, cell_error **err);
