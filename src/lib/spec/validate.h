/* Rules that span fields of a parsed config: what the runtime needs before it
 * creates anything (a root, a process, id mappings that match the user
 * namespace, sysctls that belong to namespaces the container owns, …). */
#pragma once

#include "config.h"

int oci_config_validate(const struct oci_config *c, cell_error **err);

/* Which namespace a sysctl key belongs to, or -1 when it is not namespaced
 * (and so cannot be set from a container). */
int oci_sysctl_namespace(const char *key);
