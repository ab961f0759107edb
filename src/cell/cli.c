/* What every command of cell shares: errors, usage, the store, and how
 * sizes and times are shown. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "commands.h"
#include "engine/template.h"

int cli_fail(cell_error *err)
{
	log_error("%s", err ? err->msg : "unknown error");
	cell_error_free(err);
	return EXIT_CELL_FAILED;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cell_error *err = NULL;
	/* The top level is "cell" itself: no command word to repeat. */
	if (strcmp(cmd, "cell") == 0)
		cell_error_set(&err, EINVAL, "%s (see 'cell --help')", msg);
	else
		cell_error_set(&err, EINVAL, "%s: %s (see 'cell %s --help')", cmd, msg, cmd);
	return cli_fail(err);
}

void cli_reset_getopt(void)
{
	optind = 0;
	opterr = 0;
}

void cli_print_help(const char *cmd, const char *args, const char *summary, const char *help)
{
	printf("Usage: cell %s [OPTIONS]%s%s\n\n%s\n", cmd, *args ? " " : "", args, summary);
	if (help && *help)
		printf("\nOptions:\n%s", help);
}

int cli_open_store(const struct global_opts *g, struct image_store **out, cell_error **err)
{
	struct image_store_options o = {.root = g->root, .runroot = g->runroot, .driver = g->driver};
	return image_store_open(&o, out, err);
}

int cli_open_engine(const struct global_opts *g, struct engine **out, cell_error **err)
{
	struct engine_options o = {
	    .root = g->root, .runroot = g->runroot, .driver = g->driver, .log_level = g->log_level};
	return engine_open(&o, out, err);
}

int cli_print_formatted(const char *format, json_t *value, cell_error **err)
{
	if (!format || strcmp(format, "json") == 0) {
		json_dumpf(value, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
		putchar('\n');
		return 0;
	}
	/* A template applies to each element of a list. */
	size_t n = json_is_array(value) ? json_array_size(value) : 1;
	for (size_t i = 0; i < n; i++) {
		char *line = NULL;
		int r = template_render(format, json_is_array(value) ? json_array_get(value, i) : value,
					&line, err);
		if (r < 0)
			return r;
		printf("%s\n", line);
		free(line);
	}
	return 0;
}

void cli_human_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
	double v = (double)bytes;
	size_t u = 0;
	while (v >= 1000 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1000;
		u++;
	}
	snprintf(buf, len, "%.3g%s", v, units[u]);
}

int64_t cli_parse_time(const char *s)
{
	if (!s || !*s)
		return 0;
	struct tm tm = {0};
	const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest)
		return 0;
	int64_t t = (int64_t)timegm(&tm);
	if (*rest == '.')
		while (*++rest >= '0' && *rest <= '9')
			;
	if (*rest == '+' || *rest == '-') {
		int hh = 0, mm = 0;
		if (sscanf(rest + 1, "%d:%d", &hh, &mm) == 2)
			t -= (*rest == '+' ? 1 : -1) * (int64_t)(hh * 3600 + mm * 60);
	}
	return t;
}

void cli_human_age(const char *rfc3339, char *buf, size_t len)
{
	int64_t t = cli_parse_time(rfc3339);
	if (!t) {
		snprintf(buf, len, "%s", "");
		return;
	}
	int64_t d = (int64_t)time(NULL) - t;
	if (d < 1)
		snprintf(buf, len, "Less than a second ago");
	else if (d < 60)
		snprintf(buf, len, "%lld seconds ago", (long long)d);
	else if (d < 120)
		snprintf(buf, len, "About a minute ago");
	else if (d < 3600)
		snprintf(buf, len, "%lld minutes ago", (long long)(d / 60));
	else if (d < 7200)
		snprintf(buf, len, "About an hour ago");
	else if (d < 48 * 3600)
		snprintf(buf, len, "%lld hours ago", (long long)(d / 3600));
	else if (d < 14 * 86400)
		snprintf(buf, len, "%lld days ago", (long long)(d / 86400));
	else if (d < 60 * 86400)
		snprintf(buf, len, "%lld weeks ago", (long long)(d / (7 * 86400)));
	else if (d < 730 * 86400)
		snprintf(buf, len, "%lld months ago", (long long)(d / (30 * 86400)));
	else
		snprintf(buf, len, "%lld years ago", (long long)(d / (365 * 86400)));
}

int cli_dispatch(const char *group, const struct command *table, size_t n, const struct global_opts *g,
		 int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		FILE *f = argc < 2 ? stderr : stdout;
		fprintf(f, "Usage: cell %s COMMAND\n\nCommands:\n", group);
		for (size_t i = 0; i < n; i++)
			fprintf(f, "  %-10s %s\n", table[i].name, table[i].summary);
		return argc < 2 ? EXIT_CELL_FAILED : 0;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(table[i].name, argv[1]) == 0) {
			cli_reset_getopt();
			return table[i].run(g, argc - 1, argv + 1);
		}
	return cli_usage_error(group, "unknown command \"%s\"", argv[1]);
}

int cli_stop_time(const char *cmd, const char *arg, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(arg, &end, 10);
	/* a year at most: anything longer is a typo, and must not wrap an int */
	if (!*arg || *end || errno || v < 0 || v > 86400L * 365)
		return cli_usage_error(cmd, "--time \"%s\": must be seconds (0 to a year)", arg);
	*out = (int)v;
	return 0;
}

int cli_each_container(struct engine *e, char *const *names, size_t n, cli_container_fn fn, void *ctx)
{
	int status = 0;
	for (size_t i = 0; i < n; i++) {
		cell_error *err = NULL;
		if (fn(e, names[i], ctx, &err) < 0)
			status = cli_fail(err);
		else
			printf("%s\n", names[i]);
	}
	return status;
}

bool cli_confirm(const char *warning)
{
	fprintf(stderr, "WARNING! %s\nAre you sure you want to continue? [y/N] ", warning);
	char answer[16] = "";
	return fgets(answer, sizeof(answer), stdin) && (answer[0] == 'y' || answer[0] == 'Y');
}
