#include "seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <math.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/file.h"
#include "base/json.h"
#include "base/log.h"
#include "cell-config.h"
#include "seccomp_bpf.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif

/* Bounds that keep a hostile profile from making the compiler work for long:
 * no real profile comes near them (the default profiles of Docker and Podman
 * name about 400 system calls). */
#define MAX_NAMES 65536
#define MAX_ARGS  64
/* Syscall arguments are six registers. */
#define MAX_ARG_INDEX 5

#define PATHBUF 512

static const struct {
	const char *name;
	uint32_t action; /* without errno data */
	bool has_data;   /* takes errnoRet */
} actions[] = {
    /* SCMP_ACT_KILL is libseccomp's name for killing the thread. */
    {"SCMP_ACT_KILL", SECCOMP_RET_KILL_THREAD, false},
    {"SCMP_ACT_KILL_PROCESS", SECCOMP_RET_KILL_PROCESS, false},
    {"SCMP_ACT_KILL_THREAD", SECCOMP_RET_KILL_THREAD, false},
    {"SCMP_ACT_TRAP", SECCOMP_RET_TRAP, false},
    {"SCMP_ACT_ERRNO", SECCOMP_RET_ERRNO, true},
    {"SCMP_ACT_TRACE", SECCOMP_RET_TRACE, true},
    {"SCMP_ACT_ALLOW", SECCOMP_RET_ALLOW, false},
    {"SCMP_ACT_LOG", SECCOMP_RET_LOG, false},
    {"SCMP_ACT_NOTIFY", SECCOMP_RET_USER_NOTIF, false},
};

static const struct {
	const char *name;
	enum seccomp_bpf_op op;
} operators[] = {
    {"SCMP_CMP_NE", SECCOMP_BPF_NE},
    {"SCMP_CMP_LT", SECCOMP_BPF_LT},
    {"SCMP_CMP_LE", SECCOMP_BPF_LE},
    {"SCMP_CMP_EQ", SECCOMP_BPF_EQ},
    {"SCMP_CMP_GE", SECCOMP_BPF_GE},
    {"SCMP_CMP_GT", SECCOMP_BPF_GT},
    {"SCMP_CMP_MASKED_EQ", SECCOMP_BPF_MASKED_EQ},
};

static const struct {
	const char *name;
	unsigned long flag; /* 0: accepted, nothing to do */
} filter_flags[] = {
    /* The init is single-threaded when it loads the filter, except for the
     * notify helper thread, which must stay unfiltered: synchronising
     * threads would filter it too. TSYNC therefore has nothing to do. */
    {"SECCOMP_FILTER_FLAG_TSYNC", 0},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

const char *seccomp_action_name(size_t i)
{
	return i < ARRAY_SIZE(actions) ? actions[i].name : NULL;
}

const char *seccomp_operator_name(size_t i)
{
	return i < ARRAY_SIZE(operators) ? operators[i].name : NULL;
}

const char *seccomp_flag_name(size_t i)
{
	return i < ARRAY_SIZE(filter_flags) ? filter_flags[i].name : NULL;
}

bool seccomp_flag_supported(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(filter_flags); i++) {
		if (strcmp(filter_flags[i].name, name) != 0)
			continue;
		if (!filter_flags[i].flag)
			return true;
		/* A flag the kernel knows makes seccomp() fail on the NULL
		 * program (EFAULT), one it does not with EINVAL. */
		unsigned long flag = filter_flags[i].flag;
		/* waiting killably only exists for a listener */
		if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
			flag |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
		return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL) < 0 && errno == EFAULT;
	}
	return false;
}

/* Only the architectures a filter really has a section for: the other names
 * of the spec are accepted and skipped (linux/seccomp_bpf.h says why). */
const char *seccomp_arch_name(size_t i)
{
	if (!seccomp_bpf_supported() || i >= SECCOMP_BPF_ARCHS)
		return NULL;
	return seccomp_bpf_arch_name((enum seccomp_bpf_arch)i);
}

static void bpf_freep(struct seccomp_bpf **b)
{
	seccomp_bpf_free(*b);
	*b = NULL;
}

