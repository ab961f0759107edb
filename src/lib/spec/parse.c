/* config.json → struct oci_config. Every rejection names the JSON path. */
#include <errno.h>
#include <linux/ioprio.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>

#include "base/json.h"
#include "config.h"
#include "validate.h"

#ifndef SCHED_FLAG_RESET_ON_FORK
#define SCHED_FLAG_RESET_ON_FORK  0x01
#define SCHED_FLAG_RECLAIM        0x02
#define SCHED_FLAG_DL_OVERRUN     0x04
#define SCHED_FLAG_KEEP_POLICY    0x08
#define SCHED_FLAG_KEEP_PARAMS    0x10
#define SCHED_FLAG_UTIL_CLAMP_MIN 0x20
#define SCHED_FLAG_UTIL_CLAMP_MAX 0x40
#endif
#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif
#ifndef SCHED_ISO
#define SCHED_ISO 4
#endif

const char *const oci_hook_names[OCI_HOOK_KINDS] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
};

const char *const oci_cap_set_names[OCI_CAP_SETS] = {
    "bounding", "effective", "inheritable", "permitted", "ambient",
};

const char *const oci_ns_names[OCI_NS_TYPES] = {
    "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time",
};

const char *const oci_ns_proc_names[OCI_NS_TYPES] = {
    "pid", "net", "mnt", "ipc", "uts", "user", "cgroup", "time",
};

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

const int oci_ns_clone_flags[OCI_NS_TYPES] = {
    CLONE_NEWPID, CLONE_NEWNET,  CLONE_NEWNS,     CLONE_NEWIPC,
    CLONE_NEWUTS, CLONE_NEWUSER, CLONE_NEWCGROUP, CLONE_NEWTIME,
};

static const struct {
	const char *name;
	int resource;
} rlimit_table[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

int oci_rlimit_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(rlimit_table); i++)
		if (strcmp(rlimit_table[i].name, name) == 0)
			return rlimit_table[i].resource;
	return -1;
}

const char *oci_rlimit_name(int resource)
{
	for (size_t i = 0; i < ARRAY_SIZE(rlimit_table); i++)
		if (rlimit_table[i].resource == resource)
			return rlimit_table[i].name;
	return NULL;
}

/* Scratch for composing JSON paths in messages. */
#define PATHBUF 512

static const char *empty_strv[] = {NULL};

static int parse_mappings(const json_t *obj, const char *where, const char *key, struct oci_id_mapping **out,
			  size_t *n, cell_error **err)
{
	json_t *arr = NULL;
	int r = json_get_array(obj, where, key, false, &arr, err);
	if (r < 0 || !arr)
		return r;
	size_t len = json_array_size(arr);
	if (len == 0)
		return 0;
	*out = calloc(len, sizeof(**out));
	if (!*out)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		char p[PATHBUF];
		json_t *m = json_array_get(arr, i);
		json_path_index(p, sizeof(p), where, key, i);
		if (!json_is_object(m))
			return cell_error_set(err, EINVAL, "%s: must be an object", p);
		int64_t c = 0, h = 0, s = 0;
		if ((r = json_get_i64(m, p, "containerID", true, 0, UINT32_MAX, &c, NULL, err)) < 0 ||
		    (r = json_get_i64(m, p, "hostID", true, 0, UINT32_MAX, &h, NULL, err)) < 0 ||
		    (r = json_get_i64(m, p, "size", true, 1, UINT32_MAX, &s, NULL, err)) < 0)
			return r;
		(*out)[i] = (struct oci_id_mapping){(uint32_t)c, (uint32_t)h, (uint32_t)s};
	}
	*n = len;
	return 0;
}

static int parse_kv_object(const json_t *obj, const char *where, const char *key, struct oci_kv **out,
			   size_t *n, cell_error **err)
{
	json_t *o = NULL;
	int r = json_get_object(obj, where, key, false, &o, err);
	if (r < 0 || !o)
		return r;
	size_t len = json_object_size(o);
	if (len == 0)
		return 0;
	*out = calloc(len, sizeof(**out));
	if (!*out)
		return cell_error_set(err, ENOMEM, "out of memory");
	const char *k;
	json_t *v;
	size_t i = 0;
	json_object_foreach (o, k, v) {
		if (!json_is_string(v)) {
			char p[PATHBUF];
			json_path_key(p, sizeof(p), where, key);
			return cell_error_set(err, EINVAL, "%s.%s: must be a string", p, k);
		}
		(*out)[i++] = (struct oci_kv){k, json_string_value(v)};
	}
	*n = len;
	return 0;
}

