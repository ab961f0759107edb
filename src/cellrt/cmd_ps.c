/* ps: the processes of a container, as a ps(1) table or a JSON list of pids. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "runtime/control.h"

int cmd_ps(const struct runtime_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *format = "table";
	int c;
	while ((c = getopt_long_only(argc, argv, "+f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			break;
		case 'h':
			cli_print_help(
			    "ps", "CONTAINER_ID [PS_OPTIONS...]",
			    "List the processes of a container; PS_OPTIONS (default -ef) go to ps(1).",
			    "  -f, --format table|json  a ps table, or a JSON array of pids (default "
			    "table)\n");
			return 0;
		default:
			return cli_usage_error("ps", "unknown or incomplete option %s", argv[optind - 1]);
		}
	}
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return cli_usage_error("ps", "--format: must be table or json, got \"%s\"", format);
	if (optind >= argc)
		return cli_usage_error("ps", "missing the container id");
	const char *id = argv[optind++];
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	cell_error *err = NULL;
	if (strcmp(format, "json") == 0) {
		if (optind < argc)
			return cli_usage_error("ps", "ps options do not go with --format json");
		_cleanup_free_ pid_t *pids = NULL;
		size_t n = 0;
		if (runtime_ps_pids(g, id, &pids, &n, &err) < 0)
			return cli_fail(err);
		putchar('[');
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		puts("]");
		return 0;
	}
	_cleanup_free_ char *table = NULL;
	if (runtime_ps_table(g, id, argv + optind, &table, &err) < 0)
		return cli_fail(err);
	fputs(table, stdout);
	return 0;
}
