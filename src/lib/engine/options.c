#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/signal.h"
#include "base/strv.h"
#include "linux/caps.h"
#include "spec/config.h"

int opt_parse_size(const char *s, const char *what, int64_t *out, cell_error **err)
{
	const char *p = s;
	if (!s || !*s)
		return cell_error_set(err, EINVAL, "%s: empty size", what);
	char *end;
	errno = 0;
	double v = strtod(p, &end);
	if (end == p || errno || !isfinite(v) || v < 0 || !isdigit((unsigned char)*p))
		return cell_error_set(err, EINVAL, "%s: invalid size \"%s\"", what, s);
	p = end;
	if (*p == ' ')
		p++;
	double mult = 1;
	switch (tolower((unsigned char)*p)) {
	case 'k':
		mult = 1024.0;
		p++;
		break;
	case 'm':
		mult = 1024.0 * 1024;
		p++;
		break;
	case 'g':
		mult = 1024.0 * 1024 * 1024;
		p++;
		break;
	case 't':
		mult = 1024.0 * 1024 * 1024 * 1024;
		p++;
		break;
	case 'p':
		mult = 1024.0 * 1024 * 1024 * 1024 * 1024;
		p++;
		break;
	default:
		break;
	}
	if (mult > 1 && tolower((unsigned char)*p) == 'i')
		p++;
	if (tolower((unsigned char)*p) == 'b')
		p++;
	if (*p)
		return cell_error_set(err, EINVAL,
				      "%s: invalid size \"%s\" (a number with b, k, m, g, t or p)", what, s);
	double bytes = v * mult;
	if (bytes >= 9.2e18)
		return cell_error_set(err, ERANGE, "%s: size \"%s\" is too large", what, s);
	*out = (int64_t)bytes;
	return 0;
}

int opt_parse_cpus(const char *s, int64_t *out, cell_error **err)
{
	char *end;
	errno = 0;
	double v = s && *s ? strtod(s, &end) : 0;
	if (!s || !*s || *end || errno || !isfinite(v))
		return cell_error_set(err, EINVAL, "--cpus: invalid number \"%s\"", s ? s : "");
	if (v <= 0 || v > 1024)
		return cell_error_set(err, ERANGE, "--cpus: %s is out of range (more than 0, at most 1024)",
				      s);
	int64_t n = (int64_t)llround(v * 1e9);
	/* The kernel's smallest quota is 1 ms in a 100 ms period. */
	if (n < 10000000)
		return cell_error_set(err, ERANGE, "--cpus: %s is below the smallest share, 0.01", s);
	*out = n;
	return 0;
}

static bool parse_u64(const char *s, size_t len, uint64_t *out)
{
	char buf[32];
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (strcmp(buf, "-1") == 0 || strcmp(buf, "unlimited") == 0) {
		*out = UINT64_MAX;
		return true;
	}
	if (!isdigit((unsigned char)buf[0]))
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(buf, &end, 10);
	if (*end || errno)
		return false;
	*out = v;
	return true;
}

int opt_parse_ulimit(const char *s, struct opt_ulimit *out, cell_error **err)
{
	const char *eq = strchr(s, '=');
	if (!eq || eq == s)
		return cell_error_set(err, EINVAL, "--ulimit \"%s\": must be NAME=SOFT[:HARD]", s);
	size_t nl = (size_t)(eq - s);
	if (nl > 16)
		return cell_error_set(err, EINVAL, "--ulimit \"%s\": unknown limit", s);
	char name[32] = "RLIMIT_";
	for (size_t i = 0; i < nl; i++)
		name[7 + i] = (char)toupper((unsigned char)s[i]);
	name[7 + nl] = '\0';
	int res = oci_rlimit_from_name(name);
	if (res < 0)
		return cell_error_set(err, EINVAL, "--ulimit \"%s\": unknown limit \"%.*s\"", s, (int)nl, s);
	const char *v = eq + 1;
	const char *colon = strchr(v, ':');
	uint64_t soft, hard;
	if (!parse_u64(v, colon ? (size_t)(colon - v) : strlen(v), &soft) ||
	    (colon && !parse_u64(colon + 1, strlen(colon + 1), &hard)))
		return cell_error_set(err, EINVAL, "--ulimit \"%s\": limits must be numbers (or -1)", s);
	if (!colon)
		hard = soft;
	if (soft > hard)
		return cell_error_set(err, EINVAL, "--ulimit \"%s\": the soft limit is above the hard limit",
				      s);
	out->resource = res;
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->soft = soft;
	out->hard = hard;
	return 0;
}

