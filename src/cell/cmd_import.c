/* cell import TARBALL [NAME]: a root file system becomes an image. */
#include <stdio.h>
#include <stdlib.h>

#include "base/strv.h"
#include "commands.h"
#include "image/archive.h"

int cmd_import(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"change", required_argument, NULL, 'c'},   {"message", required_argument, NULL, 'm'},
	    {"platform", required_argument, NULL, 'p'}, {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},           {0},
	};
	_cleanup_strv_ char **changes = NULL;
	const char *message = NULL, *platform = NULL;
	bool quiet = false;
	int c;
	while ((c = getopt_long(argc, argv, "+c:m:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			strv_push(&changes, optarg);
			break;
		case 'm':
			message = optarg;
			break;
		case 'p':
			platform = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			cli_print_help(
			    "import", "TARBALL [NAME]",
			    "Make a one-layer image of a root file system tarball (\"-\": standard "
			    "input; plain, gzip, zstd or xz).",
			    "  -c, --change INSTR    apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV, "
			    "EXPOSE,\n"
			    "                        LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR)\n"
			    "  -m, --message TEXT    history comment\n"
			    "      --platform OS/ARCH[/VARIANT]  the image's platform (default: this "
			    "host's)\n"
			    "  -q, --quiet           print nothing\n");
			return 0;
		default:
			return cli_usage_error("import", "unknown or incomplete option %s", argv[optind - 1]);
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		return cli_usage_error("import", "expects a tarball and an optional name");
	cell_error *err = NULL;
	struct platform p;
	if (platform && platform_parse(platform, &p, &err) < 0)
		return cli_fail(err);
	_cleanup_(image_store_freep) struct image_store *s = NULL;
	if (cli_open_store(g, &s, &err) < 0)
		return cli_fail(err);
	struct import_options o = {
	    .name = argc - optind == 2 ? argv[optind + 1] : NULL,
	    .changes = (const char *const *)changes,
	    .message = message,
	    .platform = platform ? &p : NULL,
	};
	char id[DIGEST_BUF];
	if (image_import(s, argv[optind], &o, id, &err) < 0)
		return cli_fail(err);
	if (!quiet)
		printf("%s\n", digest_hex(id));
	return 0;
}
