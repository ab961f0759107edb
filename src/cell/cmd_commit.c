/* cell commit [-a AUTHOR] [-m MSG] [-c CHANGE] [-p] CONTAINER [IMAGE]:
 * prints the new image's ID. */
#include <stdio.h>
#include <string.h>

#include "base/strv.h"
#include "commands.h"
#include "engine/commit.h"

int cmd_commit(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"author", required_argument, NULL, 'a'},
	    {"message", required_argument, NULL, 'm'},
	    {"change", required_argument, NULL, 'c'},
	    {"pause", optional_argument, NULL, 'p'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct commit_options co = {.pause = true};
	_cleanup_strv_ char **changes = NULL;
	int o;
	while ((o = getopt_long(argc, argv, "+a:m:c:pqh", opts, NULL)) != -1) {
		switch (o) {
		case 'a':
			co.author = optarg;
			break;
		case 'm':
			co.message = optarg;
			break;
		case 'c':
			strv_push(&changes, optarg);
			break;
		case 'p':
			co.pause = !optarg || strcmp(optarg, "true") == 0 || strcmp(optarg, "1") == 0;
			break;
		case 'q':
			break;
		case 'h':
			cli_print_help(
			    "commit", "CONTAINER [IMAGE[:TAG]]",
			    "Make an image of a container: its image's layers, its changes on top.",
			    "  -a, --author NAME       the image's author\n"
			    "  -m, --message TEXT      a comment in the image's history\n"
			    "  -c, --change INSTR      CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, "
			    "USER, "
			    "VOLUME, WORKDIR\n"
			    "  -p, --pause=true|false  freeze a running container meanwhile (default "
			    "true)\n");
			return 0;
		default:
			return cli_usage_error("commit", "unknown or incomplete flag %s", argv[optind - 1]);
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		return cli_usage_error("commit", "requires a container and at most one image name");
	co.name = argc - optind == 2 ? argv[optind + 1] : NULL;
	co.changes = (const char *const *)changes;
	cell_error *err = NULL;
	_cleanup_engine_ struct engine *e = NULL;
	char id[DIGEST_BUF];
	if (cli_open_engine(g, &e, &err) < 0 || engine_commit(e, argv[optind], &co, id, &err) < 0)
		return cli_fail(err);
	printf("%s\n", digest_hex(id));
	return 0;
}
