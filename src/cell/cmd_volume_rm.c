/* cell volume rm [-f] VOLUME... */
#include <stdio.h>

#include "commands.h"
#include "engine/volumes.h"

int cmd_volume_rm(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool force = false;
	int o;
	while ((o = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
		if (o == 'f') {
			force = true;
			continue;
		}
		if (o == 'h') {
			cli_print_help("volume rm", "VOLUME...", "Remove volumes.",
				       "  -f, --force   remove volumes in use too\n");
			return 0;
		}
		return cli_usage_error("volume rm", "unknown or incomplete flag %s", argv[optind - 1]);
	}
	if (optind >= argc)
		return cli_usage_error("volume rm", "requires at least one volume");
	cell_error *err = NULL;
	_cleanup_engine_ struct engine *e = NULL;
	if (cli_open_engine(g, &e, &err) < 0 || engine_lock(e, true, &err) < 0)
		return cli_fail(err);
	int status = 0;
	for (int i = optind; i < argc; i++) {
		if (volume_remove(e, argv[i], force, &err) < 0) {
			status = cli_fail(err);
			err = NULL;
			continue;
		}
		printf("%s\n", argv[i]);
	}
	engine_unlock(e);
	return status;
}
