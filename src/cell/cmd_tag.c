/* cell tag IMAGE NAME...: more names for an image. */
#include "commands.h"

int cmd_tag(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	int c;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			cli_print_help("tag", "IMAGE NAME...", "Give an image more names.", NULL);
			return 0;
		}
		return cli_usage_error("tag", "unknown option %s", argv[optind - 1]);
	}
	if (argc - optind < 2)
		return cli_usage_error("tag", "expects an image and at least one new name");
	cell_error *err = NULL;
	_cleanup_(image_store_freep) struct image_store *s = NULL;
	if (cli_open_store(g, &s, &err) < 0 || image_store_lock(s, true, &err) < 0)
		return cli_fail(err);
	int r = image_store_tag(s, argv[optind], (const char *const *)argv + optind + 1, &err);
	image_store_unlock(s);
	return r < 0 ? cli_fail(err) : 0;
}
