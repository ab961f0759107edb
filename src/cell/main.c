/* cell: the engine CLI. For now it only knows who it is; the image store and
 * the engine commands arrive with their issues. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cell-config.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: cell [OPTIONS] COMMAND [ARG...]\n"
		   "\n"
		   "A daemonless container engine.\n"
		   "\n"
		   "Options:\n"
		   "  -h, --help       Show this help\n"
		   "  -v, --version    Show the version\n"
		   "\n"
		   "Commands:\n"
		   "  version          Show the version\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'v'},
	    {0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
			printf("cell version %s (commit %s)\n", CELL_VERSION, CELL_COMMIT);
			return 0;
		default:
			usage(stderr);
			return 125;
		}
	}
	if (optind < argc && strcmp(argv[optind], "version") == 0) {
		printf("cell version %s (commit %s)\n", CELL_VERSION, CELL_COMMIT);
		return 0;
	}
	if (optind < argc) {
		fprintf(stderr, "cell: unknown command \"%s\"; see 'cell --help'\n", argv[optind]);
		return 125;
	}
	usage(stdout);
	return 0;
}
