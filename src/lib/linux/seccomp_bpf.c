#include "seccomp_bpf.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/ipc.h>
#include <linux/net.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"

struct syscall_entry {
	uint16_t name;                 /* offset in syscall_names */
	int16_t nr[SECCOMP_BPF_ARCHS]; /* -1: none; x32's without its bit */
};

/* Generated at build time by gen-syscalls.sh: syscall_names and syscalls,
 * sorted by name, with the numbers in the order of enum seccomp_bpf_arch. */
#include "seccomp-syscalls.h"

static const struct {
	const char *spec_name;
	bool is32; /* arguments compared on their low halves */
} archs[SECCOMP_BPF_ARCHS] = {
    [SECCOMP_BPF_X86_64] = {"SCMP_ARCH_X86_64", false},
    [SECCOMP_BPF_X86] = {"SCMP_ARCH_X86", true},
    [SECCOMP_BPF_X32] = {"SCMP_ARCH_X32", true},
};

/* The other architectures the runtime spec names. A process on this machine
 * cannot make their system calls (the kernel runs x86 code only), so a
 * section for them would never be entered: they are accepted and skipped. */
static const char *const other_archs[] = {
    "SCMP_ARCH_ARM",       "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",
    "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
    "SCMP_ARCH_PPC",       "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",
    "SCMP_ARCH_S390X",     "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
};

/* The calls numbered by <linux/net.h> and <linux/ipc.h> (seccomp_bpf.h). */
const struct seccomp_bpf_mux seccomp_bpf_multiplexed[] = {
    {"socket", "socketcall", SYS_SOCKET},
    {"bind", "socketcall", SYS_BIND},
    {"connect", "socketcall", SYS_CONNECT},
    {"listen", "socketcall", SYS_LISTEN},
    {"accept", "socketcall", SYS_ACCEPT},
    {"getsockname", "socketcall", SYS_GETSOCKNAME},
    {"getpeername", "socketcall", SYS_GETPEERNAME},
    {"socketpair", "socketcall", SYS_SOCKETPAIR},
    {"send", "socketcall", SYS_SEND},
    {"recv", "socketcall", SYS_RECV},
    {"sendto", "socketcall", SYS_SENDTO},
    {"recvfrom", "socketcall", SYS_RECVFROM},
    {"shutdown", "socketcall", SYS_SHUTDOWN},
    {"setsockopt", "socketcall", SYS_SETSOCKOPT},
    {"getsockopt", "socketcall", SYS_GETSOCKOPT},
    {"sendmsg", "socketcall", SYS_SENDMSG},
    {"recvmsg", "socketcall", SYS_RECVMSG},
    {"accept4", "socketcall", SYS_ACCEPT4},
    {"recvmmsg", "socketcall", SYS_RECVMMSG},
    {"sendmmsg", "socketcall", SYS_SENDMMSG},
    {"semop", "ipc", SEMOP},
    {"semget", "ipc", SEMGET},
    {"semctl", "ipc", SEMCTL},
    {"semtimedop", "ipc", SEMTIMEDOP},
    {"msgsnd", "ipc", MSGSND},
    {"msgrcv", "ipc", MSGRCV},
    {"msgget", "ipc", MSGGET},
    {"msgctl", "ipc", MSGCTL},
    {"shmat", "ipc", SHMAT},
    {"shmdt", "ipc", SHMDT},
    {"shmget", "ipc", SHMGET},
    {"shmctl", "ipc", SHMCTL},
};
const size_t seccomp_bpf_n_multiplexed = ARRAY_SIZE(seccomp_bpf_multiplexed);

struct rule {
	uint32_t action;
	int nr[SECCOMP_BPF_ARCHS]; /* -1: not on that architecture */
	int mux_nr;                /* x86: socketcall or ipc, or -1 */
	uint32_t mux_call;
	size_t cond_off, n_conds; /* in the builder's conds */
};

struct seccomp_bpf {
	uint32_t def;
	bool arch[SECCOMP_BPF_ARCHS];
	struct rule *rules;
	size_t n_rules, cap_rules;
	struct seccomp_bpf_cond *conds;
	size_t n_conds, cap_conds;
};

