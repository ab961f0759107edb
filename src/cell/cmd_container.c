/* cell container COMMAND: the container commands under one name, as
 * Docker's and Podman's `container` group; `container cleanup` is what a
 * container's monitor runs after the exit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strv.h"
#include "commands.h"
#include "engine/launch.h"
#include "engine/lifecycle.h"

static const struct command container_commands[] = {
    {"attach", "CONTAINER", "attach to a running container", cmd_attach},
    {"cleanup", "CONTAINER", "finish a run that exited (what the monitor runs)", cmd_container_cleanup},
    {"commit", "CONTAINER [IMAGE]", "make an image of a container's changes", cmd_commit},
    {"cp", "SRC DST", "copy files between a container and the host", cmd_cp},
    {"create", "IMAGE [CMD...]", "create a container", cmd_create},
    {"diff", "CONTAINER", "show a container's changes to its image", cmd_diff},
    {"exec", "CONTAINER CMD...", "run a command in a running container", cmd_exec},
    {"export", "CONTAINER", "write a container's file system as a tar archive", cmd_export},
    {"inspect", "CONTAINER...", "show containers in detail (JSON)", cmd_inspect},
    {"kill", "CONTAINER...", "send a signal to containers", cmd_kill},
    {"list", "", "list containers", cmd_ps},
    {"logs", "CONTAINER", "show a container's output", cmd_logs},
    {"ls", "", "list containers", cmd_ps},
    {"prune", "", "remove every container that does not run", cmd_container_prune},
    {"ps", "", "list containers", cmd_ps},
    {"rename", "CONTAINER NAME", "rename a container", cmd_rename},
    {"restart", "CONTAINER...", "restart containers", cmd_restart},
    {"rm", "CONTAINER...", "remove containers", cmd_rm},
    {"run", "IMAGE [CMD...]", "run a command in a new container", cmd_run},
    {"start", "CONTAINER...", "start containers", cmd_start},
    {"stats", "[CONTAINER...]", "show containers' resource use", cmd_stats},
    {"stop", "CONTAINER...", "stop containers", cmd_stop},
    {"top", "CONTAINER [PS ARGS]", "show a container's processes", cmd_top},
    {"wait", "CONTAINER...", "wait for containers to stop", cmd_wait},
};

int cmd_container(const struct global_opts *g, int argc, char **argv)
{
	return cli_dispatch("container", container_commands, ARRAY_SIZE(container_commands), g, argc, argv);
}

/* Parse "3,4,7" into fds. */
static int parse_fds(const char *s, int **out, size_t *n)
{
	*n = 0;
	*out = calloc(strlen(s) / 2 + 2, sizeof(int));
	if (!*out)
		return -1;
	for (const char *p = s; *p;) {
		char *end;
		long fd = strtol(p, &end, 10);
		if (end == p || fd < 3 || fd > 65535)
			return -1;
		(*out)[(*n)++] = (int)fd;
		p = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return 0;
}

int cmd_container_cleanup(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"gen", required_argument, NULL, 'g'},
	    {"client-fds", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	long long gen = -1;
	const char *fds = NULL;
	int o;
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (o) {
		case 'g':
			gen = atoll(optarg);
			break;
		case 'c':
			fds = optarg;
			break;
		case 'h':
			cli_print_help(
			    "container cleanup", "CONTAINER",
			    "Finish a container's run after its process exited: delete the runtime's "
			    "container, record the exit,\nthen remove it (--rm), restart it (its policy) or "
			    "unmount it. A container's monitor runs this.",
			    "      --gen N   the run to finish (default: the last)\n");
			return 0;
		default:
			return cli_usage_error("container cleanup", "unknown or incomplete flag %s",
					       argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("container cleanup", "requires one container");
	_cleanup_free_ int *fdv = NULL;
	size_t nfds = 0;
	if (fds && parse_fds(fds, &fdv, &nfds) < 0)
		return cli_usage_error("container cleanup", "--client-fds \"%s\": not a list of fds", fds);
	cell_error *err = NULL;
	_cleanup_engine_ struct engine *e = NULL;
	if (cli_open_engine(g, &e, &err) < 0)
		return cli_fail(err);
	char id[CTR_ID_LEN + 1];
	if (ctr_resolve(e, argv[optind], id, &err) < 0)
		return cli_fail(err);
	if (gen < 0) {
		_cleanup_ctr_ struct ctr *c = NULL;
		if (ctr_open_id(e, id, false, &c, &err) < 0)
			return cli_fail(err);
		gen = ctr_int(c->state, "Generation", 0);
	}
	if (engine_cleanup(e, id, gen, true, fdv, nfds, &err) < 0)
		return cli_fail(err);
	return 0;
}

int cmd_container_prune(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool force = false;
	int o;
	while ((o = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
		switch (o) {
		case 'f':
			force = true;
			break;
		case 'h':
			cli_print_help("container prune", "", "Remove every container that does not run.",
				       "  -f, --force   do not ask for confirmation\n");
			return 0;
		default:
			return cli_usage_error("container prune", "unknown or incomplete flag %s",
					       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("container prune", "unexpected argument \"%s\"", argv[optind]);
	if (!force && !cli_confirm("This will remove all stopped containers."))
		return 0;
	cell_error *err = NULL;
	_cleanup_engine_ struct engine *e = NULL;
	if (cli_open_engine(g, &e, &err) < 0)
		return cli_fail(err);
	_cleanup_strv_ char **removed = NULL;
	uint64_t reclaimed = 0;
	if (engine_prune(e, &removed, &reclaimed, &err) < 0)
		return cli_fail(err);
	if (removed[0])
		printf("Deleted Containers:\n");
	for (size_t i = 0; removed[i]; i++)
		printf("%s\n", removed[i]);
	char size[32];
	cli_human_size(reclaimed, size, sizeof(size));
	printf("%sTotal reclaimed space: %s\n", removed[0] ? "\n" : "", size);
	return 0;
}
