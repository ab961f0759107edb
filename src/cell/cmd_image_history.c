/* cell image history: the layers of an image and the steps that made them. */
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "commands.h"
#include "image/inspect.h"

int cmd_image_history(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"quiet", no_argument, NULL, 'q'},
	    {"no-trunc", no_argument, NULL, 'n'},
	    {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool quiet = false, notrunc = false;
	const char *format = "table";
	int c;
	while ((c = getopt_long(argc, argv, "+qf:h", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			quiet = true;
			break;
		case 'n':
			notrunc = true;
			break;
		case 'f':
			format = optarg;
			break;
		case 'h':
			cli_print_help("image history", "IMAGE",
				       "Show the history of an image, newest first.",
				       "  -q, --quiet          print only IDs\n"
				       "      --no-trunc       do not shorten\n"
				       "  -f, --format FORMAT  table (default) or json\n");
			return 0;
		default:
			return cli_usage_error("image history", "unknown or incomplete option %s",
					       argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("image history", "expects exactly one image");
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return cli_usage_error("image history", "--format: must be table or json, got \"%s\"",
				       format);
	cell_error *err = NULL;
	_cleanup_(image_store_freep) struct image_store *s = NULL;
	if (cli_open_store(g, &s, &err) < 0 || image_store_lock(s, false, &err) < 0)
		return cli_fail(err);
	struct image img;
	if (image_store_resolve(s, argv[optind], &img, NULL, &err) < 0)
		return cli_fail(err);
	_cleanup_json_ json_t *rows = image_history_json(s, &img);
	image_clear(&img);
	image_store_unlock(s);
	if (strcmp(format, "json") == 0) {
		json_dumpf(rows, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		return 0;
	}
	if (!quiet)
		printf("%-12s  %-18s  %-45s  %-10s  %s\n", "ID", "CREATED", "CREATED BY", "SIZE", "COMMENT");
	size_t i;
	json_t *r;
	json_array_foreach (rows, i, r) {
		const char *id = json_string_value(json_object_get(r, "id"));
		if (quiet) {
			printf("%.*s\n", notrunc ? 64 : 12, id);
			continue;
		}
		char age[64], size[32];
		cli_human_age(json_string_value(json_object_get(r, "created")), age, sizeof(age));
		cli_human_size((uint64_t)json_integer_value(json_object_get(r, "size")), size, sizeof(size));
		const char *by = json_string_value(json_object_get(r, "createdBy"));
		char shown[64];
		if (!notrunc && strlen(by) > 45)
			snprintf(shown, sizeof(shown), "%.42s...", by);
		else
			snprintf(shown, sizeof(shown), "%s", by);
		printf("%-12.*s  %-18s  %-45s  %-10s  %s\n", notrunc ? 64 : 12, id, age, notrunc ? by : shown,
		       size, json_string_value(json_object_get(r, "comment")));
	}
	return 0;
}