/* errnoRet / defaultErrnoRet of an object, checked against the action. */
static int parse_errno_ret(const json_t *obj, const char *where, const char *key, const char *action_name,
			   bool has_data, uint32_t *action, cell_error **err)
{
	int64_t ret = EPERM;
	bool present = false;
	int r = json_get_i64(obj, where, key, false, 0, 65535, &ret, &present, err);
	if (r < 0)
		return r;
	char p[PATHBUF];
	if (present && !has_data)
		return cell_error_set(err, EINVAL,
				      "%s: %s takes no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)",
				      json_path_key(p, sizeof(p), where, key), action_name);
	if (!has_data)
		return 0;
	/* The kernel caps an errno at 4095 (MAX_ERRNO); a larger one would be
	 * a different errno than the one asked for. TRACE passes any 16 bits
	 * to the tracer. */
	if (*action == SECCOMP_RET_ERRNO && ret > 4095)
		return cell_error_set(err, EINVAL, "%s: %lld is not an errno (1 to 4095)",
				      json_path_key(p, sizeof(p), where, key), (long long)ret);
	*action |= (uint32_t)ret;
	return 0;
}
/* The action named by obj.key, with its errno from obj.errno_key. */
static int parse_action(const json_t *obj, const char *where, const char *key, const char *errno_key,
			uint32_t *out, bool *notify, cell_error **err)
{
	const char *name = NULL;
	int r = json_get_string(obj, where, key, true, &name, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
		if (strcmp(actions[i].name, name) != 0)
			continue;
		*out = actions[i].action;
		if (actions[i].action == SECCOMP_RET_USER_NOTIF)
			*notify = true;
		return parse_errno_ret(obj, where, errno_key, name, actions[i].has_data, out, err);
	}
	char p[PATHBUF];
	return cell_error_set(err, EINVAL, "%s: unknown action \"%s\"",
			      json_path_key(p, sizeof(p), where, key), name);
}

/* A seccomp argument value: a JSON integer, read exactly. Above 2^63 the
 * document's integers arrive as doubles, which are exact only below 2^53;
 * guessing a comparison value of a security rule is not an option. */
static int parse_arg_value(const json_t *arg, const char *where, const char *key, bool required,
			   uint64_t *out, cell_error **err)
{
	json_t *v = json_object_get(arg, key);
	char p[PATHBUF];
	json_path_key(p, sizeof(p), where, key);
	if (!v || json_is_null(v)) {
		if (required)
			return cell_error_set(err, EINVAL, "%s: missing", p);
		return 0;
	}
	if (json_is_real(v) && json_real_value(v) >= 9007199254740992.0)
		return cell_error_set(err, ERANGE,
				      "%s: %.0f cannot be read exactly (write values above 2^53 "
				      "below 2^63 in this document, or split the comparison)",
				      p, json_real_value(v));
	if (!json_as_u64(v, out))
		return cell_error_set(err, EINVAL, "%s: must be a non-negative integer", p);
	return 0;
}

static int parse_arg(const json_t *arg, const char *where, struct seccomp_bpf_cond *out, cell_error **err)
{
	if (!json_is_object(arg))
		return cell_error_set(err, EINVAL, "%s: must be an object", where);
	int64_t index = 0;
	uint64_t value = 0, two = 0;
	const char *op = NULL;
	int r;
	if ((r = json_get_i64(arg, where, "index", true, 0, MAX_ARG_INDEX, &index, NULL, err)) < 0 ||
	    (r = parse_arg_value(arg, where, "value", true, &value, err)) < 0 ||
	    (r = parse_arg_value(arg, where, "valueTwo", false, &two, err)) < 0 ||
	    (r = json_get_string(arg, where, "op", true, &op, err)) < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(operators); i++) {
		if (strcmp(operators[i].name, op) != 0)
			continue;
		/* For SCMP_CMP_MASKED_EQ, value is the mask and valueTwo the
		 * value the masked argument must equal. */
		*out = (struct seccomp_bpf_cond){
		    .arg = (unsigned)index, .op = operators[i].op, .value = value, .value_two = two};
		return 0;
	}
	return cell_error_set(err, EINVAL, "%s.op: unknown operator \"%s\"", where, op);
}

