/* seccomp_bpf: our seccomp filter compiler. Rules (an action for a system
 * call name, optionally under conditions on its arguments) become a classic
 * BPF program for seccomp(2), for the x86 architectures: x86_64, x86 (i386)
 * and x32, each with its own section, as the kernel tells them apart
 * (seccomp_data.arch, and the x32 bit of the number). The system call
 * numbers come from tables generated at build time from the kernel headers
 * (gen-syscalls.sh). No JSON here: linux/seccomp.c reads linux.seccomp.
 *
 * What a filter returns for a call of an architecture it lists:
 *  - the rules of that system call whose conditions all hold are candidates
 *    (a rule without conditions always holds);
 *  - of these, the one whose action the kernel ranks first wins, as it would
 *    if each rule were a filter of its own (KILL_PROCESS, KILL_THREAD, TRAP,
 *    ERRNO, USER_NOTIF, TRACE, LOG, ALLOW); between equal actions, the rule
 *    added first;
 *  - no candidate: the default action.
 * A call of an architecture the filter does not list is killed
 * (SECCOMP_RET_KILL_THREAD, libseccomp's default for a bad architecture).
 * On the 32-bit architectures (x86, x32) arguments are compared on their low
 * 32 bits against the low 32 bits of the values, and on x86 a rule for a
 * call that socketcall(2) or ipc(2) multiplexes also matches the multiplexer
 * with that call's number as its first argument, and its conditions on the
 * other arguments checked against the multiplexer's (the call's own
 * arguments are in memory, out of a filter's reach): libseccomp's reading. */
#pragma once

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel refuses longer programs (BPF_MAXINSNS). */
#define SECCOMP_BPF_MAX_INSNS 4096

enum seccomp_bpf_arch {
	SECCOMP_BPF_X86_64,
	SECCOMP_BPF_X86,
	SECCOMP_BPF_X32,
	SECCOMP_BPF_ARCHS,
};

enum seccomp_bpf_op {
	SECCOMP_BPF_NE,
	SECCOMP_BPF_LT,
	SECCOMP_BPF_LE,
	SECCOMP_BPF_EQ,
	SECCOMP_BPF_GE,
	SECCOMP_BPF_GT,
	SECCOMP_BPF_MASKED_EQ, /* (arg & value) == (value_two & value) */
};

/* One condition on argument arg (0 to 5). */
struct seccomp_bpf_cond {
	unsigned int arg;
	enum seccomp_bpf_op op;
	uint64_t value;
	uint64_t value_two;
};

struct seccomp_bpf;

/* A filter of x86_64 (always there: the architecture of this machine) and
 * default_action, a full SECCOMP_RET_* value. NULL when out of memory. */
struct seccomp_bpf *seccomp_bpf_new(uint32_t default_action);
void seccomp_bpf_free(struct seccomp_bpf *b);

/* The spec's name of an architecture (SCMP_ARCH_X86_64, …): 1 and *out for
 * one we filter for; 0 for another architecture the spec names (a process
 * on this machine cannot make its system calls); -ENOENT for an unknown
 * name. */
int seccomp_bpf_arch_lookup(const char *name, enum seccomp_bpf_arch *out);
/* The spec's name of an architecture we filter for. */
const char *seccomp_bpf_arch_name(enum seccomp_bpf_arch a);
void seccomp_bpf_add_arch(struct seccomp_bpf *b, enum seccomp_bpf_arch a);

/* True when the build machine's tables are there (x86_64 builds). */
bool seccomp_bpf_supported(void);
/* The number of a system call on an architecture; -1 when it has none. */
int seccomp_bpf_syscall_number(enum seccomp_bpf_arch a, const char *name);

/* On x86, the socket and System V IPC calls can also be made through one
 * multiplexing call (via: socketcall or ipc) whose first argument says which
 * (call): a rule on name covers that form too. */
struct seccomp_bpf_mux {
	const char *name;
	const char *via;
	uint32_t call;
};
extern const struct seccomp_bpf_mux seccomp_bpf_multiplexed[];
extern const size_t seccomp_bpf_n_multiplexed;

/* Add a rule: action (a full SECCOMP_RET_* value) for the system call name
 * when all n conditions hold. The conditions are copied. -ENOENT: no x86
 * architecture knows the name (nothing added); -ENOMEM. */
int seccomp_bpf_add_rule(struct seccomp_bpf *b, uint32_t action, const char *name,
			 const struct seccomp_bpf_cond *conds, size_t n);

/* The program, malloc()ed. -E2BIG when it would be longer than
 * SECCOMP_BPF_MAX_INSNS; -ENOTSUP on a build without tables; -ENOMEM. */
int seccomp_bpf_generate(const struct seccomp_bpf *b, struct sock_filter **prog, size_t *len);
