/* The engine's part of `cell system check`: every container of the store
 * has its records (container.json, state.json) and they parse, names are
 * unique, the volumes containers use exist; every volume has its record and
 * directory; what killed commands left (half-made volumes, run directories
 * and runtime states of containers that are gone) is orphaned. With repair,
 * broken containers and volumes are removed (a missing volume is made
 * again, empty), orphans are removed, and containers whose monitor died
 * are cleaned up. Adds to the report image_store_check() made. */
#pragma once

#include <stdbool.h>

#include "base/error.h"
#include "engine.h"
#include "image/check.h"

int engine_check(struct engine *e, bool repair, struct check_report *rep, cell_error **err);
