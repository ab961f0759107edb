/* NULL-terminated string arrays. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"

size_t strv_length(char *const *v);

/* Append a copy of s to *v (which may be NULL). Returns 0 or -ENOMEM. */
int strv_push(char ***v, const char *s);

/* Append s itself, taking ownership of it (freed on failure too). */
int strv_push_take(char ***v, char *s);

bool strv_contains(char *const *v, const char *s);

/* Returns the value part of the first "key=value" entry with that key. */
const char *strv_env_get(char *const *env, const char *key);
