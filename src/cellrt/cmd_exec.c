#include <stdio.h>
#include <string.h>

#include "base/strv.h"
#include "commands.h"
#include "runtime/exec.h"

static const char help[] =
    "  -p, --process FILE         the process as an OCI process JSON (instead of COMMAND)\n"
    "  -t, --tty                  allocate a terminal\n"
    "      --console-socket S     send the terminal's master fd to the unix socket S\n"
    "  -d, --detach               return once the process runs\n"
    "      --pid-file FILE        write the process's pid to FILE\n"
    "      --cwd DIR              working directory inside the container\n"
    "  -e, --env KEY=VALUE        set an environment variable (repeatable)\n"
    "  -u, --user UID[:GID]       run as this user\n"
    "  -g, --additional-gids GID  add a supplementary group (repeatable, or comma separated)\n"
    "  -c, --cap CAP              add a capability (repeatable)\n"
    "      --no-new-privs         set no_new_privs\n"
    "      --apparmor PROFILE     the AppArmor profile of the process\n"
    "      --process-label LABEL  the SELinux label of the process\n"
    "      --preserve-fds N       pass fds 3 .. 3+N-1 to the process\n"
    "      --cgroup [CTL:]PATH    run in this existing sub-cgroup of the container (repeatable)\n";

enum { OPT_CONSOLE = 256, OPT_PID_FILE, OPT_CWD, OPT_NNP, OPT_APPARMOR, OPT_LABEL, OPT_PRESERVE, OPT_CGROUP };

static int push(char ***v, const char *s)
{
	if (strv_push(v, s) < 0) {
		cell_error *err = NULL;
		cell_error_set(&err, ENOMEM, "out of memory");
		return cli_fail(err);
	}
	return 0;
}

int cmd_exec(const struct runtime_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"process", required_argument, NULL, 'p'},
	    {"tty", no_argument, NULL, 't'},
	    {"console-socket", required_argument, NULL, OPT_CONSOLE},
	    {"detach", no_argument, NULL, 'd'},
	    {"pid-file", required_argument, NULL, OPT_PID_FILE},
	    {"cwd", required_argument, NULL, OPT_CWD},
	    {"env", required_argument, NULL, 'e'},
	    {"user", required_argument, NULL, 'u'},
	    {"additional-gids", required_argument, NULL, 'g'},
	    {"cap", required_argument, NULL, 'c'},
	    {"no-new-privs", no_argument, NULL, OPT_NNP},
	    {"apparmor", required_argument, NULL, OPT_APPARMOR},
	    {"process-label", required_argument, NULL, OPT_LABEL},
	    {"preserve-fds", required_argument, NULL, OPT_PRESERVE},
	    {"cgroup", required_argument, NULL, OPT_CGROUP},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct exec_opts o = {0};
	_cleanup_strv_ char **env = NULL, **gids = NULL, **caps = NULL, **cgroups = NULL;
	int c, r = 0;
	while ((c = getopt_long_only(argc, argv, "+p:tde:u:g:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o.process_file = optarg;
			break;
		case 't':
			o.tty = true;
			break;
		case OPT_CONSOLE:
			o.console_socket = optarg;
			break;
		case 'd':
			o.detach = true;
			break;
		case OPT_PID_FILE:
			o.pid_file = optarg;
			break;
		case OPT_CWD:
			o.cwd = optarg;
			break;
		case 'e':
			r = push(&env, optarg);
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'g':
			r = push(&gids, optarg);
			break;
		case 'c':
			r = push(&caps, optarg);
			break;
		case OPT_NNP:
			o.no_new_privs = true;
			break;
		case OPT_APPARMOR:
			o.apparmor = optarg;
			break;
		case OPT_LABEL:
			o.process_label = optarg;
			break;
		case OPT_PRESERVE:
			if (!cli_parse_int(optarg, 65535, &o.preserve_fds))
				return cli_usage_error(
				    "exec", "--preserve-fds: \"%s\" is not a number of fds", optarg);
			break;
		case OPT_CGROUP:
			r = push(&cgroups, optarg);
			break;
		case 'h':
			cli_print_help("exec", "CONTAINER_ID [COMMAND [ARG...]]",
				       "Run a process in a running container.", help);
			return 0;
		default:
			return cli_usage_error("exec", "unknown or incomplete option %s", argv[optind - 1]);
		}
		if (r)
			return r;
	}
	if (optind >= argc)
		return cli_usage_error("exec", "missing the container id");
	o.id = argv[optind];
	o.args = argv + optind + 1;
	o.env = env;
	o.additional_gids = gids;
	o.caps = caps;
	o.cgroups = cgroups;
	if (!o.process_file && !o.args[0])
		return cli_usage_error("exec", "missing the command to run (or --process FILE)");
	cell_error *err = NULL;
	int status = 0;
	if (runtime_exec(g, &o, &status, &err) < 0)
		return cli_fail(err);
	return status;
}
