/* cell image prune: remove images without names (-a: every unused image). */
#include <stdio.h>

#include "commands.h"

int cmd_image_prune(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"all", no_argument, NULL, 'a'},
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool all = false;
	int c;
	while ((c = getopt_long(argc, argv, "+afh", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'f':
			break; /* nothing asks for confirmation */
		case 'h':
			cli_print_help("image prune", "",
				       "Remove images without names that no container uses.",
				       "  -a, --all     remove every image no container uses\n"
				       "  -f, --force   accepted for Podman compatibility\n");
			return 0;
		default:
			return cli_usage_error("image prune", "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("image prune", "unexpected argument \"%s\"", argv[optind]);
	cell_error *err = NULL;
	_cleanup_(image_store_freep) struct image_store *s = NULL;
	if (cli_open_store(g, &s, &err) < 0 || image_store_lock(s, true, &err) < 0)
		return cli_fail(err);
	struct removal out = {0};
	int r = image_store_prune(s, all, &out, &err);
	image_store_unlock(s);
	for (size_t i = 0; out.deleted && out.deleted[i]; i++)
		printf("%s\n", digest_hex(out.deleted[i]));
	removal_clear(&out);
	return r < 0 ? cli_fail(err) : 0;
}
