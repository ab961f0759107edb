/* cell export [-o FILE] CONTAINER: its file system as a tar. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "commands.h"
#include "engine/commit.h"

int cmd_export(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *output = NULL;
	int o;
	while ((o = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {
		if (o == 'o') {
			output = optarg;
			continue;
		}
		if (o == 'h') {
			cli_print_help("export", "CONTAINER",
				       "Write a container's file system as a tar archive.",
				       "  -o, --output FILE   write to FILE instead of standard output\n");
			return 0;
		}
		return cli_usage_error("export", "unknown or incomplete flag %s", argv[optind - 1]);
	}
	if (argc - optind != 1)
		return cli_usage_error("export", "requires one container");
	cell_error *err = NULL;
	if (!output && isatty(STDOUT_FILENO)) {
		cell_error_set(&err, EINVAL,
			       "export: refusing to write a tar to a terminal; use -o or a redirection");
		return cli_fail(err);
	}
	_cleanup_close_ int fd =
	    output ? open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -EBADF;
	if (output && fd < 0) {
		cell_error_errno(&err, errno, "export: %s", output);
		return cli_fail(err);
	}
	_cleanup_engine_ struct engine *e = NULL;
	if (cli_open_engine(g, &e, &err) < 0 ||
	    engine_export(e, argv[optind], output ? fd : STDOUT_FILENO, &err) < 0) {
		if (output)
			unlink(output);
		return cli_fail(err);
	}
	return 0;
}
