/* cell: the engine CLI. Global flags as Podman's (--root, --runroot,
 * --log-level, --storage-driver), then a command. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "cell-config.h"
#include "commands.h"

static const struct command commands[] = {
    {"attach", "CONTAINER", "attach to a running container", cmd_attach},
    {"commit", "CONTAINER [IMAGE]", "make an image of a container's changes", cmd_commit},
    {"container", "COMMAND", "manage containers (container --help lists its commands)", cmd_container},
    {"cp", "SRC DST", "copy files between a container and the host", cmd_cp},
    {"create", "IMAGE [CMD...]", "create a container", cmd_create},
    {"diff", "CONTAINER", "show a container's changes to its image", cmd_diff},
    {"exec", "CONTAINER CMD...", "run a command in a running container", cmd_exec},
    {"export", "CONTAINER", "write a container's file system as a tar archive", cmd_export},
    {"image", "COMMAND", "manage images (image --help lists its commands)", cmd_image},
    {"images", "", "list images", cmd_images},
    {"import", "TARBALL [NAME]", "make an image of a root file system tarball", cmd_import},
    {"inspect", "OBJECT...", "show containers, images or volumes in detail (JSON)", cmd_inspect},
    {"kill", "CONTAINER...", "send a signal to containers", cmd_kill},
    {"load", "", "load images from a docker-archive or oci-archive", cmd_load},
    {"login", "REGISTRY", "log in to a registry", cmd_login},
    {"logout", "REGISTRY", "log out of a registry", cmd_logout},
    {"logs", "CONTAINER", "show a container's output", cmd_logs},
    {"ps", "", "list containers", cmd_ps},
    {"pull", "IMAGE", "pull an image from a registry", cmd_pull},
    {"push", "IMAGE [DEST]", "push an image to a registry", cmd_push},
    {"rename", "CONTAINER NAME", "rename a container", cmd_rename},
    {"restart", "CONTAINER...", "restart containers", cmd_restart},
    {"rm", "CONTAINER...", "remove containers", cmd_rm},
    {"rmi", "IMAGE...", "remove images", cmd_rmi},
    {"run", "IMAGE [CMD...]", "run a command in a new container", cmd_run},
    {"save", "IMAGE...", "write images to an archive", cmd_save},
    {"start", "CONTAINER...", "start containers", cmd_start},
    {"stats", "[CONTAINER...]", "show containers' resource use", cmd_stats},
    {"stop", "CONTAINER...", "stop containers", cmd_stop},
    {"system", "COMMAND", "manage the store (df, check)", cmd_system},
    {"tag", "IMAGE NAME...", "give an image more names", cmd_tag},
    {"top", "CONTAINER [PS ARGS]", "show a container's processes", cmd_top},
    {"volume", "COMMAND", "manage volumes (volume --help lists its commands)", cmd_volume},
    {"wait", "CONTAINER...", "wait for containers to stop; print their exit codes", cmd_wait},
};

static const struct command image_commands[] = {
    {"history", "IMAGE", "show the history of an image", cmd_image_history},
    {"import", "TARBALL [NAME]", "make an image of a root file system tarball", cmd_import},
    {"inspect", "IMAGE...", "show images in detail (JSON)", cmd_image_inspect},
    {"list", "", "list images", cmd_images},
    {"load", "", "load images from an archive", cmd_load},
    {"ls", "", "list images", cmd_images},
    {"mount", "IMAGE", "mount an image read-only and print where", cmd_image_mount},
    {"prune", "", "remove unused images", cmd_image_prune},
    {"pull", "IMAGE", "pull an image from a registry", cmd_pull},
    {"push", "IMAGE [DEST]", "push an image to a registry", cmd_push},
    {"rm", "IMAGE...", "remove images", cmd_rmi},
    {"save", "IMAGE...", "write images to an archive", cmd_save},
    {"tag", "IMAGE NAME...", "give an image more names", cmd_tag},
    {"unmount", "IMAGE", "unmount an image", cmd_image_unmount},
};

static const struct command system_commands[] = {
    {"check", "", "verify the store; --repair removes what is broken or orphaned", cmd_system_check},
    {"df", "", "show how much space the store uses", cmd_system_df},
};

int cmd_image(const struct global_opts *g, int argc, char **argv)
{
	return cli_dispatch("image", image_commands, sizeof(image_commands) / sizeof(image_commands[0]), g,
			    argc, argv);
}

int cmd_system(const struct global_opts *g, int argc, char **argv)
{
	return cli_dispatch("system", system_commands, sizeof(system_commands) / sizeof(system_commands[0]),
			    g, argc, argv);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: cell [OPTIONS] COMMAND [ARG...]\n\n"
		   "A daemonless container engine.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "  %-10s %s\n", "version", "show the version");
	fprintf(f, "\nOptions:\n"
		   "  --root DIR                the store (default /var/lib/cell; rootless "
		   "$XDG_DATA_HOME/cell)\n"
		   "  --runroot DIR             the run directory (default /run/cell; rootless "
		   "$XDG_RUNTIME_DIR/cell)\n"
		   "  --storage-driver NAME     overlay or vfs (a new store only)\n"
		   "  --log-level LEVEL         error, warn, info or debug (default warn)\n"
		   "  -h, --help                show this help\n"
		   "  -v, --version             show the version\n");
}

static int version(void)
{
	printf("cell version %s (commit %s)\n", CELL_VERSION, CELL_COMMIT);
	return 0;
}

enum { OPT_ROOT = 256, OPT_RUNROOT, OPT_LOG_LEVEL, OPT_DRIVER };

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"root", required_argument, NULL, OPT_ROOT},
	    {"runroot", required_argument, NULL, OPT_RUNROOT},
	    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
	    {"storage-driver", required_argument, NULL, OPT_DRIVER},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'v'},
	    {0},
	};
	struct global_opts g = {0};
	int c;
	cell_log_set_program("cell");
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
		switch (c) {
		case OPT_ROOT:
			g.root = optarg;
			break;
		case OPT_RUNROOT:
			g.runroot = optarg;
			break;
		case OPT_DRIVER:
			g.driver = optarg;
			break;
		case OPT_LOG_LEVEL:
			g.log_level = optarg;
			if (strcmp(optarg, "error") == 0 || strcmp(optarg, "fatal") == 0 ||
			    strcmp(optarg, "panic") == 0)
				cell_log_set_level(CELL_LOG_ERROR);
			else if (strcmp(optarg, "warn") == 0 || strcmp(optarg, "warning") == 0)
				cell_log_set_level(CELL_LOG_WARNING);
			else if (strcmp(optarg, "info") == 0)
				cell_log_set_level(CELL_LOG_INFO);
			else if (strcmp(optarg, "debug") == 0 || strcmp(optarg, "trace") == 0)
				cell_log_set_level(CELL_LOG_DEBUG);
			else
				return cli_usage_error(
				    "cell", "--log-level: \"%s\" is not error, warn, info or debug", optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
			return version();
		case '?':
		default:
			if (optopt)
				return cli_usage_error("cell", "unknown or incomplete option -%c", optopt);
			return cli_usage_error("cell", "unknown or incomplete option %s", argv[optind - 1]);
		}
	}
	if (g.root && !*g.root)
		return cli_usage_error("cell", "--root: empty path");
	if (g.runroot && !*g.runroot)
		return cli_usage_error("cell", "--runroot: empty path");
	if (optind >= argc) {
		usage(stderr);
		return EXIT_CELL_FAILED;
	}
	const char *name = argv[optind];
	if (strcmp(name, "version") == 0)
		return version();
	if (strcmp(name, "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0) {
			int sub_argc = argc - optind;
			char **sub_argv = argv + optind;
			cli_reset_getopt();
			return commands[i].run(&g, sub_argc, sub_argv);
		}
	return cli_usage_error("cell", "unknown command \"%s\"", name);
}
