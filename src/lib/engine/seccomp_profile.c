#include "seccomp_profile.h"

#include <errno.h>
#include <sched.h>
#include <string.h>

#include "base/json.h"
#include "base/strv.h"

struct gated {
	const char *cap; /* NULL: refused whatever the capabilities */
	const char *const *names;
};

#define NAMES(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Each group is refused unless the container holds its capability. */
static const struct gated gated[] = {
    {NULL, NAMES("keyctl", "add_key", "request_key", "userfaultfd", "kexec_file_load", "nfsservctl", "uselib",
		 "create_module", "get_kernel_syms", "query_module", "_sysctl", "sysfs", "ustat", "vm86",
		 "vm86old", "lookup_dcookie", "io_uring_setup", "io_uring_enter", "io_uring_register")},
    {"CAP_SYS_MODULE", NAMES("init_module", "finit_module", "delete_module")},
    {"CAP_SYS_BOOT", NAMES("reboot", "kexec_load")},
    {"CAP_SYS_TIME", NAMES("settimeofday", "stime", "clock_settime", "clock_settime64", "adjtimex",
			   "clock_adjtime", "clock_adjtime64")},
    {"CAP_SYS_PACCT", NAMES("acct")},
    {"CAP_SYS_RAWIO", NAMES("iopl", "ioperm")},
    {"CAP_SYS_PTRACE", NAMES("kcmp", "process_vm_readv", "process_vm_writev", "pidfd_getfd")},
    {"CAP_SYS_NICE", NAMES("get_mempolicy", "mbind", "set_mempolicy", "migrate_pages", "move_pages",
			   "set_mempolicy_home_node")},
    {"CAP_SYSLOG", NAMES("syslog")},
    {"CAP_SYS_TTY_CONFIG", NAMES("vhangup")},
    {"CAP_DAC_READ_SEARCH", NAMES("open_by_handle_at")},
    {"CAP_SYS_ADMIN",
     NAMES("mount", "umount", "umount2", "pivot_root", "swapon", "swapoff", "quotactl", "quotactl_fd", "bpf",
	   "perf_event_open", "fanotify_init", "fsopen", "fsconfig", "fsmount", "fspick", "open_tree",
	   "move_mount", "mount_setattr", "name_to_handle_at", "setns", "unshare", "lsm_set_self_attr")},
};

static bool has_cap(char *const *caps, const char *cap)
{
	return strv_contains(caps, cap);
}

static int add_rule(json_t *rules, const char *const *names, json_t *args, int errno_ret)
{
	json_t *n = json_array();
	for (size_t i = 0; n && names[i]; i++)
		json_array_append_new(n, json_string(names[i]));
	json_t *r =
	    json_pack("{s:o, s:s, s:i}", "names", n, "action", "SCMP_ACT_ERRNO", "errnoRet", errno_ret);
	if (!r)
		return -ENOMEM;
	if (args)
		json_object_set_new(r, "args", args);
	return json_array_append_new(rules, r);
}

