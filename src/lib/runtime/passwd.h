/* Lookups in a container's /etc/passwd, for what the runtime fills in
 * before the process starts (HOME). */
#pragma once

#include <sys/types.h>

/* The home directory of uid in the /etc/passwd of the tree rootfd (resolved
 * inside it), or "/" when there is no such file or user. A new string; NULL
 * only when out of memory. */
char *passwd_home(int rootfd, uid_t uid);