static int parse_mount(json_t *m, const char *p, struct oci_mount *out, cell_error **err)
{
	int r;
	if (!json_is_object(m))
		return cell_error_set(err, EINVAL, "%s: must be an object", p);
	if ((r = json_get_string(m, p, "destination", true, &out->destination, err)) < 0 ||
	    (r = json_get_string(m, p, "type", false, &out->type, err)) < 0 ||
	    (r = json_get_string(m, p, "source", false, &out->source, err)) < 0 ||
	    (r = json_get_strv(m, p, "options", false, &out->options, err)) < 0)
		return r;
	if (!out->options && !(out->options = calloc(1, sizeof(char *))))
		return cell_error_set(err, ENOMEM, "out of memory");
	if ((r = parse_mappings(m, p, "uidMappings", &out->uid_mappings, &out->n_uid_mappings, err)) < 0 ||
	    (r = parse_mappings(m, p, "gidMappings", &out->gid_mappings, &out->n_gid_mappings, err)) < 0)
		return r;
	return 0;
}

static int parse_mounts(struct oci_config *c, cell_error **err)
{
	json_t *arr = NULL;
	int r = json_get_array(c->json, "", "mounts", false, &arr, err);
	if (r < 0 || !arr)
		return r;
	size_t n = json_array_size(arr);
	if (n == 0)
		return 0;
	c->mounts = calloc(n, sizeof(*c->mounts));
	if (!c->mounts)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		char p[PATHBUF];
		c->n_mounts = i + 1;
		r = parse_mount(json_array_get(arr, i), json_path_index(p, sizeof(p), "", "mounts", i),
				&c->mounts[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_hooks(struct oci_config *c, cell_error **err)
{
	json_t *hooks = NULL;
	int r = json_get_object(c->json, "", "hooks", false, &hooks, err);
	if (r < 0 || !hooks)
		return r;
	for (int k = 0; k < OCI_HOOK_KINDS; k++) {
		json_t *arr = NULL;
		r = json_get_array(hooks, "hooks", oci_hook_names[k], false, &arr, err);
		if (r < 0)
			return r;
		size_t n = arr ? json_array_size(arr) : 0;
		if (n == 0)
			continue;
		c->hooks.list[k] = calloc(n, sizeof(struct oci_hook));
		if (!c->hooks.list[k])
			return cell_error_set(err, ENOMEM, "out of memory");
		for (size_t i = 0; i < n; i++) {
			char p[PATHBUF];
			json_t *h = json_array_get(arr, i);
			struct oci_hook *hook = &c->hooks.list[k][i];
			json_path_index(p, sizeof(p), "hooks", oci_hook_names[k], i);
			c->hooks.n[k] = i + 1;
			if (!json_is_object(h))
				return cell_error_set(err, EINVAL, "%s: must be an object", p);
			int64_t timeout = 0;
			bool has_timeout = false;
			if ((r = json_get_string(h, p, "path", true, &hook->path, err)) < 0 ||
			    (r = json_get_strv(h, p, "args", false, &hook->args, err)) < 0 ||
			    (r = json_get_strv(h, p, "env", false, &hook->env, err)) < 0 ||
			    (r = json_get_i64(h, p, "timeout", false, 1, INT32_MAX, &timeout, &has_timeout,
					      err)) < 0)
				return r;
			if (hook->path[0] != '/')
				return cell_error_set(err, EINVAL,
						      "%s.path: must be an absolute path, got \"%s\"", p,
						      hook->path);
			hook->timeout = (int)timeout;
		}
	}
	return 0;
}

static int parse_user(json_t *proc, const char *where, struct oci_process *p, cell_error **err)
{
	char w[PATHBUF];
	json_t *user = NULL;
	int r = json_get_object(proc, where, "user", false, &user, err);
	if (r < 0 || !user)
		return r;
	json_path_key(w, sizeof(w), where, "user");
	int64_t uid = 0, gid = 0, umask = 0;
	if ((r = json_get_i64(user, w, "uid", false, 0, UINT32_MAX - 1, &uid, NULL, err)) < 0 ||
	    (r = json_get_i64(user, w, "gid", false, 0, UINT32_MAX - 1, &gid, NULL, err)) < 0 ||
	    (r = json_get_i64(user, w, "umask", false, 0, 0777, &umask, &p->has_umask, err)) < 0)
		return r;
	p->uid = (uint32_t)uid;
	p->gid = (uint32_t)gid;
	p->umask = (uint32_t)umask;
	json_t *groups = NULL;
	if ((r = json_get_array(user, w, "additionalGids", false, &groups, err)) < 0 || !groups)
		return r;
	size_t n = json_array_size(groups);
	if (n > 65536)
		return cell_error_set(err, E2BIG, "%s.additionalGids: more than 65536 groups", w);
	if (n == 0)
		return 0;
	p->additional_gids = calloc(n, sizeof(gid_t));
	if (!p->additional_gids)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		int64_t g;
		if (!json_as_i64(json_array_get(groups, i), &g) || g < 0 || g >= UINT32_MAX) {
			char q[PATHBUF];
			return cell_error_set(err, EINVAL, "%s: must be a group id",
					      json_path_index(q, sizeof(q), w, "additionalGids", i));
		}
		p->additional_gids[i] = (gid_t)g;
	}
	p->n_additional_gids = n;
	return 0;
}

static int parse_rlimits(json_t *proc, const char *where, struct oci_process *p, cell_error **err)
{
	json_t *arr = NULL;
	int r = json_get_array(proc, where, "rlimits", false, &arr, err);
	if (r < 0 || !arr)
		return r;
	size_t n = json_array_size(arr);
	if (n == 0)
		return 0;
	p->rlimits = calloc(n, sizeof(*p->rlimits));
	if (!p->rlimits)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		char q[PATHBUF];
		json_t *l = json_array_get(arr, i);
		struct oci_rlimit *rl = &p->rlimits[i];
		json_path_index(q, sizeof(q), where, "rlimits", i);
		if (!json_is_object(l))
			return cell_error_set(err, EINVAL, "%s: must be an object", q);
		if ((r = json_get_string(l, q, "type", true, &rl->type, err)) < 0 ||
		    (r = json_get_u64(l, q, "soft", true, &rl->soft, NULL, err)) < 0 ||
		    (r = json_get_u64(l, q, "hard", true, &rl->hard, NULL, err)) < 0)
			return r;
		rl->resource = oci_rlimit_from_name(rl->type);
		if (rl->resource < 0)
			return cell_error_set(err, EINVAL, "%s.type: unknown resource limit \"%s\"", q,
					      rl->type);
		for (size_t j = 0; j < i; j++)
			if (p->rlimits[j].resource == rl->resource)
				return cell_error_set(err, EINVAL, "%s.type: %s given twice", q, rl->type);
		if (rl->soft > rl->hard)
			return cell_error_set(
			    err, EINVAL, "%s: soft limit %llu of %s is above its hard limit %llu", q,
			    (unsigned long long)rl->soft, rl->type, (unsigned long long)rl->hard);
		p->n_rlimits = i + 1;
	}
	return 0;
}

static int lookup_name(const char *const *names, const int *values, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return values[i];
	return -1;
}

static int parse_io_priority(json_t *proc, const char *where, struct oci_process *p, cell_error **err)
{
	static const char *const names[] = {"IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"};
	static const int values[] = {IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE};
	json_t *o = NULL;
	int r = json_get_object(proc, where, "ioPriority", false, &o, err);
	if (r < 0 || !o)
		return r;
	char w[PATHBUF];
	json_path_key(w, sizeof(w), where, "ioPriority");
	const char *cls = NULL;
	int64_t prio = 0;
	if ((r = json_get_string(o, w, "class", true, &cls, err)) < 0 ||
	    (r = json_get_i64(o, w, "priority", false, 0, 7, &prio, NULL, err)) < 0)
		return r;
	p->io_priority_class = lookup_name(names, values, ARRAY_SIZE(names), cls);
	if (p->io_priority_class < 0)
		return cell_error_set(err, EINVAL, "%s.class: unknown I/O priority class \"%s\"", w, cls);
	p->io_priority_level = (int)prio;
	p->has_io_priority = true;
	return 0;
}

static int parse_scheduler(json_t *proc, const char *where, struct oci_process *p, cell_error **err)
{
	static const char *const policies[] = {"SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",      "SCHED_BATCH",
					       "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE"};
	static const int policy_values[] = {SCHED_OTHER, SCHED_FIFO, SCHED_RR,      SCHED_BATCH,
					    SCHED_ISO,   SCHED_IDLE, SCHED_DEADLINE};
	static const char *const flags[] = {"SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM",
					    "SCHED_FLAG_DL_OVERRUN",    "SCHED_FLAG_KEEP_POLICY",
					    "SCHED_FLAG_KEEP_PARAMS",   "SCHED_FLAG_UTIL_CLAMP_MIN",
					    "SCHED_FLAG_UTIL_CLAMP_MAX"};
	static const int flag_values[] = {SCHED_FLAG_RESET_ON_FORK, SCHED_FLAG_RECLAIM,
					  SCHED_FLAG_DL_OVERRUN,    SCHED_FLAG_KEEP_POLICY,
					  SCHED_FLAG_KEEP_PARAMS,   SCHED_FLAG_UTIL_CLAMP_MIN,
					  SCHED_FLAG_UTIL_CLAMP_MAX};
	json_t *o = NULL;
	int r = json_get_object(proc, where, "scheduler", false, &o, err);
	if (r < 0 || !o)
		return r;
	char w[PATHBUF];
	json_path_key(w, sizeof(w), where, "scheduler");
	const char *policy = NULL;
	int64_t nice = 0, prio = 0;
	_cleanup_free_ const char **fl = NULL;
	if ((r = json_get_string(o, w, "policy", true, &policy, err)) < 0 ||
	    (r = json_get_i64(o, w, "nice", false, -20, 19, &nice, NULL, err)) < 0 ||
	    (r = json_get_i64(o, w, "priority", false, 0, 99, &prio, NULL, err)) < 0 ||
	    (r = json_get_strv(o, w, "flags", false, &fl, err)) < 0 ||
	    (r = json_get_u64(o, w, "runtime", false, &p->sched_runtime, NULL, err)) < 0 ||
	    (r = json_get_u64(o, w, "deadline", false, &p->sched_deadline, NULL, err)) < 0 ||
	    (r = json_get_u64(o, w, "period", false, &p->sched_period, NULL, err)) < 0)
		return r;
	p->sched_policy = lookup_name(policies, policy_values, ARRAY_SIZE(policies), policy);
	if (p->sched_policy < 0)
		return cell_error_set(err, EINVAL, "%s.policy: unknown scheduling policy \"%s\"", w, policy);
	for (size_t i = 0; fl && fl[i]; i++) {
		int f = lookup_name(flags, flag_values, ARRAY_SIZE(flags), fl[i]);
		if (f < 0)
			return cell_error_set(err, EINVAL, "%s.flags[%zu]: unknown scheduler flag \"%s\"", w,
					      i, fl[i]);
		p->sched_flags |= (uint64_t)f;
	}
	p->sched_nice = (int)nice;
	p->sched_priority = (int)prio;
	p->has_scheduler = true;
	return 0;
}

static int parse_capabilities(json_t *proc, const char *where, struct oci_process *p, cell_error **err)
{
	json_t *caps = NULL;
	int r = json_get_object(proc, where, "capabilities", false, &caps, err);
	if (r < 0 || !caps)
		return r;
	char w[PATHBUF];
	json_path_key(w, sizeof(w), where, "capabilities");
	p->has_capabilities = true;
	for (int s = 0; s < OCI_CAP_SETS; s++)
		if ((r = json_get_strv(caps, w, oci_cap_set_names[s], false, &p->capabilities[s], err)) < 0)
			return r;
	return 0;
}

static int parse_process_fields(json_t *proc, const char *w, struct oci_process *p, cell_error **err)
{
	int r;
	json_t *cs = NULL, *aff = NULL;
	int64_t oom = 0;

	if (!json_is_object(proc))
		return cell_error_set(err, EINVAL, "%s: must be an object", w);
	if ((r = json_get_bool(proc, w, "terminal", false, &p->terminal, err)) < 0 ||
	    (r = json_get_object(proc, w, "consoleSize", false, &cs, err)) < 0 ||
	    (r = parse_user(proc, w, p, err)) < 0 ||
	    (r = json_get_strv(proc, w, "args", false, &p->args, err)) < 0 ||
	    (r = json_get_strv(proc, w, "env", false, &p->env, err)) < 0 ||
	    (r = json_get_string(proc, w, "cwd", true, &p->cwd, err)) < 0 ||
	    (r = parse_capabilities(proc, w, p, err)) < 0 || (r = parse_rlimits(proc, w, p, err)) < 0 ||
	    (r = json_get_bool(proc, w, "noNewPrivileges", false, &p->no_new_privileges, err)) < 0 ||
	    (r = json_get_string(proc, w, "apparmorProfile", false, &p->apparmor_profile, err)) < 0 ||
	    (r = json_get_string(proc, w, "selinuxLabel", false, &p->selinux_label, err)) < 0 ||
	    (r = json_get_i64(proc, w, "oomScoreAdj", false, -1000, 1000, &oom, &p->has_oom_score_adj, err)) <
		0 ||
	    (r = parse_io_priority(proc, w, p, err)) < 0 || (r = parse_scheduler(proc, w, p, err)) < 0 ||
	    (r = json_get_object(proc, w, "execCPUAffinity", false, &aff, err)) < 0)
		return r;
	p->oom_score_adj = (int)oom;
	if (!p->args || !p->args[0]) {
		char q[PATHBUF];
		return cell_error_set(err, EINVAL, "%s: must be a non-empty array of strings",
				      json_path_key(q, sizeof(q), w, "args"));
	}
	if (p->cwd[0] != '/') {
		char q[PATHBUF];
		return cell_error_set(err, EINVAL, "%s: must be an absolute path, got \"%s\"",
				      json_path_key(q, sizeof(q), w, "cwd"), p->cwd);
	}
	if (!p->env && !(p->env = calloc(1, sizeof(char *))))
		return cell_error_set(err, ENOMEM, "out of memory");
	if (cs) {
		char q[PATHBUF];
		int64_t hgt = 0, wid = 0;
		json_path_key(q, sizeof(q), w, "consoleSize");
		if ((r = json_get_i64(cs, q, "height", true, 0, UINT16_MAX, &hgt, NULL, err)) < 0 ||
		    (r = json_get_i64(cs, q, "width", true, 0, UINT16_MAX, &wid, NULL, err)) < 0)
			return r;
		p->has_console_size = true;
		p->console_height = (uint32_t)hgt;
		p->console_width = (uint32_t)wid;
	}
	if (aff) {
		char q[PATHBUF];
		json_path_key(q, sizeof(q), w, "execCPUAffinity");
		if ((r = json_get_string(aff, q, "initial", false, &p->exec_cpu_affinity_initial, err)) < 0 ||
		    (r = json_get_string(aff, q, "final", false, &p->exec_cpu_affinity_final, err)) < 0)
			return r;
	}
	return 0;
}

void oci_process_free(struct oci_process *p)
{
	if (!p)
		return;
	free(p->additional_gids);
	free(p->args);
	free(p->env);
	for (int s = 0; s < OCI_CAP_SETS; s++)
		free(p->capabilities[s]);
	free(p->rlimits);
	free(p);
}

int oci_process_parse(json_t *json, const char *where, struct oci_process **out, cell_error **err)
{
	struct oci_process *p = calloc(1, sizeof(*p));
	if (!p)
		return cell_error_set(err, ENOMEM, "out of memory");
	int r = parse_process_fields(json, where, p, err);
	if (r < 0) {
		oci_process_free(p);
		return r;
	}
	*out = p;
	return 0;
}

static int parse_namespaces(json_t *lnx, struct oci_linux *l, cell_error **err)
{
	json_t *arr = NULL;
	int r = json_get_array(lnx, "linux", "namespaces", false, &arr, err);
	if (r < 0 || !arr)
		return r;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		char p[PATHBUF];
		json_t *ns = json_array_get(arr, i);
		const char *type = NULL, *path = NULL;
		json_path_index(p, sizeof(p), "linux", "namespaces", i);
		if (!json_is_object(ns))
			return cell_error_set(err, EINVAL, "%s: must be an object", p);
		if ((r = json_get_string(ns, p, "type", true, &type, err)) < 0 ||
		    (r = json_get_string(ns, p, "path", false, &path, err)) < 0)
			return r;
		int t;
		for (t = 0; t < OCI_NS_TYPES; t++)
			if (strcmp(oci_ns_names[t], type) == 0)
				break;
		if (t == OCI_NS_TYPES)
			return cell_error_set(err, EINVAL, "%s.type: unknown namespace type \"%s\"", p, type);
		if (l->namespaces[t].present)
			return cell_error_set(err, EINVAL, "%s.type: namespace \"%s\" given twice", p, type);
		if (path && path[0] != '/')
			return cell_error_set(err, EINVAL, "%s.path: must be an absolute path, got \"%s\"", p,
					      path);
		l->namespaces[t].present = true;
		l->namespaces[t].path = path && *path ? path : NULL;
	}
	return 0;
}

