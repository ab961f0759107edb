/* cell volume prune [-f] [-a] [--filter label=…] */
#include <stdio.h>
#include <string.h>

#include "base/strv.h"
#include "commands.h"
#include "engine/volumes.h"

int cmd_volume_prune(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"all", no_argument, NULL, 'a'},
	    {"filter", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool force = false, all = false;
	_cleanup_json_ json_t *labels = NULL;
	int o;
	while ((o = getopt_long(argc, argv, "+fah", opts, NULL)) != -1) {
		switch (o) {
		case 'f':
			force = true;
			break;
		case 'a':
			all = true;
			break;
		case 'F':
			if (strncmp(optarg, "label=", 6) != 0)
				return cli_usage_error("volume prune",
						       "--filter \"%s\": only label= is known", optarg);
			if (!labels)
				labels = json_array();
			json_array_append_new(labels, json_string(optarg + 6));
			break;
		case 'h':
			cli_print_help("volume prune", "",
				       "Remove volumes no container uses (anonymous ones; -a: all).",
				       "  -f, --force          do not ask for confirmation\n"
				       "  -a, --all            named volumes too\n"
				       "      --filter label=K[=V]   only volumes with that label\n");
			return 0;
		default:
			return cli_usage_error("volume prune", "unknown or incomplete flag %s",
					       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("volume prune", "unexpected argument \"%s\"", argv[optind]);
	if (!force &&
	    !cli_confirm(all ? "This will remove all volumes not used by at least one container."
			     : "This will remove anonymous volumes not used by at least one container."))
		return 0;
	cell_error *err = NULL;
	_cleanup_engine_ struct engine *e = NULL;
	if (cli_open_engine(g, &e, &err) < 0 || engine_lock(e, true, &err) < 0)
		return cli_fail(err);
	_cleanup_strv_ char **removed = NULL;
	uint64_t reclaimed = 0;
	int r = volume_debris(e, true, NULL, &err);
	if (r == 0)
		r = volume_prune(e, all, labels, &removed, &reclaimed, &err);
	engine_unlock(e);
	if (r < 0)
		return cli_fail(err);
	if (removed[0])
		printf("Deleted Volumes:\n");
	for (size_t i = 0; removed[i]; i++)
		printf("%s\n", removed[i]);
	char size[32];
	cli_human_size(reclaimed, size, sizeof(size));
	printf("%sTotal reclaimed space: %s\n", removed[0] ? "\n" : "", size);
	return 0;
}
