/* cell stop [-t N] CONTAINER...: the stop signal, then SIGKILL. */
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "engine/lifecycle.h"

static int stop_one(struct engine *e, const char *name, void *timeout, cell_error **err)
{
	return engine_stop(e, name, *(int *)timeout, err);
}

int cmd_stop(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"time", required_argument, NULL, 't'},
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int timeout = -1;
	int o;
	while ((o = getopt_long(argc, argv, "+t:h", opts, NULL)) != -1) {
		switch (o) {
		case 't':
			if (cli_stop_time("stop", optarg, &timeout) != 0)
				return EXIT_CELL_FAILED;
			break;
		case 'h':
			cli_print_help("stop", "CONTAINER...",
				       "Stop running containers: the stop signal, then SIGKILL.",
				       "  -t, --time N   seconds to wait before SIGKILL (default: the "
				       "container's, 10)\n");
			return 0;
		default:
			return cli_usage_error("stop", "unknown or incomplete flag %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("stop", "requires at least one container");
	cell_error *err = NULL;
	_cleanup_engine_ struct engine *e = NULL;
	if (cli_open_engine(g, &e, &err) < 0)
		return cli_fail(err);
	return cli_each_container(e, argv + optind, (size_t)(argc - optind), stop_one, &timeout);
}