static int parse_time_offsets(json_t *lnx, struct oci_linux *l, cell_error **err)
{
	json_t *o = NULL;
	int r = json_get_object(lnx, "linux", "timeOffsets", false, &o, err);
	if (r < 0 || !o)
		return r;
	const char *key;
	json_t *v;
	json_object_foreach (o, key, v) {
		char p[PATHBUF];
		struct oci_time_offset *t;
		snprintf(p, sizeof(p), "linux.timeOffsets.%s", key);
		if (strcmp(key, "boottime") == 0)
			t = &l->time_boottime;
		else if (strcmp(key, "monotonic") == 0)
			t = &l->time_monotonic;
		else
			return cell_error_set(err, EINVAL, "%s: unknown clock (boottime or monotonic)", p);
		if (!json_is_object(v))
			return cell_error_set(err, EINVAL, "%s: must be an object", p);
		int64_t ns = 0;
		if ((r = json_get_i64(v, p, "secs", false, INT64_MIN / 2, INT64_MAX / 2, &t->secs, NULL,
				      err)) < 0 ||
		    (r = json_get_i64(v, p, "nanosecs", false, 0, 999999999, &ns, NULL, err)) < 0)
			return r;
		t->nanosecs = (uint32_t)ns;
		t->present = true;
	}
	return 0;
}

