/* cell volume ls [-q] [--format F] [--filter K=V] */
#include <stdio.h>
#include <string.h>

#include "base/strv.h"
#include "commands.h"
#include "engine/volumes.h"

static bool matches(struct engine *e, json_t *rec, char **filters)
{
	for (size_t i = 0; filters && filters[i]; i++) {
		const char *f = filters[i], *eq = strchr(f, '=');
		const char *v = eq + 1;
		if (strncmp(f, "name=", 5) == 0) {
			if (!strstr(json_string_value(json_object_get(rec, "Name")) ?: "", v))
				return false;
		} else if (strncmp(f, "label=", 6) == 0) {
			const char *veq = strchr(v, '=');
			char key[256];
			snprintf(key, sizeof(key), "%.*s", veq ? (int)(veq - v) : (int)strlen(v), v);
			json_t *have = json_object_get(json_object_get(rec, "Labels"), key);
			if (!have || (veq && strcmp(json_string_value(have) ?: "", veq + 1) != 0))
				return false;
		} else if (strncmp(f, "dangling=", 9) == 0) {
			_cleanup_strv_ char **users = NULL;
			volume_users(e, json_string_value(json_object_get(rec, "Name")), &users, NULL);
			bool dangling = !users || !users[0];
			if (dangling != (strcmp(v, "true") == 0 || strcmp(v, "1") == 0))
				return false;
		}
	}
	return true;
}

int cmd_volume_ls(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"quiet", no_argument, NULL, 'q'},
	    {"format", required_argument, NULL, 'f'},
	    {"filter", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool quiet = false;
	const char *format = NULL;
	_cleanup_strv_ char **filters = NULL;
	int o;
	while ((o = getopt_long(argc, argv, "+qf:h", opts, NULL)) != -1) {
		switch (o) {
		case 'q':
			quiet = true;
			break;
		case 'f':
			format = optarg;
			break;
		case 'F':
			if (strncmp(optarg, "name=", 5) && strncmp(optarg, "label=", 6) &&
			    strncmp(optarg, "dangling=", 9))
				return cli_usage_error("volume ls",
						       "--filter \"%s\": name=, label= or dangling=", optarg);
			strv_push(&filters, optarg);
			break;
		case 'h':
			cli_print_help(
			    "volume ls", "", "List volumes.",
			    "  -q, --quiet             print only names\n"
			    "  -f, --format FORMAT     table (default), json, or a template ({{.Name}})\n"
			    "      --filter KEY=VALUE  name=, label=, dangling=true|false\n");
			return 0;
		default:
			return cli_usage_error("volume ls", "unknown or incomplete flag %s",
					       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("volume ls", "unexpected argument \"%s\"", argv[optind]);
	cell_error *err = NULL;
	_cleanup_engine_ struct engine *e = NULL;
	_cleanup_strv_ char **names = NULL;
	if (cli_open_engine(g, &e, &err) < 0 || volume_list(e, &names, &err) < 0)
		return cli_fail(err);
	_cleanup_json_ json_t *rows = json_array();
	for (size_t i = 0; names[i]; i++) {
		json_t *rec = NULL;
		if (volume_inspect(e, names[i], &rec, NULL) < 0)
			continue;
		if (matches(e, rec, filters))
			json_array_append_new(rows, rec);
		else
			json_decref(rec);
	}
	size_t i;
	json_t *r;
	if (quiet) {
		json_array_foreach (rows, i, r)
			printf("%s\n", json_string_value(json_object_get(r, "Name")));
		return 0;
	}
	if (format && strcmp(format, "table") != 0)
		return cli_print_formatted(format, rows, &err) < 0 ? cli_fail(err) : 0;
	printf("%-10s  %s\n", "DRIVER", "VOLUME NAME");
	json_array_foreach (rows, i, r)
		printf("%-10s  %s\n", json_string_value(json_object_get(r, "Driver")),
		       json_string_value(json_object_get(r, "Name")));
	return 0;
}
