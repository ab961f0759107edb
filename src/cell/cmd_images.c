/* cell images: REPOSITORY TAG IMAGE ID CREATED SIZE, newest first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/strv.h"
#include "commands.h"

struct row {
	char repo[300];
	char tag[140];
	const struct image *img;
	int64_t created;
};

static int by_created(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->created != y->created)
		return x->created > y->created ? -1 : 1;
	int c = strcmp(x->repo, y->repo);
	return c ? c : strcmp(x->tag, y->tag);
}

static json_t *image_json(const struct image *img)
{
	json_t *names = json_array();
	for (size_t i = 0; img->own_names[i]; i++)
		json_array_append_new(names, json_string(img->own_names[i]));
	return json_pack("{s:s, s:o, s:s, s:I, s:s*, s:I, s:b}", "Id", digest_hex(img->id), "Names", names,
			 "Digest", img->digest, "Created", (json_int_t)cli_parse_time(img->config.created),
			 "CreatedAt", img->config.created, "Size", (json_int_t)img->size, "Dangling",
			 img->own_names[0] == NULL);
}

int cmd_images(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"all", no_argument, NULL, 'a'},          {"quiet", no_argument, NULL, 'q'},
	    {"format", required_argument, NULL, 'f'}, {"no-trunc", no_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},         {0},
	};
	bool quiet = false, notrunc = false;
	const char *format = "table";
	int c;
	while ((c = getopt_long(argc, argv, "+aqf:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			break; /* every image is shown: there are no intermediate ones */
		case 'q':
			quiet = true;
			break;
		case 'f':
			format = optarg;
			break;
		case 'n':
			notrunc = true;
			break;
		case 'h':
			cli_print_help("images", "", "List the images of the store.",
				       "  -a, --all             show all images\n"
				       "  -q, --quiet           print only image IDs\n"
				       "  -f, --format FORMAT   table (default) or json\n"
				       "      --no-trunc        show full image IDs\n");
			return 0;
		default:
			return cli_usage_error("images", "unknown or incomplete option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("images", "unexpected argument \"%s\"", argv[optind]);
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return cli_usage_error("images", "--format: must be table or json, got \"%s\"", format);
	cell_error *err = NULL;
	_cleanup_(image_store_freep) struct image_store *s = NULL;
	if (cli_open_store(g, &s, &err) < 0 || image_store_lock(s, false, &err) < 0)
		return cli_fail(err);
	struct image *v = NULL;
	size_t n = 0;
	int r = image_store_list(s, &v, &n, &err);
	image_store_unlock(s);
	if (r < 0)
		return cli_fail(err);

	if (strcmp(format, "json") == 0) {
		_cleanup_json_ json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, image_json(&v[i]));
		json_dumpf(a, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		image_list_free(v, n);
		return 0;
	}
	size_t nrows = 0;
	for (size_t i = 0; i < n; i++)
		nrows += v[i].own_names[0] ? strv_length(v[i].own_names) : 1;
	struct row *rows = calloc(nrows ? nrows : 1, sizeof(*rows));
	if (!rows) {
		image_list_free(v, n);
		cell_error_set(&err, ENOMEM, "out of memory");
		return cli_fail(err);
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		int64_t t = cli_parse_time(v[i].config.created);
		if (!v[i].own_names[0]) {
			rows[k++] =
			    (struct row){.repo = "<none>", .tag = "<none>", .img = &v[i], .created = t};
			continue;
		}
		for (size_t j = 0; v[i].own_names[j]; j++) {
			struct row *rw = &rows[k++];
			const char *name = v[i].own_names[j];
			const char *colon = strrchr(name, ':');
			const char *slash = strrchr(name, '/');
			if (colon && (!slash || colon > slash)) {
				snprintf(rw->repo, sizeof(rw->repo), "%.*s", (int)(colon - name), name);
				snprintf(rw->tag, sizeof(rw->tag), "%s", colon + 1);
			} else {
				snprintf(rw->repo, sizeof(rw->repo), "%s", name);
				snprintf(rw->tag, sizeof(rw->tag), "<none>");
			}
			rw->img = &v[i];
			rw->created = t;
		}
	}
	qsort(rows, nrows, sizeof(*rows), by_created);
	if (quiet) {
		_cleanup_strv_ char **seen = NULL;
		for (size_t i = 0; i < nrows; i++) {
			const char *id = digest_hex(rows[i].img->id);
			if (strv_contains(seen, id))
				continue;
			strv_push(&seen, id);
			printf("%.*s\n", notrunc ? 64 : 12, id);
		}
	} else {
		int wrepo = (int)strlen("REPOSITORY"), wtag = (int)strlen("TAG");
		for (size_t i = 0; i < nrows; i++) {
			if ((int)strlen(rows[i].repo) > wrepo)
				wrepo = (int)strlen(rows[i].repo);
			if ((int)strlen(rows[i].tag) > wtag)
				wtag = (int)strlen(rows[i].tag);
		}
		int wid = notrunc ? 71 : 12;
		printf("%-*s  %-*s  %-*s  %-18s  %s\n", wrepo, "REPOSITORY", wtag, "TAG", wid, "IMAGE ID",
		       "CREATED", "SIZE");
		for (size_t i = 0; i < nrows; i++) {
			char age[64], size[32], id[80];
			cli_human_age(rows[i].img->config.created, age, sizeof(age));
			cli_human_size(rows[i].img->size, size, sizeof(size));
			if (notrunc)
				snprintf(id, sizeof(id), "%s", rows[i].img->id);
			else
				snprintf(id, sizeof(id), "%.12s", digest_hex(rows[i].img->id));
			printf("%-*s  %-*s  %-*s  %-18s  %s\n", wrepo, rows[i].repo, wtag, rows[i].tag, wid,
			       id, age, size);
		}
	}
	free(rows);
	image_list_free(v, n);
	return 0;
}
