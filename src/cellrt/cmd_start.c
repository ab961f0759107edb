#include "commands.h"
#include "runtime/lifecycle.h"

int cmd_start(const struct runtime_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	int c;
	while ((c = getopt_long_only(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			cli_print_help("start", "CONTAINER_ID", "Start the process of a created container.",
				       NULL);
			return 0;
		}
		return cli_usage_error("start", "unknown option %s", argv[optind - 1]);
	}
	if (optind + 1 != argc)
		return cli_usage_error("start", "expects exactly one container id");
	cell_error *err = NULL;
	if (runtime_start(g, argv[optind], &err) < 0)
		return cli_fail(err);
	return 0;
}
