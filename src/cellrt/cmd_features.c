#include <stdio.h>

#include "base/json.h"
#include "commands.h"
#include "runtime/features.h"

int cmd_features(const struct runtime_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	int c;
	while ((c = getopt_long_only(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			cli_print_help("features", "",
				       "Print the OCI features document of this runtime (JSON).", NULL);
			return 0;
		}
		return cli_usage_error("features", "unknown option %s", argv[optind - 1]);
	}
	if (optind < argc)
		return cli_usage_error("features", "unexpected argument \"%s\"", argv[optind]);
	_cleanup_json_ json_t *f = runtime_features(g);
	if (!f) {
		cell_error *err = NULL;
		cell_error_set(&err, ENOMEM, "out of memory");
		return cli_fail(err);
	}
	json_dumpf(f, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	putchar('\n');
	return 0;
}
