/* update: change the limits of a live container, from a linux.resources
 * document (--resources FILE, or - for stdin) and runc's flags, the flags
 * taking precedence. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "base/json.h"
#include "cgroup/resources.h"
#include "commands.h"
#include "runtime/control.h"

enum value_kind { V_SIZE, V_INT, V_UINT, V_STRING };

/* One flag: where it goes in linux.resources and how to read its value. */
struct update_flag {
	const char *name;
	const char *object; /* "memory", "cpu", … */
	const char *key;
	enum value_kind kind;
	const char *help;
};

static const struct update_flag flags[] = {
    {"memory", "memory", "limit", V_SIZE, "memory limit in bytes (units: k, m, g; -1 unlimited)"},
    {"memory-reservation", "memory", "reservation", V_SIZE, "memory soft limit"},
    {"memory-swap", "memory", "swap", V_SIZE, "memory plus swap limit (-1 unlimited)"},
    {"kernel-memory", "memory", "kernel", V_SIZE, "accepted and ignored, as kernels ignore it"},
    {"kernel-memory-tcp", "memory", "kernelTCP", V_SIZE, "accepted and ignored"},
    {"cpu-shares", "cpu", "shares", V_UINT, "CPU shares (relative weight)"},
    {"cpu-share", "cpu", "shares", V_UINT, "the same (runc's spelling)"},
    {"cpu-quota", "cpu", "quota", V_INT, "CPU time per period in microseconds (-1 unlimited)"},
    {"cpu-period", "cpu", "period", V_UINT, "CPU period in microseconds"},
    {"cpu-burst", "cpu", "burst", V_UINT, "CPU burst in microseconds"},
    {"cpu-rt-period", "cpu", "realtimePeriod", V_UINT, "real-time period in microseconds (v1)"},
    {"cpu-rt-runtime", "cpu", "realtimeRuntime", V_INT, "real-time runtime in microseconds (v1)"},
    {"cpu-idle", "cpu", "idle", V_INT, "1: schedule as SCHED_IDLE"},
    {"cpuset-cpus", "cpu", "cpus", V_STRING, "CPUs to run on (0-3,5)"},
    {"cpuset-mems", "cpu", "mems", V_STRING, "memory nodes to use"},
    {"pids-limit", "pids", "limit", V_INT, "maximum number of processes (-1 unlimited)"},
    {"blkio-weight", "blockIO", "weight", V_UINT, "block I/O weight, 10 to 1000"},
};

static json_t *flag_value(const struct update_flag *f, const char *s)
{
	char *end;
	errno = 0;
	switch (f->kind) {
	case V_SIZE: {
		int64_t v;
		return cgroup_parse_size(s, &v) ? json_integer(v) : NULL;
	}
	case V_INT: {
		long long v = strtoll(s, &end, 10);
		return errno || end == s || *end ? NULL : json_integer(v);
	}
	case V_UINT: {
		long long v = strtoll(s, &end, 10);
		return errno || end == s || *end || v < 0 ? NULL : json_integer(v);
	}
	case V_STRING:
		return json_string(s);
	default:
		return NULL;
	}
}

static json_t *read_resources(const char *path, cell_error **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;
	if (strcmp(path, "-") == 0)
		r = read_all(STDIN_FILENO, 16 << 20, &buf, &len);
	else
		r = read_file_at(AT_FDCWD, path, 16 << 20, &buf, &len);
	if (r < 0) {
		cell_error_errno(err, r, "--resources: read %s",
				 strcmp(path, "-") == 0 ? "standard input" : path);
		return NULL;
	}
	json_t *j = NULL;
	if (json_load_buffer(buf, len, "--resources", &j, err) < 0)
		return NULL;
	if (!json_is_object(j)) {
		json_decref(j);
		cell_error_set(err, EINVAL, "--resources: must be a JSON object (linux.resources)");
		return NULL;
	}
	return j;
}

static void print_help(void)
{
	char help[4096];
	size_t len = (size_t)snprintf(help, sizeof(help),
				      "  -r, --resources FILE    a linux.resources JSON document; - for "
				      "standard input\n");
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		len += (size_t)snprintf(help + len, sizeof(help) - len, "  --%-21s %s\n", flags[i].name,
					flags[i].help);
	cli_print_help("update", "CONTAINER_ID", "Change the resource limits of a running container.", help);
}

int cmd_update(const struct runtime_opts *g, int argc, char **argv)
{
	enum { OPT_L3 = 1000, OPT_MEMBW, OPT_FLAG0 = 2000 };
	struct option opts[ARRAY_SIZE(flags) + 5];
	size_t k = 0;
	opts[k++] = (struct option){"resources", required_argument, NULL, 'r'};
	opts[k++] = (struct option){"help", no_argument, NULL, 'h'};
	opts[k++] = (struct option){"l3-cache-schema", required_argument, NULL, OPT_L3};
	opts[k++] = (struct option){"mem-bw-schema", required_argument, NULL, OPT_MEMBW};
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		opts[k++] = (struct option){flags[i].name, required_argument, NULL, OPT_FLAG0 + (int)i};
	opts[k] = (struct option){0};

	const char *file = NULL;
	_cleanup_json_ json_t *patch = json_object();
	int c;
	while ((c = getopt_long(argc, argv, "+r:h", opts, NULL)) != -1) {
		if (c == 'r') {
			file = optarg;
		} else if (c == 'h') {
			print_help();
			return 0;
		} else if (c == OPT_L3 || c == OPT_MEMBW) {
			return cli_usage_error("update", "--%s: Intel RDT is not supported by cellrt",
					       c == OPT_L3 ? "l3-cache-schema" : "mem-bw-schema");
		} else if (c >= OPT_FLAG0 && c < OPT_FLAG0 + (int)ARRAY_SIZE(flags)) {
			const struct update_flag *f = &flags[c - OPT_FLAG0];
			json_t *v = flag_value(f, optarg);
			if (!v)
				return cli_usage_error("update", "--%s: \"%s\" is not a valid value", f->name,
						       optarg);
			json_t *o = json_object_get(patch, f->object);
			if (!o) {
				o = json_object();
				json_object_set_new(patch, f->object, o);
			}
			json_object_set_new(o, f->key, v);
		} else {
			return cli_usage_error("update", "unknown or incomplete option %s", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("update", "expects exactly one container id");
	cell_error *err = NULL;
	_cleanup_json_ json_t *res = NULL;
	if (file) {
		if (!(res = read_resources(file, &err)))
			return cli_fail(err);
		if (cgroup_resources_merge_json(res, patch) < 0) {
			cell_error_set(&err, ENOMEM, "out of memory");
			return cli_fail(err);
		}
	} else {
		res = json_incref(patch);
	}
	if (json_object_size(res) == 0)
		return cli_usage_error("update", "nothing to update: give --resources or a limit flag");
	if (runtime_update(g, argv[optind], res, &err) < 0)
		return cli_fail(err);
	return 0;
}
