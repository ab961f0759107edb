#include "signal.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Linux's numbers on x86 and arm; IOT, CLD and POLL are the old aliases
 * kill(1) also accepts. */
static const struct {
	const char *name;
	int sig;
} names[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT},     {"ILL", SIGILL},   {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT}, {"IOT", SIGABRT},      {"BUS", SIGBUS},       {"FPE", SIGFPE},   {"KILL", SIGKILL},
    {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},     {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},
    {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},     {"CLD", SIGCHLD},  {"CONT", SIGCONT},
    {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU}, {"URG", SIGURG},
    {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
    {"IO", SIGIO},     {"POLL", SIGIO},       {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

/* "+n" after RTMIN or "-n" after RTMAX: n is compared with the range's
 * width, never added first, so that a huge n cannot overflow. */
static int rt_offset(const char *s, char sign)
{
	if (s[0] != sign || s[1] < '0' || s[1] > '9')
		return -EINVAL;
	char *end;
	errno = 0;
	long n = strtol(s + 1, &end, 10);
	if (*end || errno || n > SIGNAL_RTMAX - SIGNAL_RTMIN)
		return -EINVAL;
	return (int)n;
}

int signal_parse(const char *name)
{
	if (!name || !*name)
		return -EINVAL;
	if (*name >= '0' && *name <= '9') {
		char *end;
		errno = 0;
		long n = strtol(name, &end, 10);
		return !*end && !errno && n > 0 && n <= SIGNAL_RTMAX ? (int)n : -EINVAL;
	}
	const char *s = strncasecmp(name, "SIG", 3) == 0 ? name + 3 : name;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i].name) == 0)
			return names[i].sig;
	if (strcasecmp(s, "RTMIN") == 0)
		return SIGNAL_RTMIN;
	if (strcasecmp(s, "RTMAX") == 0)
		return SIGNAL_RTMAX;
	int n;
	if (strncasecmp(s, "RTMIN", 5) == 0 && (n = rt_offset(s + 5, '+')) >= 0)
		return SIGNAL_RTMIN + n;
	if (strncasecmp(s, "RTMAX", 5) == 0 && (n = rt_offset(s + 5, '-')) >= 0)
		return SIGNAL_RTMAX - n;
	return -EINVAL;
}
