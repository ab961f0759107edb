/* cell logs [-f] [--tail N] [--since T] [--until T] [-t] CONTAINER */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "engine/logs.h"
#include "engine/options.h"

int cmd_logs(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"follow", no_argument, NULL, 'f'},
	    {"tail", required_argument, NULL, 'n'},
	    {"since", required_argument, NULL, 's'},
	    {"until", required_argument, NULL, 'u'},
	    {"timestamps", no_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct logs_options lo = {.tail = -1};
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	cell_error *err = NULL;
	int o;
	while ((o = getopt_long(argc, argv, "+fn:th", opts, NULL)) != -1) {
		switch (o) {
		case 'f':
			lo.follow = true;
			break;
		case 'n': {
			char *end;
			long long n = strtoll(optarg, &end, 10);
			if (strcmp(optarg, "all") == 0)
				lo.tail = -1;
			else if (!*optarg || *end || n < 0)
				return cli_usage_error("logs", "--tail \"%s\": must be a number or all",
						       optarg);
			else
				lo.tail = n;
			break;
		}
		case 's':
			if (opt_parse_time(optarg, now, &lo.since_ns, &err) < 0)
				return cli_fail(err);
			break;
		case 'u':
			if (opt_parse_time(optarg, now, &lo.until_ns, &err) < 0)
				return cli_fail(err);
			break;
		case 't':
			lo.timestamps = true;
			break;
		case 'h':
			cli_print_help(
			    "logs", "CONTAINER", "Show a container's output.",
			    "  -f, --follow        keep printing new output until it stops\n"
			    "  -n, --tail N        only the last N lines\n"
			    "      --since TIME    only output after TIME (RFC 3339, Unix seconds, or 10m)\n"
			    "      --until TIME    only output before TIME\n"
			    "  -t, --timestamps    show each line's time\n");
			return 0;
		default:
			return cli_usage_error("logs", "unknown or incomplete flag %s", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("logs", "requires one container");
	_cleanup_engine_ struct engine *e = NULL;
	if (cli_open_engine(g, &e, &err) < 0 || engine_logs(e, argv[optind], &lo, &err) < 0)
		return cli_fail(err);
	return 0;
}
