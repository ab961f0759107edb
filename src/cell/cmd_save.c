/* cell save -o FILE IMAGE...: a docker-archive (default) or oci-archive. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "image/archive.h"

int cmd_save(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"format", required_argument, NULL, 'f'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *output = NULL, *format = "docker-archive";
	int c;
	while ((c = getopt_long(argc, argv, "+o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'q':
			break;
		case 'h':
			cli_print_help("save", "IMAGE...", "Write images to an archive.",
				       "  -o, --output FILE   the archive (default: standard output)\n"
				       "      --format FMT    docker-archive (default) or oci-archive\n");
			return 0;
		default:
			return cli_usage_error("save", "unknown or incomplete option %s", argv[optind - 1]);
		}
	}
	enum archive_format f;
	if (strcmp(format, "docker-archive") == 0)
		f = ARCHIVE_DOCKER;
	else if (strcmp(format, "oci-archive") == 0)
		f = ARCHIVE_OCI;
	else
		return cli_usage_error("save", "--format: must be docker-archive or oci-archive, got \"%s\"",
				       format);
	if (optind >= argc)
		return cli_usage_error("save", "expects at least one image");
	if (!output && isatty(STDOUT_FILENO))
		return cli_usage_error("save", "refusing to write an archive to a terminal: give -o FILE");
	cell_error *err = NULL;
	_cleanup_(image_store_freep) struct image_store *s = NULL;
	if (cli_open_store(g, &s, &err) < 0)
		return cli_fail(err);
	if (image_archive_save(s, (const char *const *)argv + optind, f, output ? output : "-", &err) < 0)
		return cli_fail(err);
	return 0;
}
