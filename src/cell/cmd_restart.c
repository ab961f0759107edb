/* cell restart [-t N] CONTAINER...: stop, then start. */
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "engine/launch.h"
#include "engine/lifecycle.h"

static int restart_one(struct engine *e, const char *name, void *timeout, cell_error **err)
{
	char id[CTR_ID_LEN + 1];
	struct launch_request lr = {0};
	struct launch_result res;
	int r = ctr_resolve(e, name, id, err);
	if (r == 0)
		r = engine_stop(e, id, *(int *)timeout, err);
	return r < 0 ? r : engine_launch(e, id, &lr, &res, err);
}

int cmd_restart(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"time", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int timeout = -1;
	int o;
	while ((o = getopt_long(argc, argv, "+t:h", opts, NULL)) != -1) {
		switch (o) {
		case 't':
			if (cli_stop_time("restart", optarg, &timeout) != 0)
				return EXIT_CELL_FAILED;
			break;
		case 'h':
			cli_print_help("restart", "CONTAINER...", "Restart containers (stop, then start).",
				       "  -t, --time N   seconds to wait before SIGKILL (default: the "
				       "container's, 10)\n");
			return 0;
		default:
			return cli_usage_error("restart", "unknown or incomplete flag %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("restart", "requires at least one container");
	cell_error *err = NULL;
	_cleanup_engine_ struct engine *e = NULL;
	if (cli_open_engine(g, &e, &err) < 0)
		return cli_fail(err);
	return cli_each_container(e, argv + optind, (size_t)(argc - optind), restart_one, &timeout);
}
