/* cell cp [-L] [-a] SRC DST: CONTAINER:PATH on one side. */
#include "commands.h"
#include "engine/copy.h"

int cmd_cp(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"follow-link", no_argument, NULL, 'L'},
	    {"archive", no_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct cp_request req = {0};
	int o;
	while ((o = getopt_long(argc, argv, "+Lah", opts, NULL)) != -1) {
		switch (o) {
		case 'L':
			req.follow_link = true;
			break;
		case 'a':
			req.archive = true;
			break;
		case 'h':
			cli_print_help(
			    "cp", "SRC DST",
			    "Copy files between a container and the host: CONTAINER:PATH on one side.\n"
			    "A symlink in the container never leads the copy outside it.",
			    "  -L, --follow-link   copy what a source symlink points to\n"
			    "  -a, --archive       keep owners (default: root in a container, us on the "
			    "host)\n");
			return 0;
		default:
			return cli_usage_error("cp", "unknown or incomplete flag %s", argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return cli_usage_error("cp", "requires a source and a destination");
	req.src = argv[optind];
	req.dst = argv[optind + 1];
	cell_error *err = NULL;
	_cleanup_engine_ struct engine *e = NULL;
	if (cli_open_engine(g, &e, &err) < 0 || engine_cp(e, &req, &err) < 0)
		return cli_fail(err);
	return 0;
}
