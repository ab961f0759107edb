#include <signal.h>

#include "base/signal.h"
#include "commands.h"
#include "runtime/lifecycle.h"

int cmd_kill(const struct runtime_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"all", no_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool all = false;
	int c;
	while ((c = getopt_long_only(argc, argv, "+ah", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'h':
			cli_print_help(
			    "kill", "CONTAINER_ID [SIGNAL]",
			    "Send SIGNAL (default SIGTERM; a name or a number) to the container's init.",
			    "  -a, --all   send it to every process of the container\n");
			return 0;
		default:
			return cli_usage_error("kill", "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("kill", "missing the container id");
	if (argc - optind > 2)
		return cli_usage_error("kill", "unexpected argument \"%s\"", argv[optind + 2]);
	int sig = SIGTERM;
	if (argc - optind == 2 && (sig = signal_parse(argv[optind + 1])) < 0)
		return cli_usage_error("kill", "unknown signal \"%s\"", argv[optind + 1]);
	cell_error *err = NULL;
	if (runtime_kill(g, argv[optind], sig, all, &err) < 0)
		return cli_fail(err);
	return 0;
}
