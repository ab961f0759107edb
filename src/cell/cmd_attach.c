/* cell attach CONTAINER: the user's terminal (or pipes) to a running
 * container's; ctrl-p ctrl-q detaches from a terminal. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "engine/attach.h"
#include "engine/container.h"

int cmd_attach(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"no-stdin", no_argument, NULL, 'n'},
	    {"sig-proxy", optional_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool no_stdin = false, sig_proxy = true;
	int o;
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			no_stdin = true;
			break;
		case 's':
			sig_proxy = !optarg || strcmp(optarg, "true") == 0 || strcmp(optarg, "1") == 0;
			break;
		case 'h':
			cli_print_help("attach", "CONTAINER",
				       "Attach to a running container's input and output.",
				       "      --no-stdin          do not pass our input on\n"
				       "      --sig-proxy=false   do not pass signals on\n");
			return 0;
		default:
			return cli_usage_error("attach", "unknown or incomplete flag %s", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("attach", "requires one container");
	cell_error *err = NULL;
	_cleanup_engine_ struct engine *e = NULL;
	_cleanup_ctr_ struct ctr *c = NULL;
	if (cli_open_engine(g, &e, &err) < 0 || ctr_open(e, argv[optind], false, &c, &err) < 0)
		return cli_fail(err);
	if (c->status != CTR_RUNNING || !c->monitor_alive) {
		cell_error_set(&err, EINVAL, "cannot attach to container %s: it is not running%s",
			       argv[optind], c->status == CTR_RUNNING ? " under a monitor" : "");
		return cli_fail(err);
	}
	int sock;
	if (engine_attach_connect(e, c->id, &sock, &err) < 0)
		return cli_fail(err);
	struct attach_options ao = {
	    .tty = ctr_bool(c->record, "Config.Tty"),
	    .stdin_ = !no_stdin && ctr_bool(c->record, "Config.OpenStdin"),
	    .sig_proxy = sig_proxy,
	};
	int code = 0;
	bool detached = false;
	if (engine_attach_session(e, c->id, sock, &ao, &code, &detached, &err) < 0)
		return cli_fail(err);
	return detached ? 0 : code;
}
