/* cell wait CONTAINER...: block until each stops; print its exit code. */
#include <stdio.h>

#include "commands.h"
#include "engine/lifecycle.h"

int cmd_wait(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	int o;
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (o == 'h') {
			cli_print_help("wait", "CONTAINER...",
				       "Wait for containers to stop and print their exit codes.", "");
			return 0;
		}
		return cli_usage_error("wait", "unknown or incomplete flag %s", argv[optind - 1]);
	}
	if (optind >= argc)
		return cli_usage_error("wait", "requires at least one container");
	cell_error *err = NULL;
	_cleanup_engine_ struct engine *e = NULL;
	if (cli_open_engine(g, &e, &err) < 0)
		return cli_fail(err);
	int status = 0;
	for (int i = optind; i < argc; i++) {
		int code;
		if (engine_wait(e, argv[i], &code, &err) < 0) {
			status = cli_fail(err);
			err = NULL;
			continue;
		}
		printf("%d\n", code);
		fflush(stdout);
	}
	return status;
}
