/* Base64 (RFC 4648, with padding), as auth files and HTTP Basic use it. */
#pragma once

#include <stddef.h>

/* A new NUL-terminated encoding of len bytes; NULL on allocation failure. */
char *base64_encode(const void *data, size_t len);

/* Decode s into a new NUL-terminated buffer (*out_len bytes before the NUL).
 * Returns 0, -EINVAL for bad input, or -ENOMEM. */
int base64_decode(const char *s, char **out, size_t *out_len);
