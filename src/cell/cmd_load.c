/* cell load -i FILE: docker-archive or oci-archive into the store. */
#include <stdio.h>
#include <unistd.h>

#include "base/strv.h"
#include "commands.h"
#include "image/archive.h"

int cmd_load(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"input", required_argument, NULL, 'i'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"platform", required_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *input = NULL, *platform = NULL;
	bool quiet = false;
	int c;
	while ((c = getopt_long(argc, argv, "+i:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			input = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'p':
			platform = optarg;
			break;
		case 'h':
			cli_print_help("load", "", "Load images from a docker-archive or an oci-archive.",
				       "  -i, --input FILE      the archive (default: standard input)\n"
				       "      --platform OS/ARCH[/VARIANT]  the image to take from a "
				       "multi-platform archive\n"
				       "  -q, --quiet           print nothing\n");
			return 0;
		default:
			return cli_usage_error("load", "unknown or incomplete option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("load", "unexpected argument \"%s\" (use -i FILE)", argv[optind]);
	if (!input && isatty(STDIN_FILENO))
		return cli_usage_error("load", "no archive: give -i FILE or pipe one in");
	cell_error *err = NULL;
	struct platform p;
	if (platform && platform_parse(platform, &p, &err) < 0)
		return cli_fail(err);
	_cleanup_(image_store_freep) struct image_store *s = NULL;
	if (cli_open_store(g, &s, &err) < 0)
		return cli_fail(err);
	_cleanup_strv_ char **loaded = NULL;
	if (image_archive_load(s, input ? input : "-", platform ? &p : NULL, &loaded, &err) < 0)
		return cli_fail(err);
	for (size_t i = 0; !quiet && loaded[i]; i++)
		printf("Loaded image: %s\n", loaded[i]);
	return 0;
}
