/* The seccomp profile a container gets unless told otherwise, and profile
 * files for --security-opt seccomp=FILE.
 *
 * The default allows what ordinary programs use and refuses, with EPERM,
 * what reaches kernel state that namespaces do not isolate or that widens
 * the kernel's attack surface: loading modules and kernels, rebooting,
 * setting clocks, keyrings, BPF and perf, userfaultfd, io_uring, mounting
 * and the new mount API, swap, quotas, handles that escape a mount, new
 * user namespaces; each gated on the capability that makes the call
 * legitimate (a container granted CAP_SYS_TIME may set the clock). clone3
 * answers ENOSYS, so that C libraries fall back to clone, whose flags a
 * filter can see. */
#pragma once

#include <jansson.h>

#include "base/error.h"

/* linux.seccomp for a process whose bounding set is caps (CAP_ names,
 * NULL-terminated). A new object, NULL when out of memory. */
json_t *seccomp_profile_default(char *const *caps);

/* A profile file as linux.seccomp: either already in the OCI form, or in
 * Docker's (archMap, and rules with includes/excludes by capability and
 * architecture), made concrete for caps and this machine. what names the
 * file in messages. */
int seccomp_profile_from_file(const char *text, size_t len, const char *what, char *const *caps, json_t **out,
			      cell_error **err);
