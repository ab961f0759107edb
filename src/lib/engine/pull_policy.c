#include "pull_policy.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

int pull_policy_parse(const char *s, enum pull_policy *out, cell_error **err)
{
	if (strcmp(s, "missing") == 0)
		*out = PULL_MISSING;
	else if (strcmp(s, "always") == 0)
		*out = PULL_ALWAYS;
	else if (strcmp(s, "never") == 0)
		*out = PULL_NEVER;
	else
		return cell_error_set(err, EINVAL, "--pull \"%s\": must be missing, always or never", s);
	return 0;
}

/* Fetch ref from its registry into the store; the pulled image's digest
 * into digest (what to resolve afterwards: the name may be short). */
static int pull(struct image_store *store, const char *ref, const struct pull_opts *opts,
		char digest[DIGEST_BUF], cell_error **err)
{
	return registry_pull(store, ref, opts, digest, err);
}

static int resolve(struct image_store *store, const char *ref, struct image *out, cell_error **err)
{
	int r = image_store_lock(store, false, err);
	if (r < 0)
		return r;
	bool by_name;
	r = image_store_resolve(store, ref, out, &by_name, err);
	image_store_unlock(store);
	return r;
}

int engine_image_for_run(struct image_store *store, const char *ref, enum pull_policy policy,
			 const struct pull_opts *opts, struct image *out, cell_error **err)
{
	char digest[DIGEST_BUF];
	int r;
	if (policy == PULL_ALWAYS) {
		if ((r = pull(store, ref, opts, digest, err)) < 0)
			return r;
		return resolve(store, digest, out, err);
	}
	cell_error *miss = NULL;
	r = resolve(store, ref, out, &miss);
	if (r == 0 || r != -ENOENT) {
		if (r < 0) {
			*err = miss;
			return r;
		}
		cell_error_free(miss);
		return 0;
	}
	if (policy == PULL_NEVER) {
		cell_error_free(miss);
		return cell_error_set(err, ENOENT, "image %s is not in the store (--pull never)", ref);
	}
	cell_error_free(miss);
	if ((r = pull(store, ref, opts, digest, err)) < 0)
		return r;
	return resolve(store, digest, out, err);
}
