#include "dynlib/seccomp.h"

#include "dynlib/dynlib.h"

DYNLIB_DEFINE(seccomp, "libseccomp.so.2", DYNLIB_SECCOMP_FUNCS)
