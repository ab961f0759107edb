/* Times in RFC 3339, UTC, with nanoseconds ("2026-11-26T23:24:23.000000001Z"):
 * the spelling of the OCI state's "created", Docker's and Podman's records
 * and the k8s-file log. Formatted by hand: strftime() reads the time zone
 * database (/etc/localtime) on every call, gmtime_r() on its first, even for
 * UTC. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Room for any such time and its NUL. */
#define RFC3339_BUF 40

/* ns: nanoseconds since the epoch (before it too). */
void rfc3339_from_ns(int64_t ns, char *buf, size_t len);
/* The real-time clock now. */
void rfc3339_now(char *buf, size_t len);