static bool args_repeat_an_index(const struct seccomp_bpf_cond *args, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (args[i].arg == args[j].arg)
				return true;
	return false;
}

/* One system call of an entry. Like runc (whose libseccomp takes one
 * comparison per argument in a rule), conditions that repeat an argument
 * become separate rules: any one of them matches. */
static int add_rules(struct seccomp_bpf *b, uint32_t action, const char *name,
		     const struct seccomp_bpf_cond *args, size_t n, const char *where, cell_error **err)
{
	bool split = args_repeat_an_index(args, n);
	for (size_t i = 0; i < (split ? n : 1); i++) {
		int r = split ? seccomp_bpf_add_rule(b, action, name, &args[i], 1)
			      : seccomp_bpf_add_rule(b, action, name, args, n);
		if (r == -ENOENT) {
			log_debug("%s: system call \"%s\" is unknown on x86_64, x86 and x32; skipped", where,
				  name);
			return 0;
		}
		if (r < 0)
			return cell_error_errno(err, -r, "%s: add a rule for \"%s\"", where, name);
	}
	return 0;
}

static int add_entry(struct seccomp_bpf *b, const json_t *entry, const char *where, size_t *names_seen,
		     bool *notify, cell_error **err)
{
	if (!json_is_object(entry))
		return cell_error_set(err, EINVAL, "%s: must be an object", where);
	_cleanup_free_ const char **names = NULL;
	json_t *args_json = NULL;
	uint32_t action = 0;
	int r;
	if ((r = json_get_strv(entry, where, "names", true, &names, err)) < 0 ||
	    (r = parse_action(entry, where, "action", "errnoRet", &action, notify, err)) < 0 ||
	    (r = json_get_array(entry, where, "args", false, &args_json, err)) < 0)
		return r;
	if (!names[0])
		return cell_error_set(err, EINVAL, "%s.names: must name at least one system call", where);
	size_t n_args = args_json ? json_array_size(args_json) : 0;
	if (n_args > MAX_ARGS)
		return cell_error_set(err, E2BIG, "%s.args: %zu conditions, more than %d", where, n_args,
				      MAX_ARGS);
	struct seccomp_bpf_cond args[MAX_ARGS];
	for (size_t i = 0; i < n_args; i++) {
		char p[PATHBUF];
		json_path_index(p, sizeof(p), where, "args", i);
		if ((r = parse_arg(json_array_get(args_json, i), p, &args[i], err)) < 0)
			return r;
	}
	for (size_t i = 0; names[i]; i++) {
		if (++*names_seen > MAX_NAMES)
			return cell_error_set(err, E2BIG, "%s: more than %d system call names in the profile",
					      where, MAX_NAMES);
		if ((r = add_rules(b, action, names[i], args, n_args, where, err)) < 0)
			return r;
	}
	return 0;
}

static int add_architectures(struct seccomp_bpf *b, const json_t *sc, const char *where, cell_error **err)
{
	_cleanup_free_ const char **arches = NULL;
	int r = json_get_strv(sc, where, "architectures", false, &arches, err);
	if (r < 0)
		return r;
	for (size_t i = 0; arches && arches[i]; i++) {
		char p[PATHBUF];
		json_path_index(p, sizeof(p), where, "architectures", i);
		enum seccomp_bpf_arch a;
		r = seccomp_bpf_arch_lookup(arches[i], &a);
		if (r < 0)
			return cell_error_set(err, EINVAL, "%s: unknown architecture \"%s\"", p, arches[i]);
		if (r == 0)
			log_debug("%s: %s: no process on this machine can make its system calls; skipped", p,
				  arches[i]);
		else
			seccomp_bpf_add_arch(b, a);
	}
	return 0;
}