static const char *const restart_names[] = {
    [RESTART_NO] = "no",
    [RESTART_ALWAYS] = "always",
    [RESTART_UNLESS_STOPPED] = "unless-stopped",
    [RESTART_ON_FAILURE] = "on-failure",
};

const char *opt_restart_name(enum restart_policy p)
{
	return (size_t)p < ARRAY_SIZE(restart_names) ? restart_names[p] : "no";
}

int opt_restart_from_name(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(restart_names); i++)
		if (strcmp(name, restart_names[i]) == 0)
			return (int)i;
	return -1;
}

int opt_parse_restart(const char *s, struct opt_restart *out, cell_error **err)
{
	out->max_retries = 0;
	const char *colon = strchr(s, ':');
	size_t nl = colon ? (size_t)(colon - s) : strlen(s);
	for (size_t i = 0; i < ARRAY_SIZE(restart_names); i++) {
		if (strlen(restart_names[i]) != nl || strncmp(s, restart_names[i], nl) != 0)
			continue;
		out->policy = (enum restart_policy)i;
		if (!colon)
			return 0;
		if (i != RESTART_ON_FAILURE)
			return cell_error_set(err, EINVAL,
					      "--restart \"%s\": only on-failure takes a retry count", s);
		char *end;
		errno = 0;
		long n = strtol(colon + 1, &end, 10);
		if (!colon[1] || *end || errno || n < 0 || n > 1000000)
			return cell_error_set(err, EINVAL,
					      "--restart \"%s\": the retry count must be a number", s);
		out->max_retries = (int)n;
		return 0;
	}
	return cell_error_set(err, EINVAL,
			      "--restart \"%s\": must be no, always, unless-stopped or on-failure[:N]", s);
}

int opt_parse_signal(const char *s, const char *what, int *out, cell_error **err)
{
	int sig = signal_parse(s);
	if (sig <= 0)
		return cell_error_set(err, EINVAL, "%s: \"%s\" is not a signal", what, s ? s : "");
	*out = sig;
	return 0;
}

static bool env_key_valid(const char *k, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (k[i] == '\0' || isspace((unsigned char)k[i]))
			return false;
	return true;
}

int opt_add_env(const char *s, char ***env, cell_error **err)
{
	const char *eq = strchr(s, '=');
	if (eq) {
		if (!env_key_valid(s, (size_t)(eq - s)))
			return cell_error_set(err, EINVAL, "--env \"%s\": the variable has no name", s);
		return strv_push(env, s) < 0 ? cell_error_set(err, ENOMEM, "out of memory") : 0;
	}
	if (!env_key_valid(s, strlen(s)))
		return cell_error_set(err, EINVAL, "--env \"%s\": not a variable name", s);
	const char *v = getenv(s);
	if (!v)
		return 0;
	char *kv = NULL;
	if (asprintf(&kv, "%s=%s", s, v) < 0 || strv_push_take(env, kv) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	return 0;
}

int opt_parse_env_file(const char *text, size_t len, const char *what, char ***env, cell_error **err)
{
	size_t lineno = 0;
	for (size_t pos = 0; pos < len;) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		pos += n + (nl ? 1 : 0);
		lineno++;
		if (memchr(line, '\0', n))
			return cell_error_set(err, EINVAL, "%s:%zu: a NUL byte in the line", what, lineno);
		while (n && (line[n - 1] == '\r'))
			n--;
		size_t lead = 0;
		while (lead < n && isspace((unsigned char)line[lead]))
			lead++;
		if (lead == n || line[lead] == '#')
			continue;
		_cleanup_free_ char *entry = strndup(line + lead, n - lead);
		if (!entry)
			return cell_error_set(err, ENOMEM, "out of memory");
		char *eq = strchr(entry, '=');
		size_t klen = eq ? (size_t)(eq - entry) : strlen(entry);
		/* Trailing blanks of a bare name do not belong to it. */
		if (!eq)
			while (klen && isspace((unsigned char)entry[klen - 1]))
				entry[--klen] = '\0';
		if (!env_key_valid(entry, klen))
			return cell_error_set(err, EINVAL, "%s:%zu: \"%s\" is not KEY=VALUE", what, lineno,
					      entry);
		cell_error *e = NULL;
		if (opt_add_env(entry, env, &e) < 0) {
			cell_error_free(e);
			return cell_error_set(err, ENOMEM, "out of memory");
		}
	}
	return 0;
}

