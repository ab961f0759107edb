/* How containers are shown: `inspect` (the record with its State, Docker's
 * shape), `ps` (one row or object each, with Docker's status phrases), and
 * ps's --filter. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "container.h"
#include "engine.h"

/* inspect's document: container.json with State, RestartCount and, with
 * size, SizeRw. */
json_t *engine_inspect_json(struct engine *e, const struct ctr *c, bool size);

/* ps's object: ID, Id, Names, Image, ImageID, Command, Created, CreatedAt,
 * RunningFor, Status, State, ExitCode, Pid, Labels, Mounts, Ports. */
json_t *engine_ps_json(struct engine *e, const struct ctr *c, bool size);

/* "Up 3 seconds", "Exited (0) 2 minutes ago", "Created",
 * "Restarting (1) 1 second ago". */
void engine_status_text(const struct ctr *c, char *buf, size_t len);

/* "Less than a second", "3 seconds", "About a minute", "5 minutes", … */
void engine_human_duration(int64_t secs, char *buf, size_t len);

/* The command as ps shows it: "\"sh -c 'echo hi'\"". A new string. */
char *engine_command_text(const struct ctr *c);

struct ctr_filter {
	char **keys;
	char **values;
};

/* One --filter KEY=VALUE: id, name, status, label (KEY or KEY=VALUE),
 * exited (a code), ancestor (an image name or ID). Filters of one key
 * match any of their values; different keys must all match. */
int ctr_filter_add(struct ctr_filter *f, const char *kv, cell_error **err);
bool ctr_filter_match(const struct ctr_filter *f, struct engine *e, const struct ctr *c);
void ctr_filter_clear(struct ctr_filter *f);
