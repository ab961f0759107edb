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

/* Fetch ref from its registry into the store. This is the one place that
 * pulls: the registry client (src/lib/registry/pull.h, registry_pull())
 * is not part of this tree yet, so it answers that pulling is not
 * possible, naming the image. */
static int pull(struct image_store *store, const char *ref, cell_error **err)
{
	(void)store;
	return cell_error_set(err, ENOTSUP, "image %s is not in the store; pull it with cell pull %s", ref,
			      ref);
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
			 struct image *out, cell_error **err)
{
	int r;
	if (policy == PULL_ALWAYS) {
		if ((r = pull(store, ref, err)) < 0)
			return r;
		return resolve(store, ref, out, err);
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
	if ((r = pull(store, ref, err)) < 0)
		return r;
	return resolve(store, ref, out, err);
}
