/* cell volume inspect [-f FORMAT] VOLUME... */
#include <stdio.h>

#include "commands.h"
#include "engine/volumes.h"

int cmd_volume_inspect(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *format = NULL;
	int o;
	while ((o = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
		if (o == 'f') {
			format = optarg;
			continue;
		}
		if (o == 'h') {
			cli_print_help(
			    "volume inspect", "VOLUME...", "Show volumes in detail.",
			    "  -f, --format FORMAT   json (default) or a template ({{.Mountpoint}})\n");
			return 0;
		}
		return cli_usage_error("volume inspect", "unknown or incomplete flag %s", argv[optind - 1]);
	}
	if (optind >= argc)
		return cli_usage_error("volume inspect", "requires at least one volume");
	cell_error *err = NULL;
	_cleanup_engine_ struct engine *e = NULL;
	if (cli_open_engine(g, &e, &err) < 0)
		return cli_fail(err);
	_cleanup_json_ json_t *out = json_array();
	int status = 0;
	for (int i = optind; i < argc; i++) {
		json_t *rec = NULL;
		if (volume_inspect(e, argv[i], &rec, &err) < 0) {
			status = cli_fail(err);
			err = NULL;
			continue;
		}
		json_array_append_new(out, rec);
	}
	if ((json_array_size(out) || !format) && cli_print_formatted(format, out, &err) < 0)
		return cli_fail(err);
	return status;
}
