/* cell ps: CONTAINER ID, IMAGE, COMMAND, CREATED, STATUS, PORTS, NAMES. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "engine/container.h"
#include "engine/inspect.h"

static void print_table(json_t *rows, bool notrunc)
{
	int wimage = 5, wcmd = 22, wcreated = 7, wstatus = 6;
	size_t i;
	json_t *r;
	json_array_foreach (rows, i, r) {
		int l = (int)strlen(json_string_value(json_object_get(r, "Image")));
		wimage = l > wimage ? l : wimage;
		l = (int)strlen(json_string_value(json_object_get(r, "RunningFor")));
		wcreated = l > wcreated ? l : wcreated;
		l = (int)strlen(json_string_value(json_object_get(r, "Status")));
		wstatus = l > wstatus ? l : wstatus;
		l = (int)strlen(json_string_value(json_object_get(r, "Command")));
		if (notrunc && l > wcmd)
			wcmd = l;
	}
	int wid = notrunc ? 64 : 12;
	printf("%-*s  %-*s  %-*s  %-*s  %-*s  %-5s  %s\n", wid, "CONTAINER ID", wimage, "IMAGE", wcmd,
	       "COMMAND", wcreated, "CREATED", wstatus, "STATUS", "PORTS", "NAMES");
	json_array_foreach (rows, i, r) {
		const char *cmd = json_string_value(json_object_get(r, "Command"));
		char shortcmd[32];
		if (!notrunc && strlen(cmd) > 22) {
			snprintf(shortcmd, sizeof(shortcmd), "%.18s...\"", cmd);
			cmd = shortcmd;
		}
		printf("%-*s  %-*s  %-*s  %-*s  %-*s  %-5s  %s\n", wid,
		       json_string_value(json_object_get(r, notrunc ? "Id" : "ID")), wimage,
		       json_string_value(json_object_get(r, "Image")), wcmd, cmd, wcreated,
		       json_string_value(json_object_get(r, "RunningFor")), wstatus,
		       json_string_value(json_object_get(r, "Status")), "",
		       json_string_value(json_object_get(r, "Names")));
	}
}

int cmd_ps(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"all", no_argument, NULL, 'a'},          {"quiet", no_argument, NULL, 'q'},
	    {"format", required_argument, NULL, 'f'}, {"filter", required_argument, NULL, 'F'},
	    {"no-trunc", no_argument, NULL, 'T'},     {"latest", no_argument, NULL, 'l'},
	    {"last", required_argument, NULL, 'N'},   {"size", no_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},         {0},
	};
	bool all = false, quiet = false, notrunc = false, size = false;
	const char *format = NULL;
	long last = -1;
	struct ctr_filter filter = {0};
	cell_error *err = NULL;
	int o;
	while ((o = getopt_long(argc, argv, "+aqf:lsn:h", opts, NULL)) != -1) {
		switch (o) {
		case 'a':
			all = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'f':
			format = optarg;
			break;
		case 'F':
			if (ctr_filter_add(&filter, optarg, &err) < 0) {
				ctr_filter_clear(&filter);
				return cli_fail(err);
			}
			break;
		case 'T':
			notrunc = true;
			break;
		case 'n':
		case 'N':
			last = atol(optarg);
			all = true;
			break;
		case 'l':
			last = 1;
			all = true;
			break;
		case 's':
			size = true;
			break;
		case 'h':
			cli_print_help(
			    "ps", "", "List containers (running ones; -a for all).",
			    "  -a, --all             show every container\n"
			    "  -q, --quiet           print only IDs\n"
			    "  -f, --format FORMAT   table (default), json, or a template ({{.Names}})\n"
			    "      --filter KEY=VALUE   id, name, status, label, exited, ancestor\n"
			    "      --no-trunc        full IDs and commands\n"
			    "  -n, --last N          the N newest containers (all states)\n"
			    "  -l, --latest          the newest container\n"
			    "  -s, --size            the size of each writable layer\n");
			return 0;
		default:
			ctr_filter_clear(&filter);
			return cli_usage_error("ps", "unknown or incomplete flag %s", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		ctr_filter_clear(&filter);
		return cli_usage_error("ps", "unexpected argument \"%s\"", argv[optind]);
	}
	_cleanup_engine_ struct engine *e = NULL;
	struct ctr **v = NULL;
	size_t n = 0;
	if (cli_open_engine(g, &e, &err) < 0 || ctr_list(e, &v, &n, &err) < 0) {
		ctr_filter_clear(&filter);
		return cli_fail(err);
	}
	_cleanup_json_ json_t *rows = json_array();
	bool status_filtered = false;
	for (size_t i = 0; filter.keys && filter.keys[i]; i++)
		status_filtered = status_filtered || strcmp(filter.keys[i], "status") == 0;
	long shown = 0;
	for (size_t i = 0; i < n; i++) {
		if (!all && !status_filtered && v[i]->status != CTR_RUNNING && v[i]->status != CTR_RESTARTING)
			continue;
		if (!ctr_filter_match(&filter, e, v[i]))
			continue;
		if (last >= 0 && shown >= last)
			break;
		json_array_append_new(rows, engine_ps_json(e, v[i], size));
		shown++;
	}
	ctr_list_free(v, n);
	ctr_filter_clear(&filter);
	if (quiet) {
		size_t i;
		json_t *r;
		json_array_foreach (rows, i, r)
			printf("%s\n", json_string_value(json_object_get(r, notrunc ? "Id" : "ID")));
		return 0;
	}
	if (format && strcmp(format, "table") != 0) {
		if (cli_print_formatted(format, rows, &err) < 0)
			return cli_fail(err);
		return 0;
	}
	print_table(rows, notrunc);
	return 0;
}
