/* cell system df: what the store holds and what could go. */
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "commands.h"
#include "image/inspect.h"

static uint64_t field(json_t *doc, const char *group, const char *key)
{
	return (uint64_t)json_integer_value(json_object_get(json_object_get(doc, group), key));
}

int cmd_system_df(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *format = "table";
	int c;
	while ((c = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			break;
		case 'h':
			cli_print_help("system df", "", "Show how much space the store uses.",
				       "  -f, --format FORMAT   table (default) or json\n");
			return 0;
		default:
			return cli_usage_error("system df", "unknown or incomplete option %s",
					       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("system df", "unexpected argument \"%s\"", argv[optind]);
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return cli_usage_error("system df", "--format: must be table or json, got \"%s\"", format);
	cell_error *err = NULL;
	_cleanup_(image_store_freep) struct image_store *s = NULL;
	_cleanup_json_ json_t *doc = NULL;
	if (cli_open_store(g, &s, &err) < 0 || image_store_df(s, &doc, &err) < 0)
		return cli_fail(err);
	if (strcmp(format, "json") == 0) {
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		return 0;
	}
	char size[32], recl[32], bsize[32], lsize[32], lunused[32];
	uint64_t isize = field(doc, "images", "size"), ireclaim = field(doc, "images", "reclaimable");
	cli_human_size(isize, size, sizeof(size));
	cli_human_size(ireclaim, recl, sizeof(recl));
	cli_human_size(field(doc, "blobs", "size"), bsize, sizeof(bsize));
	cli_human_size(field(doc, "layers", "size"), lsize, sizeof(lsize));
	cli_human_size(field(doc, "layers", "unused"), lunused, sizeof(lunused));
	printf("%-12s  %-6s  %-6s  %-10s  %s\n", "TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE");
	printf("%-12s  %-6llu  %-6llu  %-10s  %s (%llu%%)\n", "Images",
	       (unsigned long long)field(doc, "images", "total"),
	       (unsigned long long)field(doc, "images", "active"), size, recl,
	       (unsigned long long)(isize ? ireclaim * 100 / isize : 0));
	printf("%-12s  %-6llu  %-6llu  %-10s  %s\n", "Containers",
	       (unsigned long long)field(doc, "containers", "total"),
	       (unsigned long long)field(doc, "containers", "active"), "0B", "0B (0%)");
	printf("%-12s  %-6llu  %-6s  %-10s  %s\n", "Blobs", (unsigned long long)field(doc, "blobs", "count"),
	       "-", bsize, "-");
	printf("%-12s  %-6llu  %-6s  %-10s  %s\n", "Layers",
	       (unsigned long long)field(doc, "layers", "count"), "-", lsize, lunused);
	return 0;
}