struct seccomp_bpf *seccomp_bpf_new(uint32_t default_action)
{
	struct seccomp_bpf *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->def = default_action;
	b->arch[SECCOMP_BPF_X86_64] = true;
	return b;
}

void seccomp_bpf_free(struct seccomp_bpf *b)
{
	if (!b)
		return;
	free(b->rules);
	free(b->conds);
	free(b);
}

int seccomp_bpf_arch_lookup(const char *name, enum seccomp_bpf_arch *out)
{
	for (size_t i = 0; i < SECCOMP_BPF_ARCHS; i++)
		if (strcmp(archs[i].spec_name, name) == 0) {
			*out = (enum seccomp_bpf_arch)i;
			return 1;
		}
	for (size_t i = 0; i < ARRAY_SIZE(other_archs); i++)
		if (strcmp(other_archs[i], name) == 0)
			return 0;
	return -ENOENT;
}

const char *seccomp_bpf_arch_name(enum seccomp_bpf_arch a)
{
	return (size_t)a < SECCOMP_BPF_ARCHS ? archs[a].spec_name : NULL;
}

void seccomp_bpf_add_arch(struct seccomp_bpf *b, enum seccomp_bpf_arch a)
{
	if ((size_t)a < SECCOMP_BPF_ARCHS)
		b->arch[a] = true;
}

bool seccomp_bpf_supported(void)
{
	return SECCOMP_SYSCALLS_HOST;
}

static int cmp_entry_name(const void *key, const void *elem)
{
	return strcmp(key, syscall_names + ((const struct syscall_entry *)elem)->name);
}

int seccomp_bpf_syscall_number(enum seccomp_bpf_arch a, const char *name)
{
	if ((size_t)a >= SECCOMP_BPF_ARCHS || !SECCOMP_SYSCALLS_HOST)
		return -1;
	const struct syscall_entry *e =
	    bsearch(name, syscalls, ARRAY_SIZE(syscalls), sizeof(*e), cmp_entry_name);
	if (!e || e->nr[a] < 0)
		return -1;
	return a == SECCOMP_BPF_X32 ? (int)(SECCOMP_X32_SYSCALL_BIT | (unsigned int)e->nr[a]) : e->nr[a];
}

static bool same_conds(const struct seccomp_bpf_cond *a, const struct seccomp_bpf_cond *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].arg != b[i].arg || a[i].op != b[i].op || a[i].value != b[i].value ||
		    a[i].value_two != b[i].value_two)
			return false;
	return true;
}

/* Grow *v (of *cap elements of size) to hold need elements. */
static int grow(void **v, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 16;
	while (c < need)
		c *= 2;
	void *n = reallocarray(*v, c, size);
	if (!n)
		return -ENOMEM;
	*v = n;
	*cap = c;
	return 0;
}

int seccomp_bpf_add_rule(struct seccomp_bpf *b, uint32_t action, const char *name,
			 const struct seccomp_bpf_cond *conds, size_t n)
{
	struct rule r = {.action = action, .mux_nr = -1, .n_conds = n};
	bool known = false;
	for (size_t a = 0; a < SECCOMP_BPF_ARCHS; a++)
		known |= (r.nr[a] = seccomp_bpf_syscall_number((enum seccomp_bpf_arch)a, name)) >= 0;
	for (size_t i = 0; i < seccomp_bpf_n_multiplexed; i++)
		if (strcmp(seccomp_bpf_multiplexed[i].name, name) == 0) {
			r.mux_nr =
			    seccomp_bpf_syscall_number(SECCOMP_BPF_X86, seccomp_bpf_multiplexed[i].via);
			r.mux_call = seccomp_bpf_multiplexed[i].call;
			known |= r.mux_nr >= 0;
		}
	if (!known)
		return -ENOENT;
	/* The names of one entry share its conditions. */
	const struct rule *last = b->n_rules ? &b->rules[b->n_rules - 1] : NULL;
	if (last && last->n_conds == n && (n == 0 || same_conds(&b->conds[last->cond_off], conds, n))) {
		r.cond_off = last->cond_off;
	} else {
		if (grow((void **)&b->conds, &b->cap_conds, b->n_conds + n, sizeof(*conds)) < 0)
			return -ENOMEM;
		if (n)
			memcpy(&b->conds[b->n_conds], conds, n * sizeof(*conds));
		r.cond_off = b->n_conds;
		b->n_conds += n;
	}
	if (grow((void **)&b->rules, &b->cap_rules, b->n_rules + 1, sizeof(r)) < 0)
		return -ENOMEM;
	b->rules[b->n_rules++] = r;
	return 0;
}

