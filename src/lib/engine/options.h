/* The values of `cell run`'s flags, parsed as Docker reads them: sizes
 * ("512m"), CPU counts ("1.5"), ulimits ("nofile=1024:2048"), restart
 * policies ("on-failure:3"), environment files, labels and the
 * --security-opt forms. Each parser rejects what is wrong with a message
 * that names the flag and the value; none keeps a pointer into its input. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

/* "1024", "512k", "64m", "1.5g", "2GiB" → bytes (binary units, as Docker's
 * RAMInBytes). what names the flag in messages. */
int opt_parse_size(const char *s, const char *what, int64_t *out, cell_error **err);

/* "1.5" → 1500000000 nano-CPUs; must be > 0 and at most 1024 CPUs. */
int opt_parse_cpus(const char *s, int64_t *out, cell_error **err);

struct opt_ulimit {
	int resource;  /* RLIMIT_* */
	char name[24]; /* "RLIMIT_NOFILE" */
	uint64_t soft, hard;
};

/* "nofile=1024[:2048]", "core=-1" (unlimited). */
int opt_parse_ulimit(const char *s, struct opt_ulimit *out, cell_error **err);

enum restart_policy {
	RESTART_NO,
	RESTART_ALWAYS,
	RESTART_UNLESS_STOPPED,
	RESTART_ON_FAILURE,
};

struct opt_restart {
	enum restart_policy policy;
	int max_retries; /* on-failure:N; 0 = no limit */
};

/* "no", "always", "unless-stopped", "on-failure[:N]". */
int opt_parse_restart(const char *s, struct opt_restart *out, cell_error **err);
const char *opt_restart_name(enum restart_policy p);
/* The inverse of opt_restart_name(); -1 when unknown. */
int opt_restart_from_name(const char *name);

/* A signal by name or number ("SIGTERM", "TERM", "15", "RTMIN+3"). */
int opt_parse_signal(const char *s, const char *what, int *out, cell_error **err);

/* Docker's --env-file: KEY=VALUE lines; blank lines and lines starting
 * with '#' are skipped; a line with only KEY takes KEY's value from our
 * environment (and is dropped when we have none). what names the file.
 * Appends to *env. */
int opt_parse_env_file(const char *text, size_t len, const char *what, char ***env, cell_error **err);

/* -e KEY=VALUE, or -e KEY (our value, dropped when unset). Appends. */
int opt_add_env(const char *s, char ***env, cell_error **err);

/* --label KEY=VALUE (or KEY, an empty value). */
int opt_parse_label(const char *s, char **key, char **value, cell_error **err);

struct opt_security {
	bool seccomp_unconfined;
	char *seccomp_profile; /* a file, or NULL for the default profile */
	bool no_new_privileges;
	char *apparmor; /* NULL: the default */
	bool label_disable;
};

/* One --security-opt: "seccomp=unconfined|PATH", "no-new-privileges[=true|false]",
 * "no-new-privileges:true", "apparmor=PROFILE", "label=disable". */
int opt_parse_security(const char *s, struct opt_security *sec, cell_error **err);
void opt_security_clear(struct opt_security *sec);

/* A capability name with or without "CAP_" ("net_admin", "CAP_SYS_TIME",
 * "ALL") into its canonical "CAP_NET_ADMIN" form (or "ALL"). */
int opt_parse_cap(const char *s, char *out, size_t len, cell_error **err);

/* A duration for --since/--until and stop timeouts: "10s", "1m30s", "2h",
 * "1.5h" → nanoseconds. */
int opt_parse_duration(const char *s, int64_t *ns, cell_error **err);

/* A point in time as `logs --since` takes it: RFC 3339 ("2024-01-02T03:04:05Z",
 * with fractions or an offset; a date alone), Unix seconds ("1700000000" or
 * "1700000000.5"), or a duration before now ("10m"). now_ns is the present. */
int opt_parse_time(const char *s, int64_t now_ns, int64_t *out_ns, cell_error **err);

/* An RFC 3339 time → nanoseconds since the epoch; false when malformed. */
bool opt_rfc3339_ns(const char *s, int64_t *out);
