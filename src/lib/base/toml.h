/* The subset of TOML that configuration files such as
 * containers-registries.conf(5) use, parsed into a jansson tree: tables
 * ([a.b]), arrays of tables ([[a.b]]), dotted and quoted keys, strings
 * (basic and literal, single-line), integers, booleans, and arrays of those.
 * Anything else is an error naming the line. */
#pragma once

#include <jansson.h>

#include "error.h"

/* Parse buf (len bytes); what names it in messages. */
int toml_parse(const char *buf, size_t len, const char *what, json_t **out, cell_error **err);
