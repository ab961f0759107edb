/* A container's processes seen from the host: identity that survives pid
 * reuse (pid + start time), pidfds, liveness, signals and waiting. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "base/error.h"

/* Start time of pid in clock ticks since boot (field 22 of /proc/PID/stat)
 * and its state letter. Returns 0 or a negative errno (-ESRCH when gone). */
int pid_stat(pid_t pid, unsigned long long *start_time, char *state);

/* A pidfd for pid, only if it is still the process that started at
 * start_time (0: do not check). Returns the fd or -ESRCH. */
int pid_open(pid_t pid, unsigned long long start_time);

/* True if the process behind pidfd has exited (it may still be a zombie). */
bool pidfd_exited(int pidfd);

/* Wait up to timeout_ms for the process behind pidfd to exit; -ETIMEDOUT. */
int pidfd_wait_exit(int pidfd, int timeout_ms);

int pidfd_signal(int pidfd, int sig);

/* Write pid to path (--pid-file) atomically, relative to the current
 * directory when path is relative. */
int pid_file_write(const char *path, pid_t pid, cell_error **err);
