/* cell start [-a] [-i] CONTAINER...: start created or stopped containers;
 * with -a attached to one, exiting with its status. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "engine/attach.h"
#include "engine/container.h"
#include "engine/launch.h"
#include "engine/options.h"

static int start_one(struct engine *e, const char *ref, bool attach, bool interactive, int *code)
{
	cell_error *err = NULL;
	_cleanup_ctr_ struct ctr *c = NULL;
	if (ctr_open(e, ref, false, &c, &err) < 0)
		return cli_fail(err);
	if (c->status == CTR_RUNNING || c->status == CTR_RESTARTING) {
		if (attach) {
			cell_error_set(&err, EBUSY, "container %s is already running", ref);
			return cli_fail(err);
		}
		printf("%s\n", ref);
		return 0;
	}
	bool tty = ctr_bool(c->record, "Config.Tty");
	struct launch_request lr = {.owner = attach};
	if (tty)
		engine_terminal_size(&lr.rows, &lr.cols);
	struct launch_result res;
	if (engine_launch(e, c->id, &lr, &res, &err) < 0) {
		cli_fail(err);
		return res.exit_code;
	}
	if (!attach) {
		printf("%s\n", ref);
		return 0;
	}
	json_t *rp = json_object_get(json_object_get(c->record, "HostConfig"), "RestartPolicy");
	struct attach_options ao = {
	    .tty = tty,
	    .stdin_ = interactive && ctr_bool(c->record, "Config.OpenStdin"),
	    .stdin_eof = interactive,
	    .sig_proxy = true,
	    .owner = true,
	    .take = opt_restart_from_name(ctr_str(rp, "Name")) <= RESTART_NO,
	    .gen = res.gen,
	};
	bool detached = false;
	if (engine_attach_session(e, c->id, res.owner_sock, &ao, code, &detached, &err) < 0)
		return cli_fail(err);
	if (detached)
		*code = 0;
	return 0;
}

int cmd_start(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"attach", no_argument, NULL, 'a'},
	    {"interactive", no_argument, NULL, 'i'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool attach = false, interactive = false;
	int o;
	while ((o = getopt_long(argc, argv, "+aih", opts, NULL)) != -1) {
		switch (o) {
		case 'a':
			attach = true;
			break;
		case 'i':
			interactive = true;
			break;
		case 'h':
			cli_print_help("start", "CONTAINER...", "Start one or more containers.",
				       "  -a, --attach        attach to its output (one container) and exit "
				       "with its status\n"
				       "  -i, --interactive   attach its stdin too\n");
			return 0;
		default:
			return cli_usage_error("start", "unknown or incomplete flag %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("start", "requires at least one container");
	if (attach && argc - optind > 1)
		return cli_usage_error("start", "--attach takes one container");
	cell_error *err = NULL;
	_cleanup_engine_ struct engine *e = NULL;
	if (cli_open_engine(g, &e, &err) < 0)
		return cli_fail(err);
	int status = 0, code = 0;
	for (int i = optind; i < argc; i++) {
		int r = start_one(e, argv[i], attach, interactive, &code);
		if (r)
			status = r;
	}
	return attach && !status ? code : status;
}
