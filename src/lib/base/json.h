/* JSON helpers over jansson: loading with messages that name the file, line and
 * column, and typed getters whose errors name the JSON path of the bad value
 * ("process.args: must be a non-empty array of strings"). Every getter takes
 * `where`, the path of the object it reads from ("" for the document). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"

/* jansson provides json_decrefp() for this. */
#define _cleanup_json_ _cleanup_(json_decrefp)

/* Parse a buffer; what names the source in messages. Integers too large for
 * 64-bit signed are accepted as reals (see json_get_u64). */
int json_load_buffer(const char *buf, size_t len, const char *what, json_t **out, cell_error **err);

/* Read and parse dirfd/path (at most max bytes). */
int json_load_file_at(int dirfd, const char *path, size_t max, json_t **out, cell_error **err);

/* Compose "where.key" and "where.key[i]" into buf (truncated if too long). */
const char *json_path_key(char *buf, size_t len, const char *where, const char *key);
const char *json_path_index(char *buf, size_t len, const char *where, const char *key, size_t i);

/* Each getter: a missing key (or null) is an error only when required, and
 * leaves *out untouched; *present (when not NULL) tells whether it was there. */
int json_get_string(const json_t *obj, const char *where, const char *key, bool required, const char **out,
		    cell_error **err);
int json_get_bool(const json_t *obj, const char *where, const char *key, bool required, bool *out,
		  cell_error **err);
int json_get_i64(const json_t *obj, const char *where, const char *key, bool required, int64_t min,
		 int64_t max, int64_t *out, bool *present, cell_error **err);
int json_get_u64(const json_t *obj, const char *where, const char *key, bool required, uint64_t *out,
		 bool *present, cell_error **err);
int json_get_object(const json_t *obj, const char *where, const char *key, bool required, json_t **out,
		    cell_error **err);
int json_get_array(const json_t *obj, const char *where, const char *key, bool required, json_t **out,
		   cell_error **err);

/* An array of strings as a new NULL-terminated array of pointers borrowed from
 * the JSON (free the array only). *out is NULL when the key is absent. */
int json_get_strv(const json_t *obj, const char *where, const char *key, bool required, const char ***out,
		  cell_error **err);

/* A JSON integer, or a real without a fractional part, as int64/uint64. */
bool json_as_i64(const json_t *v, int64_t *out);
bool json_as_u64(const json_t *v, uint64_t *out);
