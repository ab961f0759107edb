/* cell rmi: untag or remove images; refuses images in use unless -f. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strv.h"
#include "commands.h"

int cmd_rmi(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"all", no_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool force = false, all = false;
	int c;
	while ((c = getopt_long(argc, argv, "+fah", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case 'a':
			all = true;
			break;
		case 'h':
			cli_print_help("rmi", "IMAGE...",
				       "Remove images: a name untags, the last name or an ID removes.",
				       "  -f, --force   remove images in use, and the containers using them\n"
				       "  -a, --all     remove every image\n");
			return 0;
		default:
			return cli_usage_error("rmi", "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind >= argc && !all)
		return cli_usage_error("rmi", "expects at least one image");
	if (optind < argc && all)
		return cli_usage_error("rmi", "--all takes no images");
	cell_error *err = NULL;
	_cleanup_(image_store_freep) struct image_store *s = NULL;
	if (cli_open_store(g, &s, &err) < 0 || image_store_lock(s, true, &err) < 0)
		return cli_fail(err);
	_cleanup_strv_ char **refs = NULL;
	if (all) {
		struct image *v = NULL;
		size_t n = 0;
		if (image_store_list(s, &v, &n, &err) < 0)
			return cli_fail(err);
		for (size_t i = 0; i < n; i++)
			strv_push(&refs, v[i].id);
		image_list_free(v, n);
		force = true;
	} else {
		for (int i = optind; i < argc; i++)
			strv_push(&refs, argv[i]);
	}
	struct removal out = {0};
	int r = refs ? image_store_remove(s, (const char *const *)refs, force, &out, &err) : 0;
	image_store_unlock(s);
	for (size_t i = 0; out.untagged && out.untagged[i]; i++)
		printf("Untagged: %s\n", out.untagged[i]);
	for (size_t i = 0; out.deleted && out.deleted[i]; i++)
		printf("Deleted: %s\n", digest_hex(out.deleted[i]));
	removal_clear(&out);
	return r < 0 ? cli_fail(err) : 0;
}
