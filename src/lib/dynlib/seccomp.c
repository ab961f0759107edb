#include "dynlib/seccomp.h"

#include "dynlib/dynlib.h"

#define DYNLIB_NAME(f) #f,
static const char *const names[] = {DYNLIB_SECCOMP_FUNCS(DYNLIB_NAME)};
#undef DYNLIB_NAME
#define N_NAMES (sizeof(names) / sizeof(names[0]))

/* Filled through slots, in the order of the names; read through fns. */
static union {
	struct dynlib_seccomp fns;
	void *slots[N_NAMES];
} table;
static int loaded;

_Static_assert(sizeof(table.fns) == sizeof(table.slots), "one pointer per name");

const struct dynlib_seccomp *dynlib_seccomp(void)
{
	dynlib_once("libseccomp.so.2", names, table.slots, N_NAMES, &loaded);
	return &table.fns;
}