static int parse_devices(json_t *lnx, struct oci_linux *l, cell_error **err)
{
	json_t *arr = NULL;
	int r = json_get_array(lnx, "linux", "devices", false, &arr, err);
	if (r < 0 || !arr)
		return r;
	size_t n = json_array_size(arr);
	if (n == 0)
		return 0;
	l->devices = calloc(n, sizeof(*l->devices));
	if (!l->devices)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		char p[PATHBUF];
		json_t *d = json_array_get(arr, i);
		struct oci_device *dev = &l->devices[i];
		const char *type = NULL;
		int64_t mode = 0, uid = 0, gid = 0;
		bool has_major = false, has_minor = false;
		json_path_index(p, sizeof(p), "linux", "devices", i);
		if (!json_is_object(d))
			return cell_error_set(err, EINVAL, "%s: must be an object", p);
		if ((r = json_get_string(d, p, "type", true, &type, err)) < 0 ||
		    (r = json_get_string(d, p, "path", true, &dev->path, err)) < 0 ||
		    (r = json_get_i64(d, p, "major", false, 0, 4095, &dev->major, &has_major, err)) < 0 ||
		    (r = json_get_i64(d, p, "minor", false, 0, 1048575, &dev->minor, &has_minor, err)) < 0 ||
		    (r = json_get_i64(d, p, "fileMode", false, 0, 07777, &mode, &dev->has_file_mode, err)) <
			0 ||
		    (r = json_get_i64(d, p, "uid", false, 0, UINT32_MAX - 1, &uid, &dev->has_uid, err)) < 0 ||
		    (r = json_get_i64(d, p, "gid", false, 0, UINT32_MAX - 1, &gid, &dev->has_gid, err)) < 0)
			return r;
		if (strcmp(type, "c") == 0 || strcmp(type, "u") == 0)
			dev->type = 'c';
		else if (strcmp(type, "b") == 0)
			dev->type = 'b';
		else if (strcmp(type, "p") == 0)
			dev->type = 'p';
		else
			return cell_error_set(err, EINVAL,
					      "%s.type: must be \"c\", \"b\", \"u\" or \"p\", got \"%s\"", p,
					      type);
		if (dev->type != 'p' && (!has_major || !has_minor))
			return cell_error_set(err, EINVAL, "%s: major and minor are required for type \"%s\"",
					      p, type);
		if (dev->path[0] != '/')
			return cell_error_set(err, EINVAL, "%s.path: must be an absolute path, got \"%s\"", p,
					      dev->path);
		dev->file_mode = (uint32_t)mode;
		dev->uid = (uint32_t)uid;
		dev->gid = (uint32_t)gid;
		l->n_devices = i + 1;
	}
	return 0;
}

