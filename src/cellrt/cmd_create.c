/* create and run share their flags. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const char create_help[] =
    "  -b, --bundle DIR         the bundle (default: the current directory)\n"
    "      --config FILE        the config, relative to the bundle (default: config.json)\n"
    "      --pid-file FILE      write the init's pid to FILE\n"
    "      --console-socket S   send the terminal's master fd to the unix socket S\n"
    "      --no-pivot           chroot instead of pivot_root (weaker isolation)\n"
    "      --no-new-keyring     keep the caller's session keyring\n"
    "      --preserve-fds N     pass fds 3 .. 3+N-1 to the process\n";

static const char run_help[] = "  -d, --detach             return once the process runs\n"
			       "      --keep               keep the container's state after it exits\n";

enum {
	OPT_CONFIG = 256,
	OPT_PID_FILE,
	OPT_CONSOLE,
	OPT_NO_PIVOT,
	OPT_NO_KEYRING,
	OPT_PRESERVE,
	OPT_KEEP,
	OPT_NO_SUBREAPER
};

static int parse(const char *cmd, bool run, int argc, char **argv, struct create_opts *o, bool *detach,
		 bool *keep)
{
	static const struct option opts[] = {
	    {"bundle", required_argument, NULL, 'b'},
	    {"config", required_argument, NULL, OPT_CONFIG},
	    {"pid-file", required_argument, NULL, OPT_PID_FILE},
	    {"console-socket", required_argument, NULL, OPT_CONSOLE},
	    {"no-pivot", no_argument, NULL, OPT_NO_PIVOT},
	    {"no-new-keyring", no_argument, NULL, OPT_NO_KEYRING},
	    {"preserve-fds", required_argument, NULL, OPT_PRESERVE},
	    {"detach", no_argument, NULL, 'd'},
	    {"keep", no_argument, NULL, OPT_KEEP},
	    {"no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;
	while ((c = getopt_long_only(argc, argv, "+b:dh", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o->bundle = optarg;
			break;
		case OPT_CONFIG:
			o->config = optarg;
			break;
		case OPT_PID_FILE:
			o->pid_file = optarg;
			break;
		case OPT_CONSOLE:
			o->console_socket = optarg;
			break;
		case OPT_NO_PIVOT:
			o->no_pivot = true;
			break;
		case OPT_NO_KEYRING:
			o->no_new_keyring = true;
			break;
		case OPT_PRESERVE:
			if (!cli_parse_int(optarg, 65535, &o->preserve_fds))
				return cli_usage_error(cmd, "--preserve-fds: \"%s\" is not a number of fds",
						       optarg);
			break;
		case 'd':
		case OPT_KEEP:
		case OPT_NO_SUBREAPER:
			if (!run)
				return cli_usage_error(cmd, "unknown option %s", argv[optind - 1]);
			if (c == 'd')
				*detach = true;
			else if (c == OPT_KEEP)
				*keep = true;
			break;
		case 'h':
			if (run) {
				printf("Usage: cellrt run [OPTIONS] CONTAINER_ID\n\nCreate and start a "
				       "container.\n\n"
				       "Options:\n%s%s",
				       create_help, run_help);
			} else {
				cli_print_help(cmd, "CONTAINER_ID", "Create a container.", create_help);
			}
			return -1;
		default:
			return cli_usage_error(cmd, "unknown or incomplete option %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error(cmd, "missing the container id");
	if (optind + 1 < argc)
		return cli_usage_error(cmd, "unexpected argument \"%s\" after the container id",
				       argv[optind + 1]);
	o->id = argv[optind];
	return 0;
}

int cmd_create(const struct runtime_opts *g, int argc, char **argv)
{
	struct create_opts o = {0};
	int r = parse("create", false, argc, argv, &o, NULL, NULL);
	if (r != 0)
		return r < 0 ? 0 : r;
	cell_error *err = NULL;
	if (runtime_create(g, &o, &err) < 0)
		return cli_fail(err);
	return 0;
}

int cmd_run(const struct runtime_opts *g, int argc, char **argv)
{
	struct create_opts o = {0};
	bool detach = false, keep = false;
	int r = parse("run", true, argc, argv, &o, &detach, &keep);
	if (r != 0)
		return r < 0 ? 0 : r;
	cell_error *err = NULL;
	int status = 0;
	if (runtime_run(g, &o, detach, keep, &status, &err) < 0)
		return cli_fail(err);
	return status;
}
