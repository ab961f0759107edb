/* cell diff CONTAINER: A, C and D lines of its changes to its image. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "engine/changes.h"
#include "engine/container.h"

int cmd_diff(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *format = NULL;
	int o;
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (o == 'f') {
			format = optarg;
			continue;
		}
		if (o == 'h') {
			cli_print_help("diff", "CONTAINER",
				       "Show what a container changed in its image's files: A added, C "
				       "changed, D deleted.",
				       "      --format json   a JSON array of {Kind, Path}\n");
			return 0;
		}
		return cli_usage_error("diff", "unknown or incomplete flag %s", argv[optind - 1]);
	}
	if (argc - optind != 1)
		return cli_usage_error("diff", "requires one container");
	if (format && strcmp(format, "json") != 0)
		return cli_usage_error("diff", "--format \"%s\": only json", format);
	cell_error *err = NULL;
	_cleanup_engine_ struct engine *e = NULL;
	_cleanup_ctr_ struct ctr *c = NULL;
	struct change *v = NULL;
	size_t n = 0;
	if (cli_open_engine(g, &e, &err) < 0 || ctr_open(e, argv[optind], false, &c, &err) < 0 ||
	    engine_changes(e, c->id, &v, &n, &err) < 0)
		return cli_fail(err);
	if (format) {
		_cleanup_json_ json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(
			    a, json_pack("{s:s#, s:s}", "Kind", &v[i].kind, 1, "Path", v[i].path));
		cli_print_formatted("json", a, NULL);
	} else {
		for (size_t i = 0; i < n; i++)
			printf("%c %s\n", v[i].kind, v[i].path);
	}
	engine_changes_free(v, n);
	return 0;
}
