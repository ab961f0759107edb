/* libseccomp: loaded on first use (dynlib/dynlib.h says why). Include this
 * instead of <seccomp.h>; calls read as usual. Only the runtime's parent
 * compiles filters; the container's init loads the compiled program with
 * the seccomp system call and never calls into the library (it could not
 * load it after the pivot). */
#pragma once

#include <seccomp.h>

#define DYNLIB_SECCOMP_FUNCS(X)                                                                              \
	X(seccomp_version)                                                                                   \
	X(seccomp_init)                                                                                      \
	X(seccomp_release)                                                                                   \
	X(seccomp_attr_set)                                                                                  \
	X(seccomp_arch_add)                                                                                  \
	X(seccomp_arch_resolve_name)                                                                         \
	X(seccomp_syscall_resolve_name)                                                                      \
	X(seccomp_rule_add_array)                                                                            \
	X(seccomp_export_bpf)

struct dynlib_seccomp {
#define DYNLIB_SLOT(f) __typeof__(f) *f;
	DYNLIB_SECCOMP_FUNCS(DYNLIB_SLOT)
#undef DYNLIB_SLOT
};

/* The loaded table; the first call loads libseccomp.so.2. */
const struct dynlib_seccomp *dynlib_seccomp(void);

#define seccomp_version              (dynlib_seccomp()->seccomp_version)
#define seccomp_init                 (dynlib_seccomp()->seccomp_init)
#define seccomp_release              (dynlib_seccomp()->seccomp_release)
#define seccomp_attr_set             (dynlib_seccomp()->seccomp_attr_set)
#define seccomp_arch_add             (dynlib_seccomp()->seccomp_arch_add)
#define seccomp_arch_resolve_name    (dynlib_seccomp()->seccomp_arch_resolve_name)
#define seccomp_syscall_resolve_name (dynlib_seccomp()->seccomp_syscall_resolve_name)
#define seccomp_rule_add_array       (dynlib_seccomp()->seccomp_rule_add_array)
#define seccomp_export_bpf           (dynlib_seccomp()->seccomp_export_bpf)
