/* cell rename CONTAINER NEW_NAME */
#include "commands.h"
#include "engine/lifecycle.h"

int cmd_rename(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	int o;
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (o == 'h') {
			cli_print_help("rename", "CONTAINER NEW_NAME", "Rename a container.", "");
			return 0;
		}
		return cli_usage_error("rename", "unknown or incomplete flag %s", argv[optind - 1]);
	}
	if (argc - optind != 2)
		return cli_usage_error("rename", "requires a container and its new name");
	cell_error *err = NULL;
	_cleanup_engine_ struct engine *e = NULL;
	if (cli_open_engine(g, &e, &err) < 0 || engine_rename(e, argv[optind], argv[optind + 1], &err) < 0)
		return cli_fail(err);
	return 0;
}
