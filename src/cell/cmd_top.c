/* cell top CONTAINER [PS OPTIONS]: ps(1) of the container's processes. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "engine/container.h"
#include "runtime/control.h"

int cmd_top(const struct global_opts *g, int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		cli_print_help("top", "CONTAINER [PS OPTIONS]",
			       "Show the processes of a running container (ps -ef, or the options given).",
			       "");
		return 0;
	}
	if (argc < 2)
		return cli_usage_error("top", "requires a container");
	cell_error *err = NULL;
	_cleanup_engine_ struct engine *e = NULL;
	_cleanup_ctr_ struct ctr *c = NULL;
	if (cli_open_engine(g, &e, &err) < 0 || ctr_open(e, argv[1], false, &c, &err) < 0)
		return cli_fail(err);
	if (c->status != CTR_RUNNING || !c->init_alive) {
		cell_error_set(&err, EINVAL, "container %s is not running", argv[1]);
		return cli_fail(err);
	}
	_cleanup_free_ char *table = NULL;
	if (runtime_ps_table(&e->rt, c->id, argc > 2 ? argv + 2 : NULL, &table, &err) < 0)
		return cli_fail(err);
	fputs(table, stdout);
	return 0;
}
