/* checkpoint and restore, through criu. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "runtime/checkpoint.h"

static const char checkpoint_help[] =
    "      --image-path DIR       where criu writes the images (default: ./checkpoint)\n"
    "      --work-path DIR        where criu writes its log (default: the image path)\n"
    "      --parent-path DIR      an earlier pre-dump, relative to the image path\n"
    "      --leave-running        leave the container running after the dump\n"
    "      --pre-dump             dump memory only, leave the container running\n"
    "      --tcp-established      dump established TCP connections\n"
    "      --ext-unix-sk          allow external unix sockets\n"
    "      --shell-job            allow a shell job (a terminal from outside)\n"
    "      --file-locks           dump file locks\n"
    "      --manage-cgroups-mode M  soft (default), full, strict or ignore\n";

static const char restore_help[] =
    "  -b, --bundle DIR           the bundle (default: the current directory)\n"
    "      --config FILE          the config, relative to the bundle (default: config.json)\n"
    "      --image-path DIR       the images of the checkpoint (default: ./checkpoint)\n"
    "      --work-path DIR        where criu writes its log (default: the image path)\n"
    "  -d, --detach               return once the container runs\n"
    "      --pid-file FILE        write the init's pid to FILE\n"
    "      --console-socket S     (a restored terminal is not supported)\n"
    "      --tcp-established      restore established TCP connections\n"
    "      --ext-unix-sk          allow external unix sockets\n"
    "      --shell-job            allow a shell job\n"
    "      --file-locks           restore file locks\n"
    "      --manage-cgroups-mode M  soft (default), full, strict or ignore\n";

enum {
	OPT_IMAGE = 256,
	OPT_WORK,
	OPT_PARENT,
	OPT_LEAVE,
	OPT_PRE,
	OPT_TCP,
	OPT_UNIX,
	OPT_SHELL,
	OPT_LOCKS,
	OPT_CGMODE,
	OPT_CONFIG,
	OPT_PID_FILE,
	OPT_CONSOLE,
	OPT_NO_SUBREAPER,
	OPT_NO_PIVOT,
};

static int one_id(const char *cmd, int argc, char **argv, const char **id)
{
	if (optind >= argc)
		return cli_usage_error(cmd, "missing the container id");
	if (optind + 1 < argc)
		return cli_usage_error(cmd, "unexpected argument \"%s\" after the container id",
				       argv[optind + 1]);
	*id = argv[optind];
	return 0;
}

int cmd_checkpoint(const struct runtime_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"image-path", required_argument, NULL, OPT_IMAGE},
	    {"work-path", required_argument, NULL, OPT_WORK},
	    {"parent-path", required_argument, NULL, OPT_PARENT},
	    {"leave-running", no_argument, NULL, OPT_LEAVE},
	    {"pre-dump", no_argument, NULL, OPT_PRE},
	    {"tcp-established", no_argument, NULL, OPT_TCP},
	    {"ext-unix-sk", no_argument, NULL, OPT_UNIX},
	    {"shell-job", no_argument, NULL, OPT_SHELL},
	    {"file-locks", no_argument, NULL, OPT_LOCKS},
	    {"manage-cgroups-mode", required_argument, NULL, OPT_CGMODE},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct checkpoint_opts o = {0};
	int c;
	while ((c = getopt_long_only(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_IMAGE:
			o.image_path = optarg;
			break;
		case OPT_WORK:
			o.work_path = optarg;
			break;
		case OPT_PARENT:
			o.parent_path = optarg;
			break;
		case OPT_LEAVE:
			o.leave_running = true;
			break;
		case OPT_PRE:
			o.pre_dump = true;
			break;
		case OPT_TCP:
			o.tcp_established = true;
			break;
		case OPT_UNIX:
			o.ext_unix_sk = true;
			break;
		case OPT_SHELL:
			o.shell_job = true;
			break;
		case OPT_LOCKS:
			o.file_locks = true;
			break;
		case OPT_CGMODE:
			o.manage_cgroups_mode = optarg;
			break;
		case 'h':
			cli_print_help("checkpoint", "CONTAINER_ID",
				       "Checkpoint a running container with criu.", checkpoint_help);
			return 0;
		default:
			return cli_usage_error("checkpoint", "unknown or incomplete option %s",
					       argv[optind - 1]);
		}
	}
	int r = one_id("checkpoint", argc, argv, &o.id);
	if (r)
		return r;
	cell_error *err = NULL;
	if (runtime_checkpoint(g, &o, &err) < 0)
		return cli_fail(err);
	return 0;
}

int cmd_restore(const struct runtime_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"bundle", required_argument, NULL, 'b'},
	    {"config", required_argument, NULL, OPT_CONFIG},
	    {"image-path", required_argument, NULL, OPT_IMAGE},
	    {"work-path", required_argument, NULL, OPT_WORK},
	    {"detach", no_argument, NULL, 'd'},
	    {"pid-file", required_argument, NULL, OPT_PID_FILE},
	    {"console-socket", required_argument, NULL, OPT_CONSOLE},
	    {"tcp-established", no_argument, NULL, OPT_TCP},
	    {"ext-unix-sk", no_argument, NULL, OPT_UNIX},
	    {"shell-job", no_argument, NULL, OPT_SHELL},
	    {"file-locks", no_argument, NULL, OPT_LOCKS},
	    {"manage-cgroups-mode", required_argument, NULL, OPT_CGMODE},
	    {"no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER},
	    {"no-pivot", no_argument, NULL, OPT_NO_PIVOT},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct create_opts o = {0};
	struct restore_opts ro = {0};
	bool detach = false;
	int c;
	while ((c = getopt_long_only(argc, argv, "+b:dh", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o.bundle = optarg;
			break;
		case OPT_CONFIG:
			o.config = optarg;
			break;
		case OPT_IMAGE:
			ro.image_path = optarg;
			break;
		case OPT_WORK:
			ro.work_path = optarg;
			break;
		case 'd':
			detach = true;
			break;
		case OPT_PID_FILE:
			o.pid_file = optarg;
			break;
		case OPT_CONSOLE:
			o.console_socket = optarg;
			break;
		case OPT_TCP:
			ro.tcp_established = true;
			break;
		case OPT_UNIX:
			ro.ext_unix_sk = true;
			break;
		case OPT_SHELL:
			ro.shell_job = true;
			break;
		case OPT_LOCKS:
			ro.file_locks = true;
			break;
		case OPT_CGMODE:
			ro.manage_cgroups_mode = optarg;
			break;
		case OPT_NO_SUBREAPER:
		case OPT_NO_PIVOT:
			/* runc's; criu makes the root and the process tree. */
			break;
		case 'h':
			cli_print_help("restore", "CONTAINER_ID",
				       "Restore a container from a checkpoint with criu.", restore_help);
			return 0;
		default:
			return cli_usage_error("restore", "unknown or incomplete option %s",
					       argv[optind - 1]);
		}
	}
	int r = one_id("restore", argc, argv, &o.id);
	if (r)
		return r;
	cell_error *err = NULL;
	int status = 0;
	if (runtime_restore(g, &o, &ro, detach, &status, &err) < 0)
		return cli_fail(err);
	return status;
}
