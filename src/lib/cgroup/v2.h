/* cgroup v2: the driver for a pure unified host, and the pieces of it a
 * hybrid host uses for what only its unified hierarchy holds. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"
#include "cgfile.h"
#include "driver.h"
#include "resources.h"

/* Enable controllers (NULL: every one the hierarchy offers) for d's cgroup:
 * each ancestor's cgroup.subtree_control, from the root down. A controller
 * an ancestor cannot give (it holds processes, or lacks it) is left out
 * quietly; writing its files fails later with a message that says so. */
int cgroup_v2_enable(const struct cgroup_dir *d, const char *const *controllers, cell_error **err);

/* hugepageLimits into hugetlb.SIZE.max (and .rsvd.max) of dir. */
int cgroup_v2_apply_hugetlb(const struct cgfile_dir *dir, const struct cgroup_resources *r, cell_error **err);

/* The `unified` keys, written as given after checking that each names a
 * controller the cgroup has (or is a cgroup.* file). */
int cgroup_v2_apply_unified(const struct cgfile_dir *dir, const struct cgroup_resources *r, cell_error **err);

/* hugetlb usage of dir in runc's shape, added to stats as "hugetlb". */
void cgroup_v2_hugetlb_stats(const struct cgfile_dir *dir, json_t *stats);
