/* Which registries exist and how to reach them, from containers-registries.conf(5):
 * /etc/containers/registries.conf (or $CONTAINERS_REGISTRIES_CONF), the
 * drop-ins in /etc/containers/registries.conf.d/, then cell's own
 * /etc/cell/registries.conf when present, later files overriding earlier
 * entries of the same prefix. Both the v2 format ([[registry]] tables) and
 * the v1 one ([registries.insecure] …) are read. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

struct registry_entry {
	char *prefix;   /* what a reference must start with: "host[:port][/path]" */
	char *location; /* where to go instead (NULL: the prefix itself) */
	bool insecure;  /* plain HTTP, or TLS without verification */
	bool blocked;
};

struct registry_config {
	struct registry_entry *entries;
	size_t n_entries;
	char **search; /* unqualified-search-registries, NULL-terminated */
};

/* Load from the default places; paths (NULL-terminated) replaces them when
 * given (for tests). A missing file is not an error; a broken one is. */
int registry_config_load(const char *const *paths, struct registry_config **out, cell_error **err);

/* The entry whose prefix matches name ("host[:port]/path") best, or NULL. */
const struct registry_entry *registry_config_find(const struct registry_config *c, const char *name);

void registry_config_free(struct registry_config *c);