/* ---- Code generation ---------------------------------------------------
 * The program is first built from instructions whose jump targets are
 * labels; a last pass lays it out, and turns each conditional jump that
 * reaches further than its 8-bit offsets into a short one to unconditional
 * jumps (32-bit offsets) right behind it. All jumps go forward. */

#define NEXT (-1) /* jump target: the following instruction */

/* A call of an architecture the filter does not list: libseccomp's default
 * (SCMP_ACT_KILL), which the runtime never changed. */
#define BAD_ARCH_ACTION SECCOMP_RET_KILL_THREAD

struct ir {
	uint16_t code;
	uint32_t k;
	int jt, jf; /* labels or NEXT; JA's target is jt */
};

struct gen {
	struct ir *v;
	size_t n, cap;
	size_t *labels; /* label → index of the instruction it stands before */
	size_t n_labels, cap_labels;
	int err;
};

static void emit(struct gen *g, uint16_t code, uint32_t k, int jt, int jf)
{
	if (g->err)
		return;
	/* Every instruction here is at least one in the program. */
	if (g->n >= SECCOMP_BPF_MAX_INSNS) {
		g->err = -E2BIG;
		return;
	}
	if (grow((void **)&g->v, &g->cap, g->n + 1, sizeof(*g->v)) < 0) {
		g->err = -ENOMEM;
		return;
	}
	g->v[g->n++] = (struct ir){code, k, jt, jf};
}

static int new_label(struct gen *g)
{
	if (g->err)
		return 0;
	if (grow((void **)&g->labels, &g->cap_labels, g->n_labels + 1, sizeof(*g->labels)) < 0) {
		g->err = -ENOMEM;
		return 0;
	}
	g->labels[g->n_labels] = SIZE_MAX; /* not placed yet */
	return (int)g->n_labels++;
}

static void place(struct gen *g, int label)
{
	if (!g->err)
		g->labels[label] = g->n;
}

static void load(struct gen *g, uint32_t offset)
{
	emit(g, BPF_LD | BPF_W | BPF_ABS, offset, NEXT, NEXT);
}

static void ret(struct gen *g, uint32_t action)
{
	emit(g, BPF_RET | BPF_K, action, NEXT, NEXT);
}

static void jump(struct gen *g, uint16_t op, uint32_t k, int jt, int jf)
{
	emit(g, BPF_JMP | op | BPF_K, k, jt, jf);
}

#define ARG_LO(i) ((uint32_t)(offsetof(struct seccomp_data, args) + 8 * (i)))
#define ARG_HI(i) (ARG_LO(i) + 4) /* x86 is little-endian */

