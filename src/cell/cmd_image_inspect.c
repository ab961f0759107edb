/* cell image inspect: a JSON array with one document per image. */
#include <stdio.h>

#include "base/json.h"
#include "commands.h"
#include "image/inspect.h"

int cmd_image_inspect(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	int c;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			cli_print_help("image inspect", "IMAGE...", "Show images in detail, as JSON.", NULL);
			return 0;
		}
		return cli_usage_error("image inspect", "unknown option %s", argv[optind - 1]);
	}
	if (optind >= argc)
		return cli_usage_error("image inspect", "expects at least one image");
	cell_error *err = NULL;
	_cleanup_(image_store_freep) struct image_store *s = NULL;
	if (cli_open_store(g, &s, &err) < 0 || image_store_lock(s, false, &err) < 0)
		return cli_fail(err);
	_cleanup_json_ json_t *out = json_array();
	for (int i = optind; i < argc; i++) {
		struct image img;
		if (image_store_resolve(s, argv[i], &img, NULL, &err) < 0)
			return cli_fail(err);
		json_array_append_new(out, image_inspect_json(s, &img));
		image_clear(&img);
	}
	image_store_unlock(s);
	json_dumpf(out, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	putchar('\n');
	return 0;
}
