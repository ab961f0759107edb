/* `cell stats`: a container's resource use from its cgroup (the runtime's
 * statistics, runc's shape) and its network namespace, as Docker shows it. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "base/error.h"
#include "container.h"
#include "engine.h"

struct ctr_stats {
	uint64_t cpu_ns;    /* CPU time used, all of it */
	int64_t at_ns;      /* when (CLOCK_MONOTONIC) */
	double cpu_percent; /* of one CPU, since the previous sample (or the start) */
	uint64_t mem_usage, mem_limit;
	double mem_percent;
	uint64_t net_rx, net_tx;
	uint64_t blk_read, blk_write;
	uint64_t pids;
};

/* A sample of a running container; prev (may be NULL) is the last one. */
int engine_stats_sample(struct engine *e, const struct ctr *c, const struct ctr_stats *prev,
			struct ctr_stats *out, cell_error **err);

/* Docker's row: {"ID", "Name", "CPUPerc", "MemUsage", "MemPerc", "NetIO",
 * "BlockIO", "PIDs"} as the table shows them. */
json_t *engine_stats_json(const struct ctr *c, const struct ctr_stats *s);

/* "1.5MiB", binary units as Docker's stats show them. */
void engine_binary_size(uint64_t bytes, char *buf, size_t len);
