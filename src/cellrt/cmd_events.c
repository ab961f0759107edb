/* events: statistics and OOM notifications of a container, as JSON lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "commands.h"
#include "runtime/control.h"

/* "5s", "500ms", "1m", "2" (seconds) as milliseconds; -1 when invalid. */
static int parse_interval(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || v < 0)
		return -1;
	double ms;
	if (strcmp(end, "ms") == 0)
		ms = v;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		ms = v * 1000;
	else if (strcmp(end, "m") == 0)
		ms = v * 60000;
	else if (strcmp(end, "h") == 0)
		ms = v * 3600000;
	else
		return -1;
	if (ms < 1 || ms > 86400000)
		return -1;
	return (int)ms;
}

static int print_event(json_t *ev, void *data)
{
	json_dumpf(ev, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	putchar('\n');
	/* A reader that went away ends the stream. */
	return fflush(stdout) == 0 ? 0 : -1;
}

int cmd_events(const struct runtime_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"stats", no_argument, NULL, 's'},
	    {"interval", required_argument, NULL, 'i'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool stats = false;
	int interval = 5000, c;
	while ((c = getopt_long_only(argc, argv, "+si:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			stats = true;
			break;
		case 'i':
			if ((interval = parse_interval(optarg)) < 0)
				return cli_usage_error(
				    "events", "--interval: \"%s\" is not a duration such as 5s or 500ms",
				    optarg);
			break;
		case 'h':
			cli_print_help(
			    "events", "CONTAINER_ID",
			    "Print the container's statistics every interval and its OOM kills as they "
			    "happen, as JSON lines, until it stops.",
			    "  --stats            print the statistics once and exit\n"
			    "  --interval DURATION  between statistics (default 5s)\n");
			return 0;
		default:
			return cli_usage_error("events", "unknown or incomplete option %s", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("events", "expects exactly one container id");
	cell_error *err = NULL;
	if (stats) {
		_cleanup_json_ json_t *ev = NULL;
		if (runtime_stats(g, argv[optind], &ev, &err) < 0)
			return cli_fail(err);
		print_event(ev, NULL);
		return 0;
	}
	int r = runtime_events(g, argv[optind], interval, print_event, NULL, &err);
	if (r < 0 && err)
		return cli_fail(err);
	return r == 0 ? 0 : 1;
}
