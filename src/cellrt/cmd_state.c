/* state and list: what the runtime knows of its containers. */
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "commands.h"
#include "runtime/lifecycle.h"

int cmd_state(const struct runtime_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	int c;
	while ((c = getopt_long_only(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			cli_print_help("state", "CONTAINER_ID", "Print the state of a container as JSON.",
				       NULL);
			return 0;
		}
		return cli_usage_error("state", "unknown option %s", argv[optind - 1]);
	}
	if (optind + 1 != argc)
		return cli_usage_error("state", "expects exactly one container id");
	cell_error *err = NULL;
	_cleanup_json_ json_t *s = NULL;
	if (runtime_state(g, argv[optind], &s, &err) < 0)
		return cli_fail(err);
	json_dumpf(s, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	return 0;
}

static void print_cell(int column, int width, const char *text)
{
	if (column < 5)
		printf("%-*s", width, text);
	else
		printf("%s\n", text);
}

/* A table like runc's: every column at least 12 wide, 3 spaces apart. */
static void print_table(json_t *states)
{
	static const char *const head[] = {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"};
	static const char *const keys[] = {"id", "pid", "status", "bundle", "created", "owner"};
	size_t width[6];
	char cell[64];
	for (int k = 0; k < 6; k++)
		width[k] = strlen(head[k]);
	size_t i;
	json_t *s;
	json_array_foreach (states, i, s) {
		for (int k = 0; k < 6; k++) {
			json_t *v = json_object_get(s, keys[k]);
			size_t len = json_is_string(v) ? strlen(json_string_value(v))
						       : (size_t)snprintf(cell, sizeof(cell), "%lld",
									  (long long)json_integer_value(v));
			if (len > width[k])
				width[k] = len;
		}
	}
	for (int k = 0; k < 6; k++)
		width[k] = width[k] + 3 > 12 ? width[k] + 3 : 12;
	for (int k = 0; k < 6; k++)
		print_cell(k, (int)width[k], head[k]);
	json_array_foreach (states, i, s) {
		for (int k = 0; k < 6; k++) {
			json_t *v = json_object_get(s, keys[k]);
			const char *text = cell;
			if (json_is_string(v))
				text = json_string_value(v);
			else
				snprintf(cell, sizeof(cell), "%lld", (long long)json_integer_value(v));
			print_cell(k, (int)width[k], text);
		}
	}
}

int cmd_list(const struct runtime_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *format = "table";
	bool quiet = false;
	int c;
	while ((c = getopt_long_only(argc, argv, "+f:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			cli_print_help("list", "", "List the containers.",
				       "  -f, --format table|json  output format (default table)\n"
				       "  -q, --quiet              print only the ids\n");
			return 0;
		default:
			return cli_usage_error("list", "unknown or incomplete option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("list", "unexpected argument \"%s\"", argv[optind]);
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return cli_usage_error("list", "--format: must be table or json, got \"%s\"", format);
	cell_error *err = NULL;
	_cleanup_json_ json_t *states = NULL;
	if (runtime_list(g, &states, &err) < 0)
		return cli_fail(err);
	if (quiet) {
		size_t i;
		json_t *s;
		json_array_foreach (states, i, s)
			puts(json_string_value(json_object_get(s, "id")));
	} else if (strcmp(format, "json") == 0) {
		json_dumpf(states, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		print_table(states);
	}
	return 0;
}
