/* cell run: create a container and start it; in the foreground (attached,
 * exiting with the container's status) or with -d in the background. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "engine/attach.h"
#include "engine/launch.h"
#include "engine/lifecycle.h"

int cmd_run(const struct global_opts *g, int argc, char **argv)
{
	struct run_cli c;
	int exit_now;
	run_cli_parse("run", argc, argv, &c, &exit_now);
	if (exit_now >= 0) {
		run_cli_clear(&c);
		return exit_now;
	}
	cell_error *err = NULL;
	_cleanup_engine_ struct engine *e = NULL;
	char id[CTR_ID_LEN + 1];
	if (cli_open_engine(g, &e, &err) < 0 || engine_create(e, &c.req, id, &err) < 0) {
		run_cli_clear(&c);
		return cli_fail(err);
	}
	struct launch_request lr = {.owner = !c.detach};
	if (c.req.tty)
		engine_terminal_size(&lr.rows, &lr.cols);
	struct launch_result res;
	if (engine_launch(e, id, &lr, &res, &err) < 0) {
		if (c.req.autoremove) {
			cell_error *re = NULL;
			engine_remove(e, id, true, true, &re);
			cell_error_free(re);
		}
		run_cli_clear(&c);
		cli_fail(err);
		return res.exit_code;
	}
	if (c.detach) {
		printf("%s\n", id);
		run_cli_clear(&c);
		return 0;
	}
	struct attach_options ao = {
	    .tty = c.req.tty,
	    .stdin_ = c.req.interactive,
	    .stdin_eof = c.req.interactive,
	    .sig_proxy = c.sig_proxy,
	    .owner = true,
	    .take = c.req.restart.policy == RESTART_NO,
	    .gen = res.gen,
	};
	run_cli_clear(&c);
	int code = 0;
	bool detached = false;
	if (engine_attach_session(e, id, res.owner_sock, &ao, &code, &detached, &err) < 0)
		return cli_fail(err);
	return detached ? 0 : code;
}
