/* Signal names as users and configs write them: "KILL", "SIGKILL", "kill",
 * "9", "RTMIN+3", "SIGRTMAX-1". One table for the runtime and the engine,
 * independent of the C library (musl has no sigabbrev_np, and its SIGRTMIN
 * is 35 where glibc's is 34). */
#pragma once

/* The real-time signals are numbered as glibc, runc and crun number them:
 * RTMIN is 34 (32 and 33 belong to the threads implementation), RTMAX 64. */
#define SIGNAL_RTMIN 34
#define SIGNAL_RTMAX 64

/* The signal number name stands for; -EINVAL when it names none. */
int signal_parse(const char *name);
