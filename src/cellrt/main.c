/* cellrt: an OCI runtime with runc's command line. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "cell-config.h"
#include "commands.h"
#include "linux/userns.h"
#include "runtime/features.h"

static const struct command commands[] = {
    {"checkpoint", "CONTAINER_ID", "checkpoint a running container with criu", cmd_checkpoint},
    {"create", "CONTAINER_ID", "create a container", cmd_create},
    {"delete", "CONTAINER_ID...", "delete a container and what it holds", cmd_delete},
    {"events", "CONTAINER_ID", "print statistics and OOM events of a container", cmd_events},
    {"exec", "CONTAINER_ID COMMAND...", "run a process in a running container", cmd_exec},
    {"features", "", "print the OCI features document of this runtime", cmd_features},
    {"kill", "CONTAINER_ID [SIGNAL]", "send a signal to a container's processes", cmd_kill},
    {"list", "", "list the containers", cmd_list},
    {"pause", "CONTAINER_ID", "freeze the processes of a container", cmd_pause},
    {"ps", "CONTAINER_ID [PS_OPTIONS]", "list the processes of a container", cmd_ps},
    {"restore", "CONTAINER_ID", "restore a container from a checkpoint", cmd_restore},
    {"resume", "CONTAINER_ID", "thaw a paused container", cmd_resume},
    {"run", "CONTAINER_ID", "create and start a container", cmd_run},
    {"spec", "", "write a default config.json", cmd_spec},
    {"start", "CONTAINER_ID", "start the process of a created container", cmd_start},
    {"state", "CONTAINER_ID", "print the state of a container", cmd_state},
    {"update", "CONTAINER_ID", "change the resource limits of a container", cmd_update},
};

int cli_fail(cell_error *err)
{
	log_error("%s", err ? err->msg : "unknown error");
	/* With a log file the message went there; the caller also reads stderr. */
	if (cell_log_to_file())
		fprintf(stderr, "cellrt: %s\n", err ? err->msg : "unknown error");
	cell_error_free(err);
	return 1;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cell_error *err = NULL;
	cell_error_set(&err, EINVAL, "%s: %s (see 'cellrt %s --help')", cmd, msg, cmd);
	return cli_fail(err);
}

bool cli_parse_int(const char *s, int max, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max)
		return false;
	*out = (int)v;
	return true;
}

void cli_reset_getopt(void)
{
	optind = 0; /* 0 also resets glibc's internal state */
	opterr = 0;
}

void cli_print_help(const char *cmd, const char *args, const char *summary, const char *help)
{
	printf("Usage: cellrt %s [OPTIONS]%s%s\n\n%s\n", cmd, *args ? " " : "", args, summary);
	if (help && *help)
		printf("\nOptions:\n%s", help);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: cellrt [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n\n"
		   "cellrt runs containers from OCI bundles, with runc's command line.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nGlobal options:\n"
		   "  --root DIR              state directory (default /run/cellrt, rootless "
		   "$XDG_RUNTIME_DIR/cellrt)\n"
		   "  --log FILE              write log messages to FILE\n"
		   "  --log-format text|json  format of the log file (default text)\n"
		   "  --debug                 log debug messages\n"
		   "  --systemd-cgroup        use systemd for cgroups (cgroupsPath is slice:prefix:name)\n"
		   "  --cgroup-manager M      cgroupfs, systemd or disabled (crun's flag)\n"
		   "  --rootless true|false|auto  accepted for runc compatibility\n"
		   "  --criu PATH             the criu binary for checkpoint and restore (default: criu)\n"
		   "  -v, --version           print the version\n"
		   "  -h, --help              print this help\n");
}

/* crun's line of "+FEATURE" tags (engines and crun's tests read it), from
 * the features document. */
static void print_feature_tags(const struct runtime_opts *g)
{
	json_t *f = runtime_features(g);
	json_t *l = json_object_get(f, "linux");
	static const char *const tags[][3] = {
	    {"SYSTEMD", "cgroup", "systemd"},
	    {"SELINUX", "selinux", "enabled"},
	    {"APPARMOR", "apparmor", "enabled"},
	    {"SECCOMP", "seccomp", "enabled"},
	};
	printf("+CAP");
	for (size_t i = 0; i < ARRAY_SIZE(tags); i++)
		if (json_is_true(json_object_get(json_object_get(l, tags[i][1]), tags[i][2])))
			printf(" +%s", tags[i][0]);
	if (json_is_true(
		json_object_get(json_object_get(json_object_get(l, "mountExtensions"), "idmap"), "enabled")))
		printf(" +IDMAP");
	const char *cp = json_string_value(
	    json_object_get(json_object_get(f, "annotations"), "org.cell.cellrt.checkpoint.enabled"));
	if (cp && strcmp(cp, "true") == 0)
		printf(" +CRIU");
	putchar('\n');
	json_decref(f);
}

