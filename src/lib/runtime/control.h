/* What a running container's cgroup offers after create: pause and resume,
 * update of its limits, statistics and events, and the list of its
 * processes. Each takes the container's lock only as long as it needs. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "base/error.h"
#include "create.h"

/* pause: freeze every process of a running (or created) container. */
int runtime_pause(const struct runtime_opts *g, const char *id, cell_error **err);

/* resume: thaw a paused container. */
int runtime_resume(const struct runtime_opts *g, const char *id, cell_error **err);

/* update: apply resources (a linux.resources object; only what it holds
 * changes) to a live container, and record them in its saved config so that
 * later updates build on them. */
int runtime_update(const struct runtime_opts *g, const char *id, json_t *resources, cell_error **err);

/* One statistics event in runc's shape: {"type":"stats","id":…,"data":{…}}. */
int runtime_stats(const struct runtime_opts *g, const char *id, json_t **out, cell_error **err);

/* events: call emit for each event until the container's init exits (then
 * return 0) or emit returns non-zero (returned). Events are OOM kills
 * ({"type":"oom","id":…}) as they happen and, with interval_ms > 0, a
 * statistics event every interval. */
typedef int (*runtime_event_fn)(json_t *event, void *data);
int runtime_events(const struct runtime_opts *g, const char *id, int interval_ms, runtime_event_fn emit,
		   void *data, cell_error **err);

/* The pids of every process of the container (host pids), sorted. */
int runtime_ps_pids(const struct runtime_opts *g, const char *id, pid_t **out, size_t *n, cell_error **err);

/* Keep of ps_output (the output of ps(1): a header line naming a PID
 * column, then one line per process) the header and the lines whose PID is
 * in pids. *out is a new string. -EINVAL (with a message) when there is no
 * PID column. */
int runtime_ps_filter(const char *ps_output, const pid_t *pids, size_t n, char **out, cell_error **err);

/* ps for the container: run ps(1) with args (NULL or empty: "-ef") and
 * filter its output as above. */
int runtime_ps_table(const struct runtime_opts *g, const char *id, char *const *args, char **out,
		     cell_error **err);
