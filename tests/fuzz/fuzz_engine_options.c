/* libFuzzer target: what users type into `cell run` and friends. The first
 * byte picks the parser (sizes, CPUs, ulimits, restart policies, signals,
 * env files, -e, labels, --security-opt, capabilities, durations, times,
 * -v, --mount, --tmpfs, --format templates, log records); the rest is its
 * input. Nothing may crash, hang or leak, and a parse that succeeds must
 * leave a value that can be used and freed. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "engine/logfile.h"
#include "engine/mountspec.h"
#include "engine/options.h"
#include "engine/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void mount_use(int r, struct mount_spec *m)
{
	if (r == 0)
		json_decref(mount_spec_to_json(m, m->kind == MOUNT_SPEC_TMPFS ? NULL : "/var/lib/x"));
	mount_spec_clear(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	char *s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	cell_error *err = NULL;
	int r = 0;
	int64_t v;
	switch (data[0] % 17) {
	case 0:
		opt_parse_size(s, "--memory", &v, &err);
		break;
	case 1:
		opt_parse_cpus(s, &v, &err);
		break;
	case 2: {
		struct opt_ulimit u;
		opt_parse_ulimit(s, &u, &err);
		break;
	}
	case 3: {
		struct opt_restart p;
		if (opt_parse_restart(s, &p, &err) == 0)
			opt_restart_from_name(opt_restart_name(p.policy));
		break;
	}
	case 4: {
		int sig;
		opt_parse_signal(s, "--stop-signal", &sig, &err);
		break;
	}
	case 5: {
		char **env = NULL;
		opt_parse_env_file(s, size - 1, "fuzz.env", &env, &err);
		strv_free(env);
		break;
	}
	case 6: {
		char **env = NULL;
		opt_add_env(s, &env, &err);
		strv_free(env);
		break;
	}
	case 7: {
		char *k = NULL, *val = NULL;
		if (opt_parse_label(s, &k, &val, &err) == 0) {
			free(k);
			free(val);
		}
		break;
	}
	case 8: {
		struct opt_security sec = {0};
		opt_parse_security(s, &sec, &err);
		opt_security_clear(&sec);
		break;
	}
	case 9: {
		char cap[64];
		opt_parse_cap(s, cap, sizeof(cap), &err);
		break;
	}
	case 10:
		opt_parse_duration(s, &v, &err);
		break;
	case 11:
		opt_parse_time(s, 1700000000000000000LL, &v, &err);
		opt_rfc3339_ns(s, &v);
		break;
	case 12: {
		struct mount_spec m = {0};
		r = mount_spec_parse_volume(s, &m, &err);
		mount_use(r, &m);
		break;
	}
	case 13: {
		struct mount_spec m = {0};
		r = mount_spec_parse_mount(s, &m, &err);
		mount_use(r, &m);
		break;
	}
	case 14: {
		struct mount_spec m = {0};
		r = mount_spec_parse_tmpfs(s, &m, &err);
		mount_use(r, &m);
		volume_name_valid(s);
		break;
	}
	case 15: {
		json_t *doc =
		    json_pack("{s:s, s:{s:s, s:i, s:b}, s:[i, s], s:{s:s}}", "Name", "web", "State", "Status",
			      "running", "Pid", 42, "Running", 1, "Args", 1, "x", "Labels", "a.b", "c");
		char *out = NULL;
		if (doc && template_render(s, doc, &out, &err) == 0)
			free(out);
		json_decref(doc);
		break;
	}
	case 16: {
		struct log_record rec;
		log_record_parse(s, size - 1, &rec);
		break;
	}
	}
	(void)r;
	cell_error_free(err);
	free(s);
	return 0;
}