static int parse_personality(json_t *lnx, struct oci_linux *l, cell_error **err)
{
	json_t *o = NULL;
	int r = json_get_object(lnx, "linux", "personality", false, &o, err);
	if (r < 0 || !o)
		return r;
	const char *domain = NULL;
	_cleanup_free_ const char **flags = NULL;
	if ((r = json_get_string(o, "linux.personality", "domain", true, &domain, err)) < 0 ||
	    (r = json_get_strv(o, "linux.personality", "flags", false, &flags, err)) < 0)
		return r;
	if (strcmp(domain, "LINUX") == 0)
		l->personality = PER_LINUX;
	else if (strcmp(domain, "LINUX32") == 0)
		l->personality = PER_LINUX32;
	else
		return cell_error_set(
		    err, EINVAL, "linux.personality.domain: must be \"LINUX\" or \"LINUX32\", got \"%s\"",
		    domain);
	if (flags && flags[0])
		return cell_error_set(err, EINVAL,
				      "linux.personality.flags: no flags are defined, got \"%s\"", flags[0]);
	l->has_personality = true;
	return 0;
}

static int parse_linux(struct oci_config *c, cell_error **err)
{
	json_t *lnx = NULL;
	struct oci_linux *l = &c->linux_;
	int r = json_get_object(c->json, "", "linux", false, &lnx, err);
	if (r < 0)
		return r;
	if (!lnx) {
		l->masked_paths = empty_strv;
		l->readonly_paths = empty_strv;
		return 0;
	}
	c->has_linux = true;
	if ((r = parse_namespaces(lnx, l, err)) < 0 ||
	    (r = parse_mappings(lnx, "linux", "uidMappings", &l->uid_mappings, &l->n_uid_mappings, err)) <
		0 ||
	    (r = parse_mappings(lnx, "linux", "gidMappings", &l->gid_mappings, &l->n_gid_mappings, err)) <
		0 ||
	    (r = parse_time_offsets(lnx, l, err)) < 0 || (r = parse_devices(lnx, l, err)) < 0 ||
	    (r = json_get_string(lnx, "linux", "cgroupsPath", false, &l->cgroups_path, err)) < 0 ||
	    (r = json_get_object(lnx, "linux", "resources", false, &l->resources, err)) < 0 ||
	    (r = json_get_string(lnx, "linux", "rootfsPropagation", false, &l->rootfs_propagation, err)) <
		0 ||
	    (r = json_get_strv(lnx, "linux", "maskedPaths", false, &l->masked_paths, err)) < 0 ||
	    (r = json_get_strv(lnx, "linux", "readonlyPaths", false, &l->readonly_paths, err)) < 0 ||
	    (r = json_get_string(lnx, "linux", "mountLabel", false, &l->mount_label, err)) < 0 ||
	    (r = parse_kv_object(lnx, "linux", "sysctl", &l->sysctl, &l->n_sysctl, err)) < 0 ||
	    (r = json_get_object(lnx, "linux", "seccomp", false, &l->seccomp, err)) < 0 ||
	    (r = parse_personality(lnx, l, err)) < 0)
		return r;
	if (!l->masked_paths)
		l->masked_paths = empty_strv;
	if (!l->readonly_paths)
		l->readonly_paths = empty_strv;
	return 0;
}

