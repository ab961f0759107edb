#include <stdlib.h>

#include "runtime/control.h"
#include "tap.h"

static const char *const ps_ef = "UID          PID    PPID  C STIME TTY          TIME CMD\n"
				 "root           1       0  0 10:00 ?        00:00:01 /sbin/init\n"
				 "root         200       1  0 10:00 ?        00:00:00 sh -c sleep 1000\n"
				 "root         201     200  0 10:00 ?        00:00:00 sleep 1000\n"
				 "root        2000       1  0 10:00 ?        00:00:00 other 200\n";

TEST(ps_filter_keeps_the_header_and_the_containers_processes)
{
	pid_t pids[] = {200, 201};
	_cleanup_free_ char *out = NULL;
	ASSERT_EQ(0, runtime_ps_filter(ps_ef, pids, 2, &out, NULL));
	ASSERT_STREQ("UID          PID    PPID  C STIME TTY          TIME CMD\n"
		     "root         200       1  0 10:00 ?        00:00:00 sh -c sleep 1000\n"
		     "root         201     200  0 10:00 ?        00:00:00 sleep 1000\n",
		     out);
}

TEST(ps_filter_finds_the_pid_column_anywhere)
{
	pid_t pids[] = {7};
	_cleanup_free_ char *out = NULL;
	ASSERT_EQ(0, runtime_ps_filter("COMMAND PID\nsh 7\nsh 8\n", pids, 1, &out, NULL));
	ASSERT_STREQ("COMMAND PID\nsh 7\n", out);
}

TEST(ps_filter_needs_a_pid_column)
{
	_cleanup_free_ char *out = NULL;
	_cleanup_error_ cell_error *err = NULL;
	pid_t pids[] = {1};
	ASSERT_TRUE(runtime_ps_filter("USER COMMAND\nroot init\n", pids, 1, &out, &err) < 0);
	ASSERT_CONTAINS(err->msg, "no PID column");
}