int opt_parse_label(const char *s, char **key, char **value, cell_error **err)
{
	const char *eq = strchr(s, '=');
	size_t kl = eq ? (size_t)(eq - s) : strlen(s);
	if (kl == 0)
		return cell_error_set(err, EINVAL, "--label \"%s\": the label has no name", s);
	*key = strndup(s, kl);
	*value = strdup(eq ? eq + 1 : "");
	if (!*key || !*value) {
		free(*key);
		free(*value);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

static int parse_bool_word(const char *s, bool *out)
{
	if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

int opt_parse_security(const char *s, struct opt_security *sec, cell_error **err)
{
	/* Docker takes "key=value" and the older "key:value". */
	const char *sep = strpbrk(s, "=:");
	size_t kl = sep ? (size_t)(sep - s) : strlen(s);
	const char *v = sep ? sep + 1 : NULL;
	if (kl == strlen("no-new-privileges") && strncmp(s, "no-new-privileges", kl) == 0) {
		bool b = true;
		if (v && parse_bool_word(v, &b) < 0)
			return cell_error_set(err, EINVAL, "--security-opt \"%s\": expects true or false", s);
		sec->no_new_privileges = b;
		return 0;
	}
	if (!v || !*v)
		return cell_error_set(err, EINVAL, "--security-opt \"%s\": expects KEY=VALUE", s);
	if (kl == 7 && strncmp(s, "seccomp", kl) == 0) {
		free(sec->seccomp_profile);
		sec->seccomp_profile = NULL;
		sec->seccomp_unconfined = strcmp(v, "unconfined") == 0;
		if (!sec->seccomp_unconfined && !(sec->seccomp_profile = strdup(v)))
			return cell_error_set(err, ENOMEM, "out of memory");
		return 0;
	}
	if (kl == 8 && strncmp(s, "apparmor", kl) == 0) {
		free(sec->apparmor);
		sec->apparmor = strdup(v);
		return sec->apparmor ? 0 : cell_error_set(err, ENOMEM, "out of memory");
	}
	if (kl == 5 && strncmp(s, "label", kl) == 0) {
		if (strcmp(v, "disable") == 0) {
			sec->label_disable = true;
			return 0;
		}
		return cell_error_set(
		    err, EINVAL, "--security-opt \"%s\": only label=disable is supported (no SELinux here)",
		    s);
	}
	return cell_error_set(
	    err, EINVAL,
	    "--security-opt \"%s\": unknown option (seccomp=, no-new-privileges, apparmor=, "
	    "label=disable)",
	    s);
}

void opt_security_clear(struct opt_security *sec)
{
	free(sec->seccomp_profile);
	free(sec->apparmor);
	memset(sec, 0, sizeof(*sec));
}

int opt_parse_cap(const char *s, char *out, size_t len, cell_error **err)
{
	if (strcasecmp(s, "ALL") == 0) {
		snprintf(out, len, "ALL");
		return 0;
	}
	char name[64];
	const char *base = strncasecmp(s, "CAP_", 4) == 0 ? s + 4 : s;
	if (strlen(base) + 5 > sizeof(name) || !*base)
		return cell_error_set(err, EINVAL, "unknown capability \"%s\"", s);
	snprintf(name, sizeof(name), "CAP_%s", base);
	for (char *p = name; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if (caps_from_name(name) < 0)
		return cell_error_set(err, EINVAL, "unknown capability \"%s\"", s);
	snprintf(out, len, "%s", name);
	return 0;
}

int opt_parse_duration(const char *s, int64_t *ns, cell_error **err)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = {{"ns", 1},  {"us", 1e3}, {"µs", 1e3},  {"ms", 1e6},
		     {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
	if (!s || !*s)
		return cell_error_set(err, EINVAL, "empty duration");
	double total = 0;
	const char *p = s;
	while (*p) {
		char *end;
		errno = 0;
		double v = strtod(p, &end);
		if (end == p || errno || v < 0 || !isdigit((unsigned char)*p))
			return cell_error_set(err, EINVAL, "invalid duration \"%s\"", s);
		p = end;
		size_t best = 0, bl = 0;
		for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
			size_t l = strlen(units[i].unit);
			/* "m" must not take the "m" of "ms". */
			if (strncmp(p, units[i].unit, l) == 0 && l > bl) {
				best = i;
				bl = l;
			}
		}
		if (!bl)
			return cell_error_set(err, EINVAL,
					      "invalid duration \"%s\" (units: ns, us, ms, s, m, h)", s);
		total += v * units[best].ns;
		p += bl;
	}
	if (total > 9.2e18)
		return cell_error_set(err, ERANGE, "duration \"%s\" is too long", s);
	*ns = (int64_t)total;
	return 0;
}

bool opt_rfc3339_ns(const char *s, int64_t *out)
{
	struct tm tm = {0};
	const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest) {
		memset(&tm, 0, sizeof(tm));
		rest = strptime(s, "%Y-%m-%d", &tm);
		if (!rest || *rest)
			return false;
	}
	int64_t secs = (int64_t)timegm(&tm);
	int64_t frac = 0;
	if (*rest == '.') {
		int digits = 0;
		rest++;
		while (isdigit((unsigned char)*rest)) {
			if (digits < 9) {
				frac = frac * 10 + (*rest - '0');
				digits++;
			}
			rest++;
		}
		if (!digits)
			return false;
		while (digits++ < 9)
			frac *= 10;
	}
	if (*rest == 'Z' || *rest == 'z') {
		rest++;
	} else if (*rest == '+' || *rest == '-') {
		int hh, mm;
		char sign = *rest;
		if (strlen(rest) != 6 || sscanf(rest + 1, "%2d:%2d", &hh, &mm) != 2 || hh > 23 || mm > 59)
			return false;
		secs -= (sign == '+' ? 1 : -1) * (int64_t)(hh * 3600 + mm * 60);
		rest += 6;
	}
	if (*rest)
		return false;
	/* Nanoseconds since 1970 in 64 bits end in 2262: later is malformed. */
	if (__builtin_mul_overflow(secs, 1000000000LL, out) || __builtin_add_overflow(*out, frac, out))
		return false;
	return true;
}

int opt_parse_time(const char *s, int64_t now_ns, int64_t *out_ns, cell_error **err)
{
	if (!s || !*s)
		return cell_error_set(err, EINVAL, "empty time");
	if (opt_rfc3339_ns(s, out_ns))
		return 0;
	/* Unix seconds, maybe with a fraction. */
	const char *p = s;
	while (isdigit((unsigned char)*p))
		p++;
	if (p != s && (*p == '\0' || (*p == '.' && isdigit((unsigned char)p[1])))) {
		char *end;
		errno = 0;
		double v = strtod(s, &end);
		if (!*end && !errno && v < 9.2e9) {
			*out_ns = (int64_t)(v * 1e9);
			return 0;
		}
	}
	int64_t d;
	cell_error *e = NULL;
	if (opt_parse_duration(s, &d, &e) == 0) {
		*out_ns = now_ns - d;
		return 0;
	}
	cell_error_free(e);
	return cell_error_set(err, EINVAL,
			      "\"%s\" is not a time (RFC 3339, Unix seconds, or a duration such as 10m)", s);
}