static json_t *host_architectures(void)
{
#if defined(__x86_64__)
	return json_pack("[s, s, s]", "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
#elif defined(__aarch64__)
	return json_pack("[s, s]", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM");
#elif defined(__i386__)
	return json_pack("[s]", "SCMP_ARCH_X86");
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return json_pack("[s]", "SCMP_ARCH_PPC64LE");
#elif defined(__s390x__)
	return json_pack("[s, s]", "SCMP_ARCH_S390X", "SCMP_ARCH_S390");
#elif defined(__riscv) && __riscv_xlen == 64
	return json_pack("[s]", "SCMP_ARCH_RISCV64");
#else
	return json_array();
#endif
}

json_t *seccomp_profile_default(char *const *caps)
{
	_cleanup_json_ json_t *rules = json_array();
	if (!rules)
		return NULL;
	for (size_t g = 0; g < ARRAY_SIZE(gated); g++)
		if ((!gated[g].cap || !has_cap(caps, gated[g].cap)) &&
		    add_rule(rules, gated[g].names, NULL, EPERM) < 0)
			return NULL;
	if (add_rule(rules, NAMES("clone3"), NULL, ENOSYS) < 0)
		return NULL;
	if (!has_cap(caps, "CAP_SYS_ADMIN")) {
		/* A new user namespace through clone: one rule per flag bit, since
		 * the conditions of one rule must all hold. The other namespace
		 * kinds need CAP_SYS_ADMIN in the kernel already. */
		static const unsigned long flags[] = {CLONE_NEWUSER};
		for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
			json_t *args =
			    json_pack("[{s:i, s:I, s:I, s:s}]", "index", 0, "value", (json_int_t)flags[i],
				      "valueTwo", (json_int_t)flags[i], "op", "SCMP_CMP_MASKED_EQ");
			if (!args || add_rule(rules, NAMES("clone"), args, EPERM) < 0)
				return NULL;
		}
	}
	return json_pack("{s:s, s:o, s:O}", "defaultAction", "SCMP_ACT_ALLOW", "architectures",
			 host_architectures(), "syscalls", rules);
}

static const char *host_arch_name(void)
{
#if defined(__x86_64__)
	return "SCMP_ARCH_X86_64";
#elif defined(__aarch64__)
	return "SCMP_ARCH_AARCH64";
#elif defined(__i386__)
	return "SCMP_ARCH_X86";
#elif defined(__s390x__)
	return "SCMP_ARCH_S390X";
#elif defined(__riscv) && __riscv_xlen == 64
	return "SCMP_ARCH_RISCV64";
#else
	return "";
#endif
}

static bool arch_listed(json_t *list)
{
	size_t i;
	json_t *a;
	json_array_foreach (list, i, a)
		if (json_is_string(a) && strcmp(json_string_value(a), host_arch_name()) == 0)
			return true;
	return false;
}

/* Docker's includes/excludes: a rule counts when the process holds every
 * capability of includes.caps and none of excludes.caps, and the machine is
 * among includes.arches and not among excludes.arches. */
static int rule_applies(json_t *rule, const char *where, char *const *caps, bool *out, cell_error **err)
{
	json_t *inc = json_object_get(rule, "includes"), *exc = json_object_get(rule, "excludes");
	if ((inc && !json_is_object(inc)) || (exc && !json_is_object(exc)))
		return cell_error_set(err, EINVAL, "%s: includes and excludes must be objects", where);
	*out = true;
	size_t i;
	json_t *v;
	json_array_foreach (json_object_get(inc, "caps"), i, v)
		if (!json_is_string(v) || !has_cap(caps, json_string_value(v)))
			*out = false;
	json_array_foreach (json_object_get(exc, "caps"), i, v)
		if (json_is_string(v) && has_cap(caps, json_string_value(v)))
			*out = false;
	json_t *ia = json_object_get(inc, "arches"), *ea = json_object_get(exc, "arches");
	if (json_array_size(ia) && !arch_listed(ia))
		*out = false;
	if (json_array_size(ea) && arch_listed(ea))
		*out = false;
	return 0;
}

int seccomp_profile_from_file(const char *text, size_t len, const char *what, char *const *caps, json_t **out,
			      cell_error **err)
{
	_cleanup_json_ json_t *doc = NULL;
	int r = json_load_buffer(text, len, what, &doc, err);
	if (r < 0)
		return r;
	if (!json_is_object(doc))
		return cell_error_set(err, EINVAL, "%s: a seccomp profile must be an object", what);
	if (!json_is_string(json_object_get(doc, "defaultAction")))
		return cell_error_set(err, EINVAL, "%s: defaultAction is missing", what);
	_cleanup_json_ json_t *res = json_deep_copy(doc);
	if (!res)
		return cell_error_set(err, ENOMEM, "out of memory");
	json_t *map = json_object_get(res, "archMap");
	if (map) {
		/* archMap: this machine's architecture and its sub-architectures. */
		if (!json_is_array(map))
			return cell_error_set(err, EINVAL, "%s: archMap must be an array", what);
		json_t *arches = json_array();
		size_t i;
		json_t *m;
		json_array_foreach (map, i, m) {
			const char *a = json_string_value(json_object_get(m, "architecture"));
			if (!a || strcmp(a, host_arch_name()) != 0)
				continue;
			json_array_append_new(arches, json_string(a));
			json_t *sub = json_object_get(m, "subArchitectures"), *s;
			size_t k;
			json_array_foreach (sub, k, s)
				if (json_is_string(s))
					json_array_append(arches, s);
		}
		json_object_del(res, "archMap");
		json_object_set_new(res, "architectures", arches);
	}
	json_t *rules = json_object_get(res, "syscalls");
	if (rules && !json_is_array(rules))
		return cell_error_set(err, EINVAL, "%s: syscalls must be an array", what);
	json_t *kept = json_array();
	size_t i;
	json_t *rule;
	json_array_foreach (rules, i, rule) {
		char where[300];
		snprintf(where, sizeof(where), "%s: syscalls[%zu]", what, i);
		if (!json_is_object(rule)) {
			json_decref(kept);
			return cell_error_set(err, EINVAL, "%s: must be an object", where);
		}
		bool applies = false;
		if ((r = rule_applies(rule, where, caps, &applies, err)) < 0) {
			json_decref(kept);
			return r;
		}
		if (!applies)
			continue;
		json_t *copy = json_deep_copy(rule);
		json_object_del(copy, "includes");
		json_object_del(copy, "excludes");
		json_object_del(copy, "comment");
		/* An older spelling: one "name" instead of "names". */
		json_t *name = json_object_get(copy, "name");
		if (json_is_string(name) && !json_object_get(copy, "names")) {
			json_object_set_new(copy, "names", json_pack("[O]", name));
			json_object_del(copy, "name");
		}
		json_array_append_new(kept, copy);
	}
	json_object_set_new(res, "syscalls", kept);
	*out = TAKE_PTR(res);
	return 0;
}
