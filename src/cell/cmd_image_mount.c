/* cell image mount / unmount: an image's root file system, read-only. */
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"

static int mount_or_unmount(const struct global_opts *g, int argc, char **argv, bool mount)
{
	const char *cmd = mount ? "image mount" : "image unmount";
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	int c;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			cli_print_help(cmd, "IMAGE",
				       mount ? "Mount an image's layers read-only and print the path."
					     : "Unmount what image mount mounted.",
				       NULL);
			return 0;
		}
		return cli_usage_error(cmd, "unknown option %s", argv[optind - 1]);
	}
	if (optind + 1 != argc)
		return cli_usage_error(cmd, "expects exactly one image");
	cell_error *err = NULL;
	_cleanup_(image_store_freep) struct image_store *s = NULL;
	if (cli_open_store(g, &s, &err) < 0 || image_store_lock(s, true, &err) < 0)
		return cli_fail(err);
	struct image img;
	if (image_store_resolve(s, argv[optind], &img, NULL, &err) < 0)
		return cli_fail(err);
	char key[16];
	snprintf(key, sizeof(key), "%.12s", digest_hex(img.id));
	int r;
	if (mount) {
		_cleanup_free_ char *path = NULL;
		r = storage_image_mount(s->storage, key, img.n_layers, img.chain_ids, &path, &err);
		if (r == 0)
			printf("%s\n", path);
	} else {
		r = storage_image_unmount(s->storage, key, &err);
	}
	image_clear(&img);
	image_store_unlock(s);
	return r < 0 ? cli_fail(err) : 0;
}

int cmd_image_mount(const struct global_opts *g, int argc, char **argv)
{
	return mount_or_unmount(g, argc, argv, true);
}

int cmd_image_unmount(const struct global_opts *g, int argc, char **argv)
{
	return mount_or_unmount(g, argc, argv, false);
}
