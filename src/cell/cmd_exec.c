/* cell exec [-i] [-t] [-d] [-e K=V] [-u USER] [-w DIR] CONTAINER CMD... */
#include <fcntl.h>
#include <stdio.h>

#include "base/file.h"
#include "base/strv.h"
#include "commands.h"
#include "engine/exec.h"
#include "engine/options.h"

int cmd_exec(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"interactive", no_argument, NULL, 'i'},    {"tty", no_argument, NULL, 't'},
	    {"detach", no_argument, NULL, 'd'},         {"env", required_argument, NULL, 'e'},
	    {"env-file", required_argument, NULL, 'E'}, {"user", required_argument, NULL, 'u'},
	    {"workdir", required_argument, NULL, 'w'},  {"privileged", no_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},           {0},
	};
	struct engine_exec_request req = {0};
	_cleanup_strv_ char **env = NULL;
	cell_error *err = NULL;
	int o;
	while ((o = getopt_long(argc, argv, "+itde:u:w:h", opts, NULL)) != -1) {
		switch (o) {
		case 'i':
			req.interactive = true;
			break;
		case 't':
			req.tty = true;
			break;
		case 'd':
			req.detach = true;
			break;
		case 'e':
			if (opt_add_env(optarg, &env, &err) < 0)
				return cli_fail(err);
			break;
		case 'E': {
			_cleanup_free_ char *text = NULL;
			size_t len = 0;
			int r = read_file_at(AT_FDCWD, optarg, 16 << 20, &text, &len);
			if (r < 0) {
				cell_error_errno(&err, r, "--env-file %s", optarg);
				return cli_fail(err);
			}
			if (opt_parse_env_file(text, len, optarg, &env, &err) < 0)
				return cli_fail(err);
			break;
		}
		case 'u':
			req.user = optarg;
			break;
		case 'w':
			req.workdir = optarg;
			break;
		case 'p':
			req.privileged = true;
			break;
		case 'h':
			cli_print_help("exec", "CONTAINER COMMAND [ARG...]",
				       "Run a command in a running container.",
				       "  -i, --interactive     pass our stdin on\n"
				       "  -t, --tty             give it a terminal\n"
				       "  -d, --detach          run it in the background\n"
				       "  -e, --env KEY=VALUE   set an environment variable\n"
				       "      --env-file FILE   read environment variables from FILE\n"
				       "  -u, --user USER[:GROUP]   run as this user\n"
				       "  -w, --workdir DIR     its working directory\n"
				       "      --privileged      every capability\n");
			return 0;
		default:
			return cli_usage_error("exec", "unknown or incomplete flag %s", argv[optind - 1]);
		}
	}
	if (argc - optind < 2)
		return cli_usage_error("exec", "requires a container and a command");
	req.args = argv + optind + 1;
	req.env = env;
	_cleanup_engine_ struct engine *e = NULL;
	if (cli_open_engine(g, &e, &err) < 0)
		return cli_fail(err);
	int code;
	if (engine_exec(e, argv[optind], &req, &code, &err) < 0) {
		cli_fail(err);
		return code;
	}
	return code;
}
