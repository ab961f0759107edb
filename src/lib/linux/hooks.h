/* Running OCI hooks: the hook gets the container state on stdin, its own args
 * and env (the runtime's environment when env is absent), and is killed when
 * its timeout passes. Usable from the parent and from the container's init
 * (no allocation). */
#pragma once

#include <stddef.h>

#include "spec/config.h"
#include "sync.h"

/* Run one hook; kind and index name it in messages. */
int hook_run(const struct oci_hook *h, enum oci_hook_kind kind, size_t index, const char *state,
	     struct init_error *e);

/* Run every hook of a kind in order, stopping at the first failure. */
int hooks_run(const struct oci_hooks *hooks, enum oci_hook_kind kind, const char *state,
	      struct init_error *e);
