/* pause and resume: freeze and thaw a container's processes. */
#include "commands.h"
#include "runtime/control.h"

static int pause_or_resume(const struct runtime_opts *g, int argc, char **argv, bool pause)
{
	const char *name = pause ? "pause" : "resume";
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	int c;
	while ((c = getopt_long_only(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			cli_print_help(name, "CONTAINER_ID",
				       pause ? "Freeze every process of a container (its cgroup's freezer)."
					     : "Thaw the processes of a paused container.",
				       NULL);
			return 0;
		}
		return cli_usage_error(name, "unknown option %s", argv[optind - 1]);
	}
	if (optind + 1 != argc)
		return cli_usage_error(name, "expects exactly one container id");
	cell_error *err = NULL;
	int r = pause ? runtime_pause(g, argv[optind], &err) : runtime_resume(g, argv[optind], &err);
	return r < 0 ? cli_fail(err) : 0;
}

int cmd_pause(const struct runtime_opts *g, int argc, char **argv)
{
	return pause_or_resume(g, argc, argv, true);
}

int cmd_resume(const struct runtime_opts *g, int argc, char **argv)
{
	return pause_or_resume(g, argc, argv, false);
}
