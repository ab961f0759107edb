/* cell create: a container, recorded and ready to start; prints its ID. */
#include <stdio.h>

#include "commands.h"

int cmd_create(const struct global_opts *g, int argc, char **argv)
{
	struct run_cli c;
	int exit_now;
	run_cli_parse("create", argc, argv, &c, &exit_now);
	if (exit_now >= 0) {
		run_cli_clear(&c);
		return exit_now;
	}
	cell_error *err = NULL;
	_cleanup_engine_ struct engine *e = NULL;
	char id[CTR_ID_LEN + 1];
	int r = cli_open_engine(g, &e, &err);
	if (r == 0)
		r = engine_create(e, &c.req, id, &err);
	run_cli_clear(&c);
	if (r < 0)
		return cli_fail(err);
	printf("%s\n", id);
	return 0;
}
