/* cell volume create [--label K=V] [--opt K=V] [--driver local] [NAME] */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "engine/options.h"
#include "engine/volumes.h"

int cmd_volume_create(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"label", required_argument, NULL, 'l'},  {"opt", required_argument, NULL, 'o'},
	    {"driver", required_argument, NULL, 'd'}, {"name", required_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},         {0},
	};
	_cleanup_json_ json_t *labels = json_object(), *options = json_object();
	const char *name = NULL;
	cell_error *err = NULL;
	int o;
	while ((o = getopt_long(argc, argv, "+l:o:d:h", opts, NULL)) != -1) {
		char *k, *v;
		switch (o) {
		case 'l':
		case 'o':
			if (opt_parse_label(optarg, &k, &v, &err) < 0)
				return cli_fail(err);
			json_object_set_new(o == 'l' ? labels : options, k, json_string(v));
			free(k);
			free(v);
			break;
		case 'd':
			if (strcmp(optarg, "local") != 0)
				return cli_usage_error("volume create",
						       "--driver \"%s\": only local is known", optarg);
			break;
		case 'n':
			name = optarg;
			break;
		case 'h':
			cli_print_help("volume create", "[NAME]",
				       "Create a volume (a random name without one).",
				       "  -l, --label KEY=VALUE   a label\n"
				       "  -o, --opt KEY=VALUE     a driver option (kept in its record)\n"
				       "  -d, --driver local      the driver (only local)\n");
			return 0;
		default:
			return cli_usage_error("volume create", "unknown or incomplete flag %s",
					       argv[optind - 1]);
		}
	}
	if (optind < argc)
		name = argv[optind++];
	if (optind < argc)
		return cli_usage_error("volume create", "takes at most one name");
	_cleanup_engine_ struct engine *e = NULL;
	_cleanup_free_ char *made = NULL;
	if (cli_open_engine(g, &e, &err) < 0 || engine_lock(e, true, &err) < 0)
		return cli_fail(err);
	int r = volume_debris(e, true, NULL, &err);
	if (r == 0)
		r = volume_create(e, name, labels, options, &made, NULL, &err);
	engine_unlock(e);
	if (r < 0)
		return cli_fail(err);
	printf("%s\n", made);
	return 0;
}
