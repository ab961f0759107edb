/* `cell run --pull missing|always|never`: whether to fetch the image from
 * its registry before using it, and then finding it in the store. */
#pragma once

#include "base/error.h"
#include "image/store.h"
#include "registry/pull.h"

enum pull_policy {
	PULL_MISSING, /* pull only when the store does not have it (the default) */
	PULL_ALWAYS,
	PULL_NEVER,
};

int pull_policy_parse(const char *s, enum pull_policy *out, cell_error **err);

/* Resolve ref in the store after pulling it as the policy says, with opts
 * (NULL: the defaults of registries.conf and the auth files). Needs no lock
 * held (a pull takes it). */
int engine_image_for_run(struct image_store *store, const char *ref, enum pull_policy policy,
			 const struct pull_opts *opts, struct image *out, cell_error **err);
