/* The flags of `cell run` and `cell create` (Docker's names), parsed into a
 * create_request. The values themselves are parsed by the engine's
 * option parsers (engine/options.h, engine/mountspec.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/strv.h"
#include "commands.h"

enum {
	OPT_RM = 256,
	OPT_NAME,
	OPT_ENV_FILE,
	OPT_ENTRYPOINT,
	OPT_MOUNT,
	OPT_TMPFS,
	OPT_READ_ONLY,
	OPT_CPUS,
	OPT_PIDS,
	OPT_CAP_ADD,
	OPT_CAP_DROP,
	OPT_PRIVILEGED,
	OPT_SECURITY,
	OPT_INIT,
	OPT_RESTART,
	OPT_STOP_SIGNAL,
	OPT_STOP_TIMEOUT,
	OPT_ULIMIT,
	OPT_NETWORK,
	OPT_PULL,
	OPT_LOG_DRIVER,
	OPT_LOG_OPT,
	OPT_SIG_PROXY,
	OPT_HELP,
};

static const char run_help[] =
    "  -d, --detach                  run in the background and print the container ID\n"
    "  -i, --interactive             keep stdin open\n"
    "  -t, --tty                     give the container a terminal\n"
    "      --rm                      remove the container when it exits\n"
    "      --name NAME               name the container\n"
    "  -e, --env KEY[=VALUE]         set an environment variable\n"
    "      --env-file FILE           read environment variables from FILE\n"
    "  -w, --workdir DIR             the working directory in the container\n"
    "  -u, --user USER[:GROUP]       run as this user (name or number)\n"
    "      --entrypoint CMD          replace the image's entrypoint\n"
    "  -v, --volume SRC:DST[:OPTS]   bind a host path or a named volume (or DST: an anonymous one)\n"
    "      --mount type=...,...      bind, volume or tmpfs mount\n"
    "      --tmpfs DST[:OPTS]        mount a tmpfs\n"
    "      --read-only               a read-only root file system\n"
    "  -h, --hostname NAME           the container's host name\n"
    "  -m, --memory SIZE             memory limit (512m, 1g)\n"
    "      --cpus N                  CPU limit (1.5)\n"
    "      --pids-limit N            process limit (-1: none)\n"
    "      --cap-add CAP             add a capability (or ALL)\n"
    "      --cap-drop CAP            drop a capability (or ALL)\n"
    "      --privileged              every capability and device, no seccomp, no masked paths\n"
    "      --security-opt OPT        seccomp=unconfined|FILE, no-new-privileges, apparmor=P, label=disable\n"
    "      --init                    run a small init as pid 1 that reaps and passes signals on\n"
    "      --restart POLICY          no, on-failure[:N], always, unless-stopped\n"
    "      --stop-signal SIG         the signal that stops it (default the image's, or SIGTERM)\n"
    "      --stop-timeout N          seconds before stop kills it (default 10)\n"
    "      --ulimit NAME=SOFT[:HARD] a resource limit (nofile=1024:2048)\n"
    "  -l, --label KEY=VALUE         a label\n"
    "      --network none|host       the network (default none: loopback only)\n"
    "      --pull missing|always|never   pull the image first (default missing)\n"
    "  -q, --quiet                   no pull progress\n"
    "      --log-driver k8s-file|none    where output goes (default k8s-file)\n"
    "      --log-opt max-size=S|max-file=N   log rotation (default 10m, 3 files)\n"
    "      --sig-proxy=true|false    pass signals on to the container (default true)\n"
    "      --help                    show this help\n";

void run_cli_clear(struct run_cli *c)
{
	strv_free(c->env);
	strv_free(c->cap_add);
	strv_free(c->cap_drop);
	strv_free(c->security_opts);
	opt_security_clear(&c->sec);
	for (size_t i = 0; i < c->n_mounts; i++)
		mount_spec_clear(&c->mounts[i]);
	free(c->mounts);
	free(c->ulimits);
	json_decref(c->labels);
	cli_registry_flags_clear(&c->registry);
	progress_free(c->progress);
	memset(c, 0, sizeof(*c));
}

static int add_mount(struct run_cli *c, int kind, const char *arg, cell_error **err)
{
	struct mount_spec m;
	int r = kind == 'v'         ? mount_spec_parse_volume(arg, &m, err)
		: kind == OPT_MOUNT ? mount_spec_parse_mount(arg, &m, err)
				    : mount_spec_parse_tmpfs(arg, &m, err);
	if (r < 0)
		return r;
	struct mount_spec *v = realloc(c->mounts, (c->n_mounts + 1) * sizeof(*v));
	if (!v) {
		mount_spec_clear(&m);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	c->mounts = v;
	c->mounts[c->n_mounts++] = m;
	return 0;
}

static int add_cap(char ***list, const char *arg, cell_error **err)
{
	char name[64];
	int r = opt_parse_cap(arg, name, sizeof(name), err);
	if (r < 0)
		return r;
	return strv_push(list, name) < 0 ? cell_error_set(err, ENOMEM, "out of memory") : 0;
}

static int log_opt(struct run_cli *c, const char *arg, cell_error **err)
{
	if (strncmp(arg, "max-size=", 9) == 0)
		return opt_parse_size(arg + 9, "--log-opt max-size", &c->req.log_max_size, err);
	if (strncmp(arg, "max-file=", 9) == 0) {
		char *end;
		long n = strtol(arg + 9, &end, 10);
		if (!arg[9] || *end || n < 1 || n > 1000)
			return cell_error_set(err, EINVAL, "--log-opt \"%s\": max-file must be 1 to 1000",
					      arg);
		c->req.log_max_files = (int)n;
		return 0;
	}
	return cell_error_set(err, EINVAL, "--log-opt \"%s\": only max-size= and max-file= are known", arg);
}

static int env_file(struct run_cli *c, const char *path, cell_error **err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = read_file_at(AT_FDCWD, path, 16 << 20, &text, &len);
	if (r < 0)
		return cell_error_errno(err, r, "--env-file %s", path);
	return opt_parse_env_file(text, len, path, &c->env, err);
}

static int bool_flag(const char *flag, const char *v, bool *out, cell_error **err)
{
	if (!v || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*out = true;
	else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
		*out = false;
	else
		return cell_error_set(err, EINVAL, "%s=\"%s\": must be true or false", flag, v);
	return 0;
}

static int one_option(struct run_cli *c, int opt, const char *arg, cell_error **err)
{
	struct create_request *q = &c->req;
	switch (opt) {
	case 'd':
		c->detach = q->detach = true;
		return 0;
	case 'i':
		q->interactive = true;
		return 0;
	case 't':
		q->tty = true;
		return 0;
	case OPT_RM:
		q->autoremove = true;
		return 0;
	case OPT_NAME:
		q->name = arg;
		return 0;
	case 'e':
		return opt_add_env(arg, &c->env, err);
	case OPT_ENV_FILE:
		return env_file(c, arg, err);
	case 'w':
		q->workdir = arg;
		return 0;
	case 'u':
		q->user = arg;
		return 0;
	case OPT_ENTRYPOINT:
		q->entrypoint = arg;
		return 0;
	case 'v':
	case OPT_MOUNT:
	case OPT_TMPFS:
		return add_mount(c, opt, arg, err);
	case OPT_READ_ONLY:
		q->read_only = true;
		return 0;
	case 'h':
		q->hostname = arg;
		return 0;
	case 'm':
		return opt_parse_size(arg, "--memory", &q->memory, err);
	case OPT_CPUS:
		return opt_parse_cpus(arg, &q->nano_cpus, err);
	case OPT_PIDS: {
		char *end;
		long long n = strtoll(arg, &end, 10);
		if (!*arg || *end || n < -1)
			return cell_error_set(err, EINVAL, "--pids-limit \"%s\": must be a number (-1: none)",
					      arg);
		q->pids_limit = n;
		return 0;
	}
	case OPT_CAP_ADD:
		return add_cap(&c->cap_add, arg, err);
	case OPT_CAP_DROP:
		return add_cap(&c->cap_drop, arg, err);
	case OPT_PRIVILEGED:
		q->privileged = true;
		return 0;
	case OPT_SECURITY:
		if (strv_push(&c->security_opts, arg) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
		return opt_parse_security(arg, &c->sec, err);
	case OPT_INIT:
		q->init = true;
		return 0;
	case OPT_RESTART:
		return opt_parse_restart(arg, &q->restart, err);
	case OPT_STOP_SIGNAL: {
		int sig;
		if (opt_parse_signal(arg, "--stop-signal", &sig, err) < 0)
			return -EINVAL;
		q->stop_signal = arg;
		return 0;
	}
	case OPT_STOP_TIMEOUT: {
		char *end;
		long n = strtol(arg, &end, 10);
		if (!*arg || *end || n < 0 || n > 86400 * 365)
			return cell_error_set(err, EINVAL, "--stop-timeout \"%s\": must be seconds", arg);
		q->stop_timeout = (int)n;
		return 0;
	}
	case OPT_ULIMIT: {
		struct opt_ulimit u;
		if (opt_parse_ulimit(arg, &u, err) < 0)
			return -EINVAL;
		struct opt_ulimit *v = realloc(c->ulimits, (c->n_ulimits + 1) * sizeof(*v));
		if (!v)
			return cell_error_set(err, ENOMEM, "out of memory");
		c->ulimits = v;
		c->ulimits[c->n_ulimits++] = u;
		return 0;
	}
	case 'l': {
		char *k, *v;
		if (opt_parse_label(arg, &k, &v, err) < 0)
			return -EINVAL;
		json_object_set_new(c->labels, k, json_string(v));
		free(k);
		free(v);
		return 0;
	}
	case OPT_NETWORK:
		q->network = arg;
		return 0;
	case OPT_PULL:
		return pull_policy_parse(arg, &q->pull, err);
	case OPT_LOG_DRIVER:
		q->log_driver = arg;
		return 0;
	case OPT_LOG_OPT:
		return log_opt(c, arg, err);
	case OPT_SIG_PROXY:
		return bool_flag("--sig-proxy", arg, &c->sig_proxy, err);
	default:
		return cell_error_set(err, EINVAL, "unknown flag");
	}
}

int run_cli_parse(const char *cmd, int argc, char **argv, struct run_cli *c, int *exit_now)
{
	static const struct option opts[] = {
	    {"detach", no_argument, NULL, 'd'},
	    {"interactive", no_argument, NULL, 'i'},
	    {"tty", no_argument, NULL, 't'},
	    {"rm", no_argument, NULL, OPT_RM},
	    {"name", required_argument, NULL, OPT_NAME},
	    {"env", required_argument, NULL, 'e'},
	    {"env-file", required_argument, NULL, OPT_ENV_FILE},
	    {"workdir", required_argument, NULL, 'w'},
	    {"user", required_argument, NULL, 'u'},
	    {"entrypoint", required_argument, NULL, OPT_ENTRYPOINT},
	    {"volume", required_argument, NULL, 'v'},
	    {"mount", required_argument, NULL, OPT_MOUNT},
	    {"tmpfs", required_argument, NULL, OPT_TMPFS},
	    {"read-only", no_argument, NULL, OPT_READ_ONLY},
	    {"hostname", required_argument, NULL, 'h'},
	    {"memory", required_argument, NULL, 'm'},
	    {"cpus", required_argument, NULL, OPT_CPUS},
	    {"pids-limit", required_argument, NULL, OPT_PIDS},
	    {"cap-add", required_argument, NULL, OPT_CAP_ADD},
	    {"cap-drop", required_argument, NULL, OPT_CAP_DROP},
	    {"privileged", no_argument, NULL, OPT_PRIVILEGED},
	    {"security-opt", required_argument, NULL, OPT_SECURITY},
	    {"init", no_argument, NULL, OPT_INIT},
	    {"restart", required_argument, NULL, OPT_RESTART},
	    {"stop-signal", required_argument, NULL, OPT_STOP_SIGNAL},
	    {"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
	    {"ulimit", required_argument, NULL, OPT_ULIMIT},
	    {"label", required_argument, NULL, 'l'},
	    {"network", required_argument, NULL, OPT_NETWORK},
	    {"net", required_argument, NULL, OPT_NETWORK},
	    {"pull", required_argument, NULL, OPT_PULL},
	    {"log-driver", required_argument, NULL, OPT_LOG_DRIVER},
	    {"log-opt", required_argument, NULL, OPT_LOG_OPT},
	    {"sig-proxy", optional_argument, NULL, OPT_SIG_PROXY},
	    {"quiet", no_argument, NULL, 'q'},
	    CLI_REGISTRY_OPTIONS,
	    {"help", no_argument, NULL, OPT_HELP},
	    {0},
	};
	memset(c, 0, sizeof(*c));
	c->req.stop_timeout = -1;
	c->req.log_max_size = -1;
	c->req.log_max_files = -1;
	c->req.pull = PULL_MISSING;
	c->sig_proxy = true;
	c->labels = json_object();
	*exit_now = -1;
	int o;
	while ((o = getopt_long(argc, argv, "+diqte:w:u:v:h:m:l:", opts, NULL)) != -1) {
		if (o == OPT_HELP) {
			cli_print_help(cmd, "IMAGE [COMMAND [ARG...]]",
				       strcmp(cmd, "run") == 0
					   ? "Run a command in a new container."
					   : "Create a new container (start it with cell start).",
				       run_help);
			printf("%s", cli_registry_help);
			*exit_now = 0;
			return 0;
		}
		if (o == '?' || o == ':') {
			*exit_now =
			    optopt && optopt < 256
				? cli_usage_error(cmd, "unknown or incomplete flag -%c", optopt)
				: cli_usage_error(cmd, "unknown or incomplete flag %s", argv[optind - 1]);
			return 0;
		}
		if (o == 'q') {
			c->quiet = true;
			continue;
		}
		if (o == CLI_OPT_TLS_VERIFY || o == CLI_OPT_CERT_DIR || o == CLI_OPT_AUTHFILE ||
		    o == CLI_OPT_CREDS) {
			int r = cli_registry_flag(cmd, o, optarg, &c->registry);
			if (r != 0) {
				*exit_now = r;
				return 0;
			}
			continue;
		}
		cell_error *err = NULL;
		if (one_option(c, o, optarg, &err) < 0) {
			*exit_now = cli_fail(err);
			return 0;
		}
	}
	if (optind >= argc) {
		*exit_now = cli_usage_error(cmd, "requires an image");
		return 0;
	}
	struct create_request *q = &c->req;
	/* A missing image is pulled as `cell pull` would, its progress on
	 * stderr (the container's output is on stdout). */
	c->progress = progress_new(c->quiet);
	c->pull_opts = (struct pull_opts){
	    .tls_verify = c->registry.registry.tls_verify,
	    .certs_dir = c->registry.registry.certs_dir,
	    .username = c->registry.registry.username,
	    .password = c->registry.registry.password,
	    .authfile = c->registry.registry.authfile,
	    .progress = c->progress ? cli_pull_event : NULL,
	    .progress_ctx = c->progress,
	};
	q->pull_opts = &c->pull_opts;
	q->image = argv[optind];
	q->cmd = optind + 1 < argc ? argv + optind + 1 : NULL;
	q->env = c->env;
	q->mounts = c->mounts;
	q->n_mounts = c->n_mounts;
	q->cap_add = c->cap_add;
	q->cap_drop = c->cap_drop;
	q->security = &c->sec;
	q->security_opts = c->security_opts;
	q->ulimits = c->ulimits;
	q->n_ulimits = c->n_ulimits;
	q->labels = c->labels;
	return 0;
}
