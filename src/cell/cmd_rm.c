/* cell rm [-f] [-v] CONTAINER... */
#include <stdio.h>

#include "commands.h"
#include "engine/lifecycle.h"

int cmd_rm(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"volumes", no_argument, NULL, 'v'},
	    {"all", no_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool force = false, volumes = false, all = false;
	int o;
	while ((o = getopt_long(argc, argv, "+fvah", opts, NULL)) != -1) {
		switch (o) {
		case 'f':
			force = true;
			break;
		case 'v':
			volumes = true;
			break;
		case 'a':
			all = true;
			break;
		case 'h':
			cli_print_help("rm", "CONTAINER...", "Remove containers.",
				       "  -f, --force     remove running containers too (they are killed)\n"
				       "  -v, --volumes   remove their anonymous volumes too\n"
				       "  -a, --all       remove every container\n");
			return 0;
		default:
			return cli_usage_error("rm", "unknown or incomplete flag %s", argv[optind - 1]);
		}
	}
	if (optind >= argc && !all)
		return cli_usage_error("rm", "requires at least one container");
	cell_error *err = NULL;
	_cleanup_engine_ struct engine *e = NULL;
	if (cli_open_engine(g, &e, &err) < 0)
		return cli_fail(err);
	int status = 0;
	if (all) {
		struct ctr **v = NULL;
		size_t n = 0;
		if (ctr_list(e, &v, &n, &err) < 0)
			return cli_fail(err);
		for (size_t i = 0; i < n; i++) {
			if (engine_remove(e, v[i]->id, force, volumes, &err) < 0) {
				status = cli_fail(err);
				err = NULL;
				continue;
			}
			printf("%s\n", v[i]->id);
		}
		ctr_list_free(v, n);
	}
	for (int i = optind; i < argc; i++) {
		char id[CTR_ID_LEN + 1];
		if (ctr_resolve(e, argv[i], id, &err) < 0 || engine_remove(e, id, force, volumes, &err) < 0) {
			status = cli_fail(err);
			err = NULL;
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return status;
}