int oci_config_parse(json_t *json, struct oci_config **out, cell_error **err)
{
	int r;
	if (!json_is_object(json))
		return cell_error_set(err, EINVAL, "config: must be a JSON object");
	_cleanup_config_ struct oci_config *c = calloc(1, sizeof(*c));
	if (!c)
		return cell_error_set(err, ENOMEM, "out of memory");
	c->json = json_incref(json);
	c->linux_.masked_paths = empty_strv;
	c->linux_.readonly_paths = empty_strv;

	json_t *root = NULL, *proc = NULL;
	if ((r = json_get_string(json, "", "ociVersion", true, &c->oci_version, err)) < 0 ||
	    (r = json_get_object(json, "", "root", false, &root, err)) < 0 ||
	    (r = json_get_string(json, "", "hostname", false, &c->hostname, err)) < 0 ||
	    (r = json_get_string(json, "", "domainname", false, &c->domainname, err)) < 0 ||
	    (r = json_get_object(json, "", "process", false, &proc, err)) < 0)
		return r;
	if (root && ((r = json_get_string(root, "root", "path", true, &c->root_path, err)) < 0 ||
		     (r = json_get_bool(root, "root", "readonly", false, &c->root_readonly, err)) < 0))
		return r;
	if (proc && (r = oci_process_parse(proc, "process", &c->process, err)) < 0)
		return r;
	if ((r = parse_mounts(c, err)) < 0 || (r = parse_hooks(c, err)) < 0 ||
	    (r = parse_kv_object(json, "", "annotations", &c->annotations, &c->n_annotations, err)) < 0 ||
	    (r = parse_linux(c, err)) < 0)
		return r;
	*out = TAKE_PTR(c);
	return 0;
}