static int parse_flags(const json_t *sc, const char *where, unsigned int *out, cell_error **err)
{
	_cleanup_free_ const char **flags = NULL;
	int r = json_get_strv(sc, where, "flags", false, &flags, err);
	if (r < 0)
		return r;
	*out = 0;
	for (size_t i = 0; flags && flags[i]; i++) {
		size_t k;
		for (k = 0; k < ARRAY_SIZE(filter_flags); k++)
			if (strcmp(filter_flags[k].name, flags[i]) == 0)
				break;
		if (k == ARRAY_SIZE(filter_flags)) {
			char p[PATHBUF];
			return cell_error_set(err, EINVAL, "%s: unknown flag \"%s\"",
					      json_path_index(p, sizeof(p), where, "flags", i), flags[i]);
		}
		*out |= (unsigned int)filter_flags[k].flag;
	}
	return 0;
}

int seccomp_compile(const json_t *sc, const char *where, struct seccomp_filter *out, cell_error **err)
{
	*out = (struct seccomp_filter){0};
	if (!json_is_object(sc))
		return cell_error_set(err, EINVAL, "%s: must be an object", where);
	uint32_t def = 0;
	bool notify = false;
	json_t *syscalls = NULL;
	int r;
	if ((r = parse_action(sc, where, "defaultAction", "defaultErrnoRet", &def, &notify, err)) < 0 ||
	    (r = parse_flags(sc, where, &out->flags, err)) < 0 ||
	    (r = json_get_string(sc, where, "listenerPath", false, &out->listener_path, err)) < 0 ||
	    (r = json_get_string(sc, where, "listenerMetadata", false, &out->listener_metadata, err)) < 0 ||
	    (r = json_get_array(sc, where, "syscalls", false, &syscalls, err)) < 0)
		return r;
	if (!seccomp_bpf_supported())
		return cell_error_set(
		    err, ENOTSUP, "%s: seccomp filters are only supported on x86_64 builds for now", where);

	_cleanup_(bpf_freep) struct seccomp_bpf *b = seccomp_bpf_new(def);
	if (!b)
		return cell_error_set(err, ENOMEM, "out of memory");
	if ((r = add_architectures(b, sc, where, err)) < 0)
		return r;
	size_t names_seen = 0;
	for (size_t i = 0; syscalls && i < json_array_size(syscalls); i++) {
		char p[PATHBUF];
		json_path_index(p, sizeof(p), where, "syscalls", i);
		if ((r = add_entry(b, json_array_get(syscalls, i), p, &names_seen, &notify, err)) < 0)
			return r;
	}
	r = seccomp_bpf_generate(b, &out->prog, &out->len);
	if (r == -E2BIG)
		return cell_error_set(
		    err, E2BIG, "%s: the filter needs more than %d BPF instructions, the kernel's limit",
		    where, SECCOMP_BPF_MAX_INSNS);
	if (r < 0)
		return cell_error_errno(err, -r, "%s: generate the filter", where);
	out->notify = notify;
	return 0;
}

void seccomp_filter_free(struct seccomp_filter *f)
{
	free(f->prog);
	f->prog = NULL;
	f->len = 0;
}

/* Does the kernel know these filter flags? seccomp(2) checks the flags
 * before it reads the program, so a NULL program answers EFAULT when they are
 * known and EINVAL when not; nothing is installed either way. */
static bool kernel_has_flags(unsigned int flags)
{
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, NULL) < 0 && errno == EFAULT;
}

static int check_kernel_flags(const struct seccomp_filter *f, const char *where, cell_error **err)
{
	for (size_t k = 0; k < ARRAY_SIZE(filter_flags); k++) {
		unsigned int flag = (unsigned int)filter_flags[k].flag;
		if (!flag || !(f->flags & flag))
			continue;
		/* The kernel takes WAIT_KILLABLE_RECV only with a listener. */
		unsigned int probe = flag;
		if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) {
			if (!f->notify)
				return cell_error_set(err, EINVAL,
						      "%s.flags: %s needs an SCMP_ACT_NOTIFY rule", where,
						      filter_flags[k].name);
			probe |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
		}
		if (!kernel_has_flags(probe))
			return cell_error_set(err, ENOTSUP,
					      "%s.flags: %s is not supported by the running kernel", where,
					      filter_flags[k].name);
	}
	if (f->notify && !kernel_has_flags(SECCOMP_FILTER_FLAG_NEW_LISTENER))
		return cell_error_set(err, ENOTSUP,
				      "%s: SCMP_ACT_NOTIFY needs seccomp listeners, which the running kernel "
				      "lacks",
				      where);
	return 0;
}

