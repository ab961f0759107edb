/* The default configuration that `cellrt spec` writes: runc's defaults, with
 * the rootless variant (user namespace mapped to the caller, no network
 * namespace, sysfs bound from the host, no cgroup mount or device rules). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "base/error.h"

/* A new config document; with rootless, uid and gid are the caller's ids that
 * container root maps to. */
int oci_spec_default(bool rootless, uid_t uid, gid_t gid, json_t **out, cell_error **err);
