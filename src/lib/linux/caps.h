/* Capabilities: the five sets of process.capabilities, turned into bitmasks by
 * the parent and applied by the child around its change of user, so that a
 * process keeps exactly the capabilities the config lists. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "spec/config.h"
#include "sync.h"

struct caps_plan {
	bool set;                    /* false: process.capabilities absent, leave them as they are */
	uint64_t sets[OCI_CAP_SETS]; /* bit n = capability n */
	int last_cap;                /* highest capability this kernel knows */
};

/* Number of a capability name ("CAP_SYS_ADMIN"), or -1. */
int caps_from_name(const char *name);
/* Name of capability n, or NULL. */
const char *caps_name(int n);
/* Highest capability number this build knows. */
int caps_known_last(void);

/* The running kernel's highest capability (/proc/sys/kernel/cap_last_cap). */
int caps_kernel_last(void);

/* Parent: parse the sets of p (where names it in messages). Unknown names are
 * an error; names newer than the running kernel are skipped with a warning. */
int caps_plan_build(const struct oci_process *p, const char *where, struct caps_plan *out, cell_error **err);

/* Child, before the change of user: drop what the bounding set excludes and
 * keep permitted capabilities across setuid(). */
int caps_prepare(const struct caps_plan *c, struct init_error *e);

/* Child, after the change of user: set effective, permitted, inheritable and
 * ambient. */
int caps_apply(const struct caps_plan *c, struct init_error *e);