/* Falls through when c holds, jumps to fail when not. */
static void emit_cond(struct gen *g, const struct seccomp_bpf_cond *c, bool is32, int fail)
{
	int pass = new_label(g);
	uint32_t lo = (uint32_t)c->value, hi = (uint32_t)(c->value >> 32);
	/* MASKED_EQ compares with the masked value (libseccomp's reading: a
	 * value with bits outside the mask would otherwise never match). */
	uint64_t two = c->op == SECCOMP_BPF_MASKED_EQ ? c->value_two & c->value : c->value_two;
	uint32_t lo2 = (uint32_t)two, hi2 = (uint32_t)(two >> 32);
	/* 64 bits: the high halves decide unless they are equal. */
	if (!is32) {
		load(g, ARG_HI(c->arg));
		switch (c->op) {
		case SECCOMP_BPF_EQ:
			jump(g, BPF_JEQ, hi, NEXT, fail);
			break;
		case SECCOMP_BPF_NE:
			jump(g, BPF_JEQ, hi, NEXT, pass);
			break;
		case SECCOMP_BPF_GT:
		case SECCOMP_BPF_GE:
			jump(g, BPF_JGT, hi, pass, NEXT);
			jump(g, BPF_JEQ, hi, NEXT, fail);
			break;
		case SECCOMP_BPF_LT:
		case SECCOMP_BPF_LE:
			jump(g, BPF_JGT, hi, fail, NEXT);
			jump(g, BPF_JEQ, hi, NEXT, pass);
			break;
		case SECCOMP_BPF_MASKED_EQ:
			emit(g, BPF_ALU | BPF_AND | BPF_K, hi, NEXT, NEXT);
			jump(g, BPF_JEQ, hi2, NEXT, fail);
			break;
		default:
			g->err = -EINVAL;
			return;
		}
	}
	load(g, ARG_LO(c->arg));
	switch (c->op) {
	case SECCOMP_BPF_EQ:
		jump(g, BPF_JEQ, lo, pass, fail);
		break;
	case SECCOMP_BPF_NE:
		jump(g, BPF_JEQ, lo, fail, pass);
		break;
	case SECCOMP_BPF_GT:
		jump(g, BPF_JGT, lo, pass, fail);
		break;
	case SECCOMP_BPF_GE:
		jump(g, BPF_JGE, lo, pass, fail);
		break;
	case SECCOMP_BPF_LT:
		jump(g, BPF_JGE, lo, fail, pass);
		break;
	case SECCOMP_BPF_LE:
		jump(g, BPF_JGT, lo, fail, pass);
		break;
	case SECCOMP_BPF_MASKED_EQ:
		emit(g, BPF_ALU | BPF_AND | BPF_K, lo, NEXT, NEXT);
		jump(g, BPF_JEQ, lo2, pass, fail);
		break;
	default:
		g->err = -EINVAL;
		return;
	}
	place(g, pass);
}

/* One rule as it applies to one system call number of one architecture. */
struct entry {
	uint32_t nr;
	uint32_t action;
	size_t order;
	const struct seccomp_bpf_cond *conds;
	size_t n_conds;
	bool mux; /* on x86's socketcall or ipc, for call mux_call */
	uint32_t mux_call;
};

/* The kernel's ranking of actions: a lower value (as signed) goes first. */
static int32_t rank(uint32_t action)
{
	return (int32_t)(action & SECCOMP_RET_ACTION_FULL);
}

static int cmp_entry(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;
	if (a->nr != b->nr)
		return a->nr < b->nr ? -1 : 1;
	if (rank(a->action) != rank(b->action))
		return rank(a->action) < rank(b->action) ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* The rules of one system call, in the order they are tried. */
struct group {
	const struct entry *e;
	size_t n;
};

static bool catch_all(const struct entry *e)
{
	return e->n_conds == 0 && !e->mux;
}

static bool group_constant(const struct group *s)
{
	return s->n == 1 && catch_all(&s->e[0]);
}

/* The rules of one system call: each in turn, the first that holds decides,
 * else the default. */
static void emit_handler(struct gen *g, const struct group *s, bool is32, uint32_t def)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct entry *e = &s->e[i];
		int fail = new_label(g);
		/* Through a multiplexer, the first argument is the call's
		 * number; the conditions on the call's own first argument
		 * cannot be checked, those on the others are (libseccomp's
		 * reading, even though they meet the multiplexer's arguments). */
		if (e->mux)
			emit_cond(
			    g,
			    &(struct seccomp_bpf_cond){.arg = 0, .op = SECCOMP_BPF_EQ, .value = e->mux_call},
			    is32, fail);
		for (size_t c = 0; c < e->n_conds; c++)
			if (!e->mux || e->conds[c].arg != 0)
				emit_cond(g, &e->conds[c], is32, fail);
		ret(g, e->action);
		place(g, fail);
	}
	ret(g, def);
}

/* Groups lo..hi-1 (sorted by number; the number is in A): a binary search
 * down to runs of a few comparisons, each followed by its handlers. */
