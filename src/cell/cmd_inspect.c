/* cell inspect [-f FORMAT] [--type T] OBJECT...: containers, images or
 * volumes in detail; a JSON array, or a template per object. */
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "commands.h"
#include "engine/container.h"
#include "engine/inspect.h"
#include "engine/volumes.h"
#include "image/inspect.h"

static int inspect_one(struct engine *e, const char *ref, const char *type, bool size, json_t **out,
		       cell_error **err)
{
	bool any = !type;
	if (any || strcmp(type, "container") == 0) {
		_cleanup_ctr_ struct ctr *c = NULL;
		cell_error *ce = NULL;
		int r = ctr_open(e, ref, false, &c, &ce);
		if (r == 0) {
			cell_error_free(ce);
			*out = engine_inspect_json(e, c, size);
			return *out ? 0 : cell_error_set(err, ENOMEM, "out of memory");
		}
		if (!any || r != -ENOENT) {
			*err = ce;
			return r;
		}
		cell_error_free(ce);
	}
	if (any || strcmp(type, "image") == 0) {
		struct image img;
		cell_error *ie = NULL;
		int r = image_store_lock(e->store, false, &ie);
		if (r == 0) {
			r = image_store_resolve(e->store, ref, &img, NULL, &ie);
			if (r == 0) {
				*out = image_inspect_json(e->store, &img);
				image_clear(&img);
			}
			image_store_unlock(e->store);
		}
		if (r == 0) {
			cell_error_free(ie);
			return 0;
		}
		if (!any || r != -ENOENT) {
			*err = ie;
			return r;
		}
		cell_error_free(ie);
	}
	if (any || strcmp(type, "volume") == 0) {
		cell_error *ve = NULL;
		int r = volume_inspect(e, ref, out, &ve);
		if (r == 0 || !any) {
			*err = ve;
			return r;
		}
		cell_error_free(ve);
	}
	return cell_error_set(err, ENOENT, "no such object: %s", ref);
}

int cmd_inspect(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"type", required_argument, NULL, 't'},
	    {"size", no_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *format = NULL, *type = NULL;
	bool size = false;
	int o;
	while ((o = getopt_long(argc, argv, "+f:sh", opts, NULL)) != -1) {
		switch (o) {
		case 'f':
			format = optarg;
			break;
		case 't':
			type = optarg;
			if (strcmp(type, "container") && strcmp(type, "image") && strcmp(type, "volume"))
				return cli_usage_error(
				    "inspect", "--type \"%s\": must be container, image or volume", type);
			break;
		case 's':
			size = true;
			break;
		case 'h':
			cli_print_help(
			    "inspect", "OBJECT...", "Show containers, images or volumes in detail.",
			    "  -f, --format FORMAT   json (default) or a template ({{.State.ExitCode}})\n"
			    "      --type TYPE       container, image or volume\n"
			    "  -s, --size            the size of a container's writable layer (SizeRw)\n");
			return 0;
		default:
			return cli_usage_error("inspect", "unknown or incomplete flag %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("inspect", "requires at least one object");
	cell_error *err = NULL;
	_cleanup_engine_ struct engine *e = NULL;
	if (cli_open_engine(g, &e, &err) < 0)
		return cli_fail(err);
	_cleanup_json_ json_t *out = json_array();
	int status = 0;
	for (int i = optind; i < argc; i++) {
		json_t *j = NULL;
		if (inspect_one(e, argv[i], type, size, &j, &err) < 0) {
			status = cli_fail(err);
			err = NULL;
			continue;
		}
		json_array_append_new(out, j);
	}
	if (json_array_size(out) || !format || strcmp(format, "json") == 0)
		if (cli_print_formatted(format, out, &err) < 0)
			return cli_fail(err);
	return status;
}
