/* The cgroup driver interface: what differs between cgroup v1 and v2 behind
 * one small table of operations (LXC's storage ops are the model). cgroup.c
 * picks the driver from the container's layout: pure v2 gets the v2 driver;
 * v1 and hybrid get the v1 driver, which on a hybrid host sends what only the
 * unified hierarchy has (hugetlb there, `unified` keys) to the v2 functions.
 *
 * Every operation takes the container's struct cgroup as recorded in its
 * state; none of them changes it. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"
#include "cgroup.h"
#include "resources.h"

struct cgroup_driver;

/* What watches a cgroup for OOM kills; opened by oom_open, closed by
 * cgroup_oom_close(). */
struct cgroup_oom {
	const struct cgroup_driver *driver;
	int fd;           /* readable when something may have happened */
	int aux_fd;       /* v1: memory.oom_control kept open for the eventfd */
	char *events_dir; /* v2: the directory whose memory.events we read */
	uint64_t count;   /* v2: oom_kill count last seen */
};

struct cgroup_driver {
	const char *name;
	/* After the directories exist and before anything runs in them:
	 * v2 enables the controllers the parents offer. */
	int (*prepare)(const struct cgroup *cg, cell_error **err);
	/* Write what r asks; update is true for `update` (checkBeforeUpdate,
	 * ordering against the current values). */
	int (*apply)(const struct cgroup *cg, const struct cgroup_resources *r, bool update,
		     cell_error **err);
	/* Freeze or thaw every process and wait until the kernel says done. */
	int (*freeze)(const struct cgroup *cg, bool frozen, cell_error **err);
	/* Whether the cgroup is frozen (a missing freezer is "no"). */
	bool (*is_frozen)(const struct cgroup *cg);
	/* Usage in runc's `events --stats` shape (the "data" object). */
	int (*stats)(const struct cgroup *cg, json_t **out, cell_error **err);
	/* Start watching for OOM kills. */
	int (*oom_open)(const struct cgroup *cg, struct cgroup_oom *w, cell_error **err);
	/* After w->fd polled readable: how many OOM kills since the last call. */
	int (*oom_read)(struct cgroup_oom *w, uint64_t *kills);
};

extern const struct cgroup_driver cgroup_v1_driver;
extern const struct cgroup_driver cgroup_v2_driver;
