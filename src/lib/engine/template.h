/* The --format templates of ps, inspect, images and friends: the part of
 * Go's text/template that scripts use. Text is copied; "{{.A.B}}" is the
 * value at that path of the JSON document (a string as it is, numbers and
 * booleans as JSON, objects and arrays as compact JSON, "<no value>" when
 * missing); "{{json .A}}" is the value as JSON; "{{index .A "key"}}" looks
 * up a key; "{{.}}" is the whole document. "\t" and "\n" in the template
 * are a tab and a newline. */
#pragma once

#include <jansson.h>

#include "base/error.h"

/* Render tmpl over data into a new string. A template that cannot be
 * parsed is an error naming where. */
int template_render(const char *tmpl, json_t *data, char **out, cell_error **err);
