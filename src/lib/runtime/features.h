/* The OCI features document (runtime-spec features.md): what this build of
 * the runtime supports, derived from the tables the code itself works from
 * (mount options, namespaces, capabilities, hooks) and from what it can find
 * at run time (the kernel's seccomp flags, the criu binary). */
#pragma once

#include <jansson.h>

#include "create.h"

/* A new features document. */
json_t *runtime_features(const struct runtime_opts *g);

/* The criu binary checkpoint and restore run: --criu, or "criu" from PATH.
 * Writes its path into buf; returns 0, or -ENOENT when there is none. */
int runtime_criu_binary(const struct runtime_opts *g, char *buf, size_t len);
