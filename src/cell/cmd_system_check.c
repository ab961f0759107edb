/* cell system check [--repair]: verify blobs, layers, images; exit 1 when
 * something is broken. */
#include <stdio.h>

#include "base/strv.h"
#include "commands.h"
#include "engine/check.h"
#include "image/check.h"

int cmd_system_check(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"repair", no_argument, NULL, 'r'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool repair = false, quiet = false;
	int c;
	while ((c = getopt_long(argc, argv, "+rqh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			repair = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			cli_print_help(
			    "system check", "",
			    "Verify every blob against its digest, every layer against its record and "
			    "every image against its parts.\nExits 1 when something is broken.",
			    "  -r, --repair   remove what is broken or orphaned, restore lost references\n"
			    "  -q, --quiet    print only problems\n");
			return 0;
		default:
			return cli_usage_error("system check", "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("system check", "unexpected argument \"%s\"", argv[optind]);
	cell_error *err = NULL;
	_cleanup_engine_ struct engine *e = NULL;
	if (cli_open_engine(g, &e, &err) < 0)
		return cli_fail(err);
	struct check_report rep = {0};
	if (image_store_check(e->store, repair, &rep, &err) < 0 || engine_check(e, repair, &rep, &err) < 0) {
		check_report_clear(&rep);
		return cli_fail(err);
	}
	for (size_t i = 0; rep.repaired && rep.repaired[i]; i++)
		printf("repaired: %s\n", rep.repaired[i]);
	for (size_t i = 0; rep.broken && rep.broken[i]; i++)
		printf("broken: %s\n", rep.broken[i]);
	for (size_t i = 0; rep.orphaned && rep.orphaned[i]; i++)
		printf("orphaned: %s\n", rep.orphaned[i]);
	size_t nb = strv_length(rep.broken), no = strv_length(rep.orphaned);
	if (!quiet || nb || no)
		printf(
		    "checked %zu blobs, %zu layers, %zu images, %zu containers: %zu broken, %zu orphaned\n",
		    rep.blobs, rep.layers, rep.images, rep.containers, nb, no);
	check_report_clear(&rep);
	return nb ? 1 : 0;
}