#define RUN 8
static void emit_range(struct gen *g, const struct group *s, size_t lo, size_t hi, bool is32, uint32_t def)
{
	if (hi - lo > RUN) {
		size_t mid = lo + (hi - lo) / 2;
		int right = new_label(g);
		jump(g, BPF_JGE, s[mid].e[0].nr, right, NEXT);
		emit_range(g, s, lo, mid, is32, def);
		place(g, right);
		emit_range(g, s, mid, hi, is32, def);
		return;
	}
	int target[RUN];
	for (size_t i = lo; i < hi; i++) {
		target[i - lo] = -1;
		/* Constant answers share their return. */
		for (size_t j = lo; j < i && group_constant(&s[i]); j++)
			if (group_constant(&s[j]) && s[j].e[0].action == s[i].e[0].action) {
				target[i - lo] = target[j - lo];
				break;
			}
		if (target[i - lo] < 0)
			target[i - lo] = new_label(g);
		jump(g, BPF_JEQ, s[i].e[0].nr, target[i - lo], NEXT);
	}
	ret(g, def);
	for (size_t i = lo; i < hi; i++) {
		bool shared = false;
		for (size_t j = lo; j < i; j++)
			shared |= target[j - lo] == target[i - lo];
		if (shared)
			continue;
		place(g, target[i - lo]);
		emit_handler(g, &s[i], is32, def);
	}
}

/* The sorted entries of one architecture, cut into groups. Rules after one
 * without conditions are never reached, and trailing rules with the default
 * action change nothing: both are left out. */
static int make_groups(const struct entry *e, size_t n, uint32_t def, struct group **out, size_t *n_out)
{
	_cleanup_free_ struct group *s = calloc(n ? n : 1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && e[j].nr == e[i].nr)
			j++;
		size_t len = 0;
		while (i + len < j && (len == 0 || !catch_all(&e[i + len - 1])))
			len++;
		while (len > 0 && e[i + len - 1].action == def)
			len--;
		if (len)
			s[k++] = (struct group){&e[i], len};
		i = j;
	}
	*out = TAKE_PTR(s);
	*n_out = k;
	return 0;
}

static int arch_entries(const struct seccomp_bpf *b, enum seccomp_bpf_arch a, struct entry **out,
			size_t *n_out)
{
	_cleanup_free_ struct entry *e = calloc(2 * b->n_rules + 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < b->n_rules; i++) {
		const struct rule *r = &b->rules[i];
		if (r->nr[a] >= 0)
			e[n++] = (struct entry){.nr = (uint32_t)r->nr[a],
						.action = r->action,
						.order = i,
						.conds = r->n_conds ? &b->conds[r->cond_off] : NULL,
						.n_conds = r->n_conds};
		if (a == SECCOMP_BPF_X86 && r->mux_nr >= 0)
			e[n++] = (struct entry){.nr = (uint32_t)r->mux_nr,
						.action = r->action,
						.order = i,
						.conds = r->n_conds ? &b->conds[r->cond_off] : NULL,
						.n_conds = r->n_conds,
						.mux = true,
						.mux_call = r->mux_call};
	}
	qsort(e, n, sizeof(*e), cmp_entry);
	*out = TAKE_PTR(e);
	*n_out = n;
	return 0;
}

/* One architecture's system calls, the number in A. */
static int emit_arch(struct gen *g, const struct seccomp_bpf *b, enum seccomp_bpf_arch a)
{
	_cleanup_free_ struct entry *e = NULL;
	_cleanup_free_ struct group *s = NULL;
	size_t n = 0, k = 0;
	int r = arch_entries(b, a, &e, &n);
	if (r < 0 || (r = make_groups(e, n, b->def, &s, &k)) < 0)
		return r;
	if (k == 0)
		ret(g, b->def);
	else
		emit_range(g, s, 0, k, archs[a].is32, b->def);
	return g->err;
}

static bool is_cond_jump(uint16_t code)
{
	return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA;
}

