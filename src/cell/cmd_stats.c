/* cell stats [--no-stream] [CONTAINER...]: CPU, memory, network, block I/O
 * and processes of running containers, refreshed every second. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "engine/container.h"
#include "engine/stats.h"

struct tracked {
	char id[CTR_ID_LEN + 1];
	struct ctr_stats last;
	bool have;
};

static int sample_all(struct engine *e, char **refs, int nrefs, struct tracked **tv, size_t *tn,
		      json_t **rows, cell_error **err)
{
	struct ctr **v = NULL;
	size_t n = 0;
	int r = ctr_list(e, &v, &n, err);
	if (r < 0)
		return r;
	*rows = json_array();
	for (size_t i = 0; i < n; i++) {
		bool wanted = nrefs == 0;
		for (int k = 0; k < nrefs; k++)
			wanted = wanted || strcmp(refs[k], v[i]->id) == 0 ||
				 strcmp(refs[k], ctr_name(v[i])) == 0 ||
				 (strlen(refs[k]) >= 3 && strncmp(v[i]->id, refs[k], strlen(refs[k])) == 0);
		if (!wanted || v[i]->status != CTR_RUNNING || !v[i]->init_alive)
			continue;
		struct tracked *t = NULL;
		for (size_t k = 0; k < *tn; k++)
			if (strcmp((*tv)[k].id, v[i]->id) == 0)
				t = &(*tv)[k];
		if (!t) {
			struct tracked *nv = realloc(*tv, (*tn + 1) * sizeof(*nv));
			if (!nv)
				break;
			*tv = nv;
			t = &nv[(*tn)++];
			memset(t, 0, sizeof(*t));
			memcpy(t->id, v[i]->id, sizeof(t->id));
		}
		struct ctr_stats s;
		cell_error *se = NULL;
		if (engine_stats_sample(e, v[i], t->have ? &t->last : NULL, &s, &se) < 0) {
			cell_error_free(se);
			continue;
		}
		t->last = s;
		t->have = true;
		json_array_append_new(*rows, engine_stats_json(v[i], &s));
	}
	ctr_list_free(v, n);
	return 0;
}

static void print_rows(json_t *rows)
{
	printf("%-12s  %-20s  %-8s  %-22s  %-7s  %-18s  %-18s  %s\n", "CONTAINER ID", "NAME", "CPU %",
	       "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS");
	size_t i;
	json_t *r;
	json_array_foreach (rows, i, r)
		printf("%-12s  %-20s  %-8s  %-22s  %-7s  %-18s  %-18s  %s\n",
		       json_string_value(json_object_get(r, "ID")),
		       json_string_value(json_object_get(r, "Name")),
		       json_string_value(json_object_get(r, "CPUPerc")),
		       json_string_value(json_object_get(r, "MemUsage")),
		       json_string_value(json_object_get(r, "MemPerc")),
		       json_string_value(json_object_get(r, "NetIO")),
		       json_string_value(json_object_get(r, "BlockIO")),
		       json_string_value(json_object_get(r, "PIDs")));
}

int cmd_stats(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"no-stream", no_argument, NULL, 'n'},
	    {"format", required_argument, NULL, 'f'},
	    {"all", no_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool stream = true;
	const char *format = NULL;
	int o;
	while ((o = getopt_long(argc, argv, "+af:h", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			stream = false;
			break;
		case 'f':
			format = optarg;
			break;
		case 'a':
			break; /* only running containers have statistics */
		case 'h':
			cli_print_help(
			    "stats", "[CONTAINER...]", "Show the resource use of running containers.",
			    "      --no-stream       one sample, then exit\n"
			    "      --format FORMAT   table (default), json, or a template ({{.CPUPerc}})\n");
			return 0;
		default:
			return cli_usage_error("stats", "unknown or incomplete flag %s", argv[optind - 1]);
		}
	}
	cell_error *err = NULL;
	_cleanup_engine_ struct engine *e = NULL;
	if (cli_open_engine(g, &e, &err) < 0)
		return cli_fail(err);
	/* Containers named must exist. */
	for (int i = optind; i < argc; i++) {
		char id[CTR_ID_LEN + 1];
		if (ctr_resolve(e, argv[i], id, &err) < 0)
			return cli_fail(err);
	}
	_cleanup_free_ struct tracked *tv = NULL;
	size_t tn = 0;
	bool tty = isatty(STDOUT_FILENO);
	for (;;) {
		json_t *rows = NULL;
		if (sample_all(e, argv + optind, argc - optind, &tv, &tn, &rows, &err) < 0)
			return cli_fail(err);
		if (stream && tty)
			printf("\033[2J\033[H");
		int r = 0;
		if (format && strcmp(format, "table") != 0)
			r = cli_print_formatted(format, rows, &err);
		else
			print_rows(rows);
		json_decref(rows);
		fflush(stdout);
		if (r < 0)
			return cli_fail(err);
		if (!stream)
			return 0;
		sleep(1);
	}
}
