/* cell restart [-t N] CONTAINER...: stop, then start. */
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "engine/launch.h"
#include "engine/lifecycle.h"

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
	int status = 0;
	for (int i = optind; i < argc; i++) {
		char id[CTR_ID_LEN + 1];
		struct launch_request lr = {0};
		struct launch_result res;
		if (ctr_resolve(e, argv[i], id, &err) < 0 || engine_stop(e, id, timeout, &err) < 0 ||
		    engine_launch(e, id, &lr, &res, &err) < 0) {
			status = cli_fail(err);
			err = NULL;
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return status;
}