int oci_config_load(int dirfd, const char *path, struct oci_config **out, cell_error **err)
{
	_cleanup_json_ json_t *json = NULL;
	/* A config of more than 64 MiB is not a config; refuse it before parsing. */
	int r = json_load_file_at(dirfd, path, 64 << 20, &json, err);
	if (r < 0)
		return r;
	_cleanup_config_ struct oci_config *c = NULL;
	r = oci_config_parse(json, &c, err);
	if (r < 0)
		return cell_error_prefix(err, "%s", path);
	r = oci_config_validate(c, err);
	if (r < 0)
		return cell_error_prefix(err, "%s", path);
	*out = TAKE_PTR(c);
	return 0;
}

void oci_config_free(struct oci_config *c)
{
	if (!c)
		return;
	oci_process_free(c->process);
	for (size_t i = 0; i < c->n_mounts; i++) {
		free(c->mounts[i].options);
		free(c->mounts[i].uid_mappings);
		free(c->mounts[i].gid_mappings);
	}
	free(c->mounts);
	for (int k = 0; k < OCI_HOOK_KINDS; k++) {
		for (size_t i = 0; i < c->hooks.n[k]; i++) {
			free(c->hooks.list[k][i].args);
			free(c->hooks.list[k][i].env);
		}
		free(c->hooks.list[k]);
	}
	free(c->annotations);
	struct oci_linux *l = &c->linux_;
	free(l->uid_mappings);
	free(l->gid_mappings);
	free(l->devices);
	if (l->masked_paths != empty_strv)
		free(l->masked_paths);
	if (l->readonly_paths != empty_strv)
		free(l->readonly_paths);
	free(l->sysctl);
	json_decref(c->json);
	free(c);
}

const char *oci_annotation(const struct oci_config *c, const char *key)
{
	for (size_t i = 0; i < c->n_annotations; i++)
		if (strcmp(c->annotations[i].key, key) == 0)
			return c->annotations[i].value;
	return NULL;
}

bool oci_has_namespace(const struct oci_config *c, enum oci_ns_type t)
{
	return c->linux_.namespaces[t].present;
}

bool oci_new_namespace(const struct oci_config *c, enum oci_ns_type t)
{
	return c->linux_.namespaces[t].present && !c->linux_.namespaces[t].path;
}