static void version(const struct runtime_opts *g)
{
	printf("cellrt version %s\ncommit: %s\nspec: %s\n", CELL_VERSION, CELL_COMMIT, CELL_OCI_VERSION);
	print_feature_tags(g);
}

static char *default_root(void)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char *s = NULL;
	/* root inside someone's user namespace (rootless podman) is rootless */
	if (userns_host_root() || !xdg || !*xdg)
		return strdup("/run/cellrt");
	if (asprintf(&s, "%s/cellrt", xdg) < 0)
		return NULL;
	return s;
}

enum { OPT_ROOT = 256, OPT_LOG, OPT_LOG_FORMAT, OPT_DEBUG, OPT_SYSTEMD, OPT_MANAGER, OPT_ROOTLESS, OPT_CRIU };

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"root", required_argument, NULL, OPT_ROOT},
	    {"log", required_argument, NULL, OPT_LOG},
	    {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
	    {"debug", no_argument, NULL, OPT_DEBUG},
	    {"systemd-cgroup", no_argument, NULL, OPT_SYSTEMD},
	    {"cgroup-manager", required_argument, NULL, OPT_MANAGER},
	    {"rootless", required_argument, NULL, OPT_ROOTLESS},
	    {"criu", required_argument, NULL, OPT_CRIU},
	    {"version", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct runtime_opts g = {.cgroup_manager = CGROUP_MANAGER_CGROUPFS};
	const char *log_file = NULL, *log_format = "text";
	_cleanup_free_ char *root = NULL;
	int c;

	cell_log_set_program("cellrt");
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_ROOT:
			free(root);
			root = strdup(optarg);
			break;
		case OPT_LOG:
			log_file = optarg;
			break;
		case OPT_LOG_FORMAT:
			log_format = optarg;
			break;
		case OPT_DEBUG:
			cell_log_set_level(CELL_LOG_DEBUG);
			break;
		case OPT_SYSTEMD:
			g.cgroup_manager = CGROUP_MANAGER_SYSTEMD;
			break;
		case OPT_MANAGER:
			if (strcmp(optarg, "cgroupfs") == 0)
				g.cgroup_manager = CGROUP_MANAGER_CGROUPFS;
			else if (strcmp(optarg, "systemd") == 0)
				g.cgroup_manager = CGROUP_MANAGER_SYSTEMD;
			else if (strcmp(optarg, "disabled") == 0)
				g.cgroup_manager = CGROUP_MANAGER_DISABLED;
			else
				return cli_usage_error("cellrt",
						       "--cgroup-manager: unknown manager \"%s\" "
						       "(cgroupfs, systemd or disabled)",
						       optarg);
			break;
		case OPT_ROOTLESS:
			if (strcmp(optarg, "true") && strcmp(optarg, "false") && strcmp(optarg, "auto"))
				return cli_usage_error(
				    "cellrt", "--rootless: must be true, false or auto, got \"%s\"", optarg);
			g.rootless = strcmp(optarg, "true") == 0;
			break;
		case OPT_CRIU:
			g.criu_path = optarg;
			break;
		case 'v':
			version(&g);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case '?':
		default:
			if (optopt)
				return cli_usage_error("cellrt", "unknown or incomplete option -%c", optopt);
			return cli_usage_error("cellrt", "unknown or incomplete option %s", argv[optind - 1]);
		}
	}
	if (strcmp(log_format, "text") != 0 && strcmp(log_format, "json") != 0)
		return cli_usage_error("cellrt", "--log-format: must be text or json, got \"%s\"",
				       log_format);
	if (log_file && *log_file) {
		int r = cell_log_set_file(log_file, strcmp(log_format, "json") == 0);
		if (r < 0) {
			fprintf(stderr, "cellrt: --log %s: %s\n", log_file, strerror(-r));
			return 1;
		}
	}
	if (!root && !(root = default_root())) {
		fprintf(stderr, "cellrt: out of memory\n");
		return 1;
	}
	g.root = root;

	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	const char *name = argv[optind];
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
	return cli_usage_error("cellrt", "unknown command \"%s\"", name);
}
