/* cell rm [-f] [-v] CONTAINER... */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "engine/lifecycle.h"

struct rm_flags {
	bool force, volumes;
};

static int rm_one(struct engine *e, const char *name, void *flags, cell_error **err)
{
	const struct rm_flags *f = flags;
	char id[CTR_ID_LEN + 1];
	int r = ctr_resolve(e, name, id, err);
	return r < 0 ? r : engine_remove(e, id, f->force, f->volumes, err);
}

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
	struct rm_flags flags = {.force = force, .volumes = volumes};
	int status = 0;
	if (all) {
		struct ctr **v = NULL;
		size_t n = 0;
		if (ctr_list(e, &v, &n, &err) < 0)
			return cli_fail(err);
		_cleanup_free_ char **ids = calloc(n ? n : 1, sizeof(char *));
		if (!ids) {
			ctr_list_free(v, n);
			cell_error_set(&err, ENOMEM, "out of memory");
			return cli_fail(err);
		}
		for (size_t i = 0; i < n; i++)
			ids[i] = v[i]->id;
		status = cli_each_container(e, ids, n, rm_one, &flags);
		ctr_list_free(v, n);
	}
	int r = cli_each_container(e, argv + optind, (size_t)(argc - optind), rm_one, &flags);
	return r ? r : status;
}