static int connect_listener(const char *path, const char *where, int *out, cell_error **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return cell_error_set(err, ENAMETOOLONG, "%s.listenerPath: %s is longer than %zu bytes",
				      where, path, sizeof(sa.sun_path) - 1);
	strcpy(sa.sun_path, path);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cell_error_errno(err, errno, "%s.listenerPath: create a socket", where);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return cell_error_errno(err, errno, "%s.listenerPath: connect to %s", where, path);
	*out = TAKE_FD(fd);
	return 0;
}

/* "{…}" → a new copy of "…". */
static char *object_inner(const char *json)
{
	size_t n = strlen(json);
	if (n < 2 || json[0] != '{' || json[n - 1] != '}')
		return NULL;
	return strndup(json + 1, n - 2);
}

static int build_state(struct seccomp_plan *p, const char *container_state, cell_error **err)
{
	_cleanup_json_ json_t *head =
	    json_pack("{s:s, s:[s]}", "ociVersion", CELL_OCI_VERSION, "fds", "seccompFd");
	if (!head)
		return cell_error_set(err, ENOMEM, "out of memory");
	if (p->filter.listener_metadata &&
	    json_object_set_new(head, "metadata", json_string(p->filter.listener_metadata)) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	_cleanup_free_ char *head_s = json_dumps(head, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!head_s || !(p->state_head = object_inner(head_s)) ||
	    !(p->state_body = object_inner(container_state)))
		return cell_error_set(err, ENOMEM, "out of memory");
	/* Room for the pids and the punctuation around them. */
	p->msg_size = strlen(p->state_head) + strlen(p->state_body) + 96;
	if (!(p->msg = malloc(p->msg_size)))
		return cell_error_set(err, ENOMEM, "out of memory");
	return 0;
}

static int plan_build(const struct oci_config *c, const char *container_state, struct seccomp_plan *p,
		      cell_error **err)
{
	const char *where = "linux.seccomp";
	*p = (struct seccomp_plan){.listener_fd = -1};
	if (!c->linux_.seccomp)
		return 0;
	int r = seccomp_compile(c->linux_.seccomp, where, &p->filter, err);
	if (r < 0)
		return r;
	p->set = true;
	const struct seccomp_filter *f = &p->filter;
	if (f->listener_metadata && !f->listener_path)
		return cell_error_set(err, EINVAL, "%s.listenerMetadata: given without listenerPath", where);
	if (f->notify && !f->listener_path)
		return cell_error_set(err, EINVAL,
				      "%s: SCMP_ACT_NOTIFY needs listenerPath, the agent that answers the "
				      "notifications",
				      where);
	if ((r = check_kernel_flags(f, where, err)) < 0)
		return r;
	if (!f->notify) {
		if (f->listener_path)
			log_debug("%s.listenerPath: no SCMP_ACT_NOTIFY rule; ignored", where);
		p->filter.listener_path = p->filter.listener_metadata = NULL;
		return 0;
	}
	r = build_state(p, container_state, err);
	/* The strings belong to the config; the plan keeps its own. */
	p->filter.listener_metadata = NULL;
	if (r < 0)
		return r;
	if (!(p->listener_path = strdup(f->listener_path)))
		return cell_error_set(err, ENOMEM, "out of memory");
	p->filter.listener_path = NULL;
	return connect_listener(p->listener_path, where, &p->listener_fd, err);
}

int seccomp_plan_build(const struct oci_config *c, const char *container_state, struct seccomp_plan *p,
		       cell_error **err)
{
	int r = plan_build(c, container_state, p, err);
	if (r < 0)
		seccomp_plan_release(p);
	return r;
}

void seccomp_plan_release(struct seccomp_plan *p)
{
	seccomp_filter_free(&p->filter);
	if (p->listener_fd >= 0)
		close(p->listener_fd);
	p->listener_fd = -1;
	free(p->listener_path);
	p->listener_path = NULL;
	free(p->state_head);
	free(p->state_body);
	free(p->msg);
	p->state_head = p->state_body = p->msg = NULL;
}

bool seccomp_load_before_caps(const struct seccomp_plan *p, bool no_new_privs, uint64_t eff)
{
	return p->set && !no_new_privs && !(eff & (1ULL << CAP_SYS_ADMIN));
}

/* The notify hand-off between the init and its helper thread. The thread
 * shares our memory and fds (and, without a TLS of its own, errno: the init
 * reads errno only before it publishes the fd, the thread touches it only
 * after). */
struct handoff {
	atomic_int fd;   /* -1: not yet; -2: loading failed, give up; else the listener fd */
	atomic_int done; /* set by the thread when it is finished */
	int err;         /* errno of the send, 0 when it went out */
	int sock;
	const char *msg;
	size_t len;
};

static struct handoff handoff;

static inline void spin_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

/* The helper thread: not instrumented (the sanitizers keep per-thread state
 * in the TLS it shares with the init) and with raw system calls only. */
__attribute__((no_sanitize("address", "undefined"))) static int handoff_thread(void *arg)
{
	struct handoff *h = arg;
	int fd;
	while ((fd = atomic_load(&h->fd)) == -1) {
		struct timespec ts = {.tv_nsec = 100 * 1000};
		syscall(SYS_nanosleep, &ts, NULL);
	}
	if (fd >= 0) {
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} u;
		struct iovec iov = {.iov_base = (void *)h->msg, .iov_len = h->len};
		struct msghdr mh = {
		    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		__builtin_memcpy(CMSG_DATA(c), &fd, sizeof(int));
		/* Never blocks for long: one small message on a fresh connection. */
		long n = syscall(SYS_sendmsg, h->sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		h->err = n < 0 ? errno : (size_t)n != h->len ? EMSGSIZE : 0;
		/* One state per connection; the agent sees the end of it. */
		syscall(SYS_close, h->sock);
	}
	atomic_store(&h->done, 1);
	syscall(SYS_exit, 0);
	return 0;
}

int seccomp_plan_load(struct seccomp_plan *p, pid_t host_pid, struct init_error *e)
{
	if (!p->set)
		return 0;
	struct sock_fprog prog = {.len = (unsigned short)p->filter.len, .filter = p->filter.prog};
	if (!p->filter.notify) {
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->filter.flags, &prog) < 0)
			return init_fail(e, errno, "linux.seccomp: load the filter");
		return 0;
	}

	int len = snprintf(p->msg, p->msg_size, "{\"pid\":%d,%s,\"state\":{\"pid\":%d%s%s}}", (int)host_pid,
			   p->state_head, (int)host_pid, *p->state_body ? "," : "", p->state_body);
	if (len < 0 || (size_t)len >= p->msg_size)
		return init_fail(e, EOVERFLOW, "linux.seccomp: compose the container process state");
	handoff = (struct handoff){.fd = -1, .sock = p->listener_fd, .msg = p->msg, .len = (size_t)len};
	const size_t stack_size = 64 * 1024;
	void *stack =
	    mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return init_fail(e, errno, "linux.seccomp: allocate the notify helper's stack");
	/* A thread, not a process: it needs no reaping, and execve ends it. */
	int tid =
	    clone(handoff_thread, (char *)stack + stack_size,
		  CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM, &handoff);
	if (tid < 0)
		return init_fail(e, errno, "linux.seccomp: start the notify helper");

	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			  p->filter.flags | SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	int load_err = errno;
	atomic_store(&handoff.fd, fd < 0 ? -2 : (int)fd);
	/* No system call here: the filter may deny or notify any of them. */
	while (!atomic_load(&handoff.done))
		spin_pause();
	p->listener_fd = -1; /* the helper closed it */
	if (fd < 0)
		return init_fail(e, load_err, "linux.seccomp: load the filter");
	if (handoff.err)
		return init_fail(e, handoff.err, "linux.seccomp.listenerPath: send the notify fd to %s",
				 p->listener_path);
	return 0;
}