/* Lay the program out and encode it. */
static int assemble(const struct gen *g, struct sock_filter **prog, size_t *len)
{
	_cleanup_free_ size_t *pos = calloc(g->n + 1, sizeof(*pos));
	_cleanup_free_ bool *far = calloc(g->n + 1, sizeof(*far));
	if (!pos || !far)
		return -ENOMEM;
	for (size_t i = 0; i < g->n; i++)
		if (BPF_CLASS(g->v[i].code) == BPF_JMP &&
		    ((g->v[i].jt != NEXT && g->labels[g->v[i].jt] > g->n) ||
		     (g->v[i].jf != NEXT && g->labels[g->v[i].jf] > g->n)))
			return -EINVAL; /* a label never placed: a bug */
#define TARGET(i, l) ((l) == NEXT ? (i) + 1 : g->labels[l])
	for (bool changed = true; changed;) {
		changed = false;
		for (size_t i = 0; i < g->n; i++)
			pos[i + 1] = pos[i] + (far[i] ? 3 : 1);
		if (pos[g->n] > SECCOMP_BPF_MAX_INSNS)
			return -E2BIG;
		for (size_t i = 0; i < g->n; i++) {
			if (far[i] || !is_cond_jump(g->v[i].code))
				continue;
			size_t t = pos[TARGET(i, g->v[i].jt)], f = pos[TARGET(i, g->v[i].jf)];
			if (t - pos[i] - 1 > 255 || f - pos[i] - 1 > 255)
				changed = far[i] = true;
		}
	}
	_cleanup_free_ struct sock_filter *out = calloc(pos[g->n], sizeof(*out));
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < g->n; i++) {
		const struct ir *x = &g->v[i];
		struct sock_filter *o = &out[pos[i]];
		size_t at = pos[i] + 1;
		if (BPF_CLASS(x->code) != BPF_JMP) {
			*o = (struct sock_filter)BPF_STMT(x->code, x->k);
			continue;
		}
		size_t t = TARGET(i, x->jt), f = TARGET(i, x->jf);
		if (t > g->n || f > g->n || pos[t] < at || pos[f] < at)
			return -EINVAL; /* a label not placed, or a backward jump: a bug */
		if (BPF_OP(x->code) == BPF_JA)
			*o = (struct sock_filter)BPF_STMT(x->code, (uint32_t)(pos[t] - at));
		else if (!far[i])
			*o = (struct sock_filter)BPF_JUMP(x->code, x->k, (uint8_t)(pos[t] - at),
							  (uint8_t)(pos[f] - at));
		else {
			o[0] = (struct sock_filter)BPF_JUMP(x->code, x->k, 0, 1);
			o[1] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, (uint32_t)(pos[t] - at - 1));
			o[2] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, (uint32_t)(pos[f] - at - 2));
		}
	}
#undef TARGET
	*len = pos[g->n];
	*prog = TAKE_PTR(out);
	return 0;
}

int seccomp_bpf_generate(const struct seccomp_bpf *b, struct sock_filter **prog, size_t *len)
{
	if (!SECCOMP_SYSCALLS_HOST)
		return -ENOTSUP;
	struct gen g = {0};
	int l64 = new_label(&g), l32 = new_label(&g), l86 = new_label(&g);
	load(&g, offsetof(struct seccomp_data, arch));
	/* x86_64 and x32 share an audit architecture; the x32 bit of the
	 * number tells them apart. */
	jump(&g, BPF_JEQ, AUDIT_ARCH_X86_64, l64, NEXT);
	if (b->arch[SECCOMP_BPF_X86])
		jump(&g, BPF_JEQ, AUDIT_ARCH_I386, l86, NEXT);
	ret(&g, BAD_ARCH_ACTION);

	place(&g, l64);
	load(&g, offsetof(struct seccomp_data, nr));
	/* -1 is no x32 call but one a tracer skipped (the kernel asks the
	 * filter again after the tracer): the x86_64 rules answer, as with
	 * libseccomp. */
	int native = new_label(&g);
	jump(&g, BPF_JEQ, UINT32_MAX, native, NEXT);
	jump(&g, BPF_JGE, SECCOMP_X32_SYSCALL_BIT, l32, NEXT);
	place(&g, native);
	int r = emit_arch(&g, b, SECCOMP_BPF_X86_64);
	place(&g, l32);
	if (r == 0 && b->arch[SECCOMP_BPF_X32])
		r = emit_arch(&g, b, SECCOMP_BPF_X32);
	else
		ret(&g, BAD_ARCH_ACTION);
	if (r == 0 && b->arch[SECCOMP_BPF_X86]) {
		place(&g, l86);
		load(&g, offsetof(struct seccomp_data, nr));
		r = emit_arch(&g, b, SECCOMP_BPF_X86);
	}
	if (r == 0)
		r = g.err;
	if (r == 0)
		r = assemble(&g, prog, len);
	free(g.v);
	free(g.labels);
	return r;
}
