/* cell kill [-s SIGNAL] CONTAINER... */
#include <signal.h>
#include <stdio.h>

#include "commands.h"
#include "engine/lifecycle.h"
#include "engine/options.h"

static int kill_one(struct engine *e, const char *name, void *sig, cell_error **err)
{
	return engine_kill(e, name, *(int *)sig, err);
}

int cmd_kill(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"signal", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int sig = SIGKILL;
	int o;
	cell_error *err = NULL;
	while ((o = getopt_long(argc, argv, "+s:h", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			if (opt_parse_signal(optarg, "--signal", &sig, &err) < 0)
				return cli_fail(err);
			break;
		case 'h':
			cli_print_help("kill", "CONTAINER...", "Send a signal to running containers.",
				       "  -s, --signal SIG   the signal (default SIGKILL)\n");
			return 0;
		default:
			return cli_usage_error("kill", "unknown or incomplete flag %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("kill", "requires at least one container");
	_cleanup_engine_ struct engine *e = NULL;
	if (cli_open_engine(g, &e, &err) < 0)
		return cli_fail(err);
	return cli_each_container(e, argv + optind, (size_t)(argc - optind), kill_one, &sig);
}
