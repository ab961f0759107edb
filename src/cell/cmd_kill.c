/* cell kill [-s SIGNAL] CONTAINER... */
#include <signal.h>
#include <stdio.h>

#include "commands.h"
#include "engine/lifecycle.h"
#include "engine/options.h"

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
	int status = 0;
	for (int i = optind; i < argc; i++) {
		if (engine_kill(e, argv[i], sig, &err) < 0) {
			status = cli_fail(err);
			err = NULL;
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return status;
}
