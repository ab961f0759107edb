#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/json.h"
#include "linux/seccomp.h"
#include "spec/config.h"
#include "tap.h"

/* Compile a linux.seccomp object given as JSON text; returns the result and
 * leaves the message in msg (empty on success). */
static int compile(const char *text, char *msg, size_t len)
{
	json_t *j = NULL;
	_cleanup_error_ cell_error *err = NULL;
	msg[0] = '\0';
	if (json_load_buffer(text, strlen(text), "test", &j, &err) < 0) {
		snprintf(msg, len, "%s", err->msg);
		return -EINVAL;
	}
	struct seccomp_filter f;
	int r = seccomp_compile(j, "linux.seccomp", &f, &err);
	json_decref(j);
	if (r < 0)
		snprintf(msg, len, "%s", err->msg);
	else
		seccomp_filter_free(&f);
	return r;
}

#define ASSERT_COMPILES(text)                                                                                \
	do {                                                                                                 \
		char m_[1024];                                                                               \
		int r_ = compile(text, m_, sizeof(m_));                                                      \
		if (r_ < 0)                                                                                  \
			tap_fail(__FILE__, __LINE__, "compile failed: %s", m_);                              \
	} while (0)

#define ASSERT_REFUSED(text, needle)                                                                         \
	do {                                                                                                 \
		char m_[1024];                                                                               \
		ASSERT_TRUE(compile(text, m_, sizeof(m_)) < 0);                                              \
		ASSERT_CONTAINS(m_, needle);                                                                 \
	} while (0)

TEST(compiles_every_action)
{
	const char *acts[] = {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
			      "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
			      "SCMP_ACT_LOG",  "SCMP_ACT_NOTIFY"};
	for (size_t i = 0; i < ARRAY_SIZE(acts); i++) {
		char text[256];
		snprintf(text, sizeof(text),
			 "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getcwd\"],"
			 "\"action\":\"%s\"}]}",
			 acts[i]);
		ASSERT_COMPILES(text);
	}
	ASSERT_COMPILES("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38}");
	ASSERT_COMPILES("{\"defaultAction\":\"SCMP_ACT_LOG\"}");
}

TEST(compiles_every_operator)
{
	const char *ops[] = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",       "SCMP_CMP_EQ",
			     "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		char text[512];
		snprintf(text, sizeof(text),
			 "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"personality\"],"
			 "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":255,\"valueTwo\":8,"
			 "\"op\":\"%s\"}]}]}",
			 ops[i]);
		ASSERT_COMPILES(text);
	}
	/* The same argument twice: separate rules, as runc makes them. */
	ASSERT_COMPILES(
	    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"personality\"],"
	    "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
	    "{\"index\":0,\"value\":2,\"op\":\"SCMP_CMP_EQ\"}]}]}");
}

TEST(unknown_syscalls_are_skipped)
{
	ASSERT_COMPILES("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"no_such_call\","
			"\"getcwd\"],\"action\":\"SCMP_ACT_ERRNO\"}]}");
}

TEST(rejects_with_the_json_path)
{
	ASSERT_REFUSED("{\"defaultAction\":\"SCMP_ACT_FOO\"}",
		       "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_FOO\"");
	ASSERT_REFUSED("{}", "linux.seccomp.defaultAction: missing");
	ASSERT_REFUSED("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getcwd\"],"
		       "\"action\":\"SCMP_ACT_BOGUS\"}]}",
		       "linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_BOGUS\"");
	ASSERT_REFUSED("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getcwd\"],"
		       "\"action\":\"SCMP_ACT_ALLOW\",\"errnoRet\":1}]}",
		       "linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_ALLOW takes no errno");
	ASSERT_REFUSED("{\"defaultAction\":\"SCMP_ACT_KILL\",\"defaultErrnoRet\":1}",
		       "linux.seccomp.defaultErrnoRet: SCMP_ACT_KILL takes no errno");
	ASSERT_REFUSED("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getcwd\"],"
		       "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":5000}]}",
		       "is not an errno");
	ASSERT_REFUSED("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[],"
		       "\"action\":\"SCMP_ACT_ERRNO\"}]}",
		       "syscalls[0].names: must name at least one system call");
	ASSERT_REFUSED(
	    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getcwd\"],"
	    "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
	    "syscalls[0].args[0].index: must be an integer from 0 to 5");
	ASSERT_REFUSED(
	    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getcwd\"],"
	    "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_XX\"}]}]}",
	    "syscalls[0].args[0].op: unknown operator \"SCMP_CMP_XX\"");
	ASSERT_REFUSED("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_VAX\"]}",
		       "linux.seccomp.architectures[0]: unknown architecture \"SCMP_ARCH_VAX\"");
	ASSERT_REFUSED("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_NOPE\"]}",
		       "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_NOPE\"");
	ASSERT_REFUSED("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":{}}",
		       "linux.seccomp.syscalls: must be an array");
	ASSERT_REFUSED("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"personality\"],"
		       "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":18446744073709551000,"
		       "\"op\":\"SCMP_CMP_EQ\"}]}]}",
		       "cannot be read exactly");
}

TEST(architectures_and_flags)
{
	ASSERT_COMPILES("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\","
			"\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\","
			"\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\",\"SECCOMP_FILTER_FLAG_TSYNC\"],"
			"\"syscalls\":[{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_ERRNO\"}]}");
}

/* A config with this seccomp object, built into a plan. */
static int plan_for(const char *seccomp, struct seccomp_plan *plan, char *msg, size_t len)
{
	char text[4096];
	snprintf(text, sizeof(text),
		 "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"x\"],"
		 "\"cwd\":\"/\"},\"annotations\":{\"k\":\"v\"},\"linux\":{\"seccomp\":%s}}",
		 seccomp);
	json_t *j = NULL;
	_cleanup_error_ cell_error *err = NULL;
	msg[0] = '\0';
	if (json_load_buffer(text, strlen(text), "test", &j, &err) < 0) {
		snprintf(msg, len, "%s", err->msg);
		return -EINVAL;
	}
	_cleanup_config_ struct oci_config *c = NULL;
	int r = oci_config_parse(j, &c, &err);
	json_decref(j);
	if (r == 0)
		r = seccomp_plan_build(c, "{\"ociVersion\":\"1.2.0\",\"id\":\"t\",\"status\":\"creating\"}",
				       plan, &err);
	if (r < 0)
		snprintf(msg, len, "%s", err->msg);
	return r;
}

/* Fork, load the plan with no_new_privs, run fn; the child's wait status. */
static int run_filtered(struct seccomp_plan *plan, int (*fn)(void))
{
	pid_t pid = fork();
	if (pid == 0) {
		struct init_error e;
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (seccomp_plan_load(plan, getpid(), &e) < 0)
			_exit(200);
		_exit(fn());
	}
	int status = 0;
	waitpid(pid, &status, 0);
	return status;
}

static int try_getcwd(void)
{
	char buf[64];
	return syscall(SYS_getcwd, buf, sizeof(buf)) < 0 ? errno : 0;
}

TEST(denied_syscall_returns_the_configured_errno)
{
	struct seccomp_plan plan;
	char msg[1024];
	int r = plan_for("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getcwd\"],"
			 "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":42}]}",
			 &plan, msg, sizeof(msg));
	if (r < 0)
		tap_fail(__FILE__, __LINE__, "%s", msg);
	int status = run_filtered(&plan, try_getcwd);
	seccomp_plan_release(&plan);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(42, WEXITSTATUS(status));
}

TEST(kill_action_kills)
{
	struct seccomp_plan plan;
	char msg[1024];
	int r = plan_for("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getcwd\"],"
			 "\"action\":\"SCMP_ACT_KILL_PROCESS\"}]}",
			 &plan, msg, sizeof(msg));
	if (r < 0)
		tap_fail(__FILE__, __LINE__, "%s", msg);
	int status = run_filtered(&plan, try_getcwd);
	seccomp_plan_release(&plan);
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(SIGSYS, WTERMSIG(status));
}

TEST(argument_rules_match_only_their_values)
{
	struct seccomp_plan plan;
	char msg[1024];
	/* getcwd with a size argument of exactly 64 fails; others pass. */
	int r = plan_for("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getcwd\"],"
			 "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":7,\"args\":[{\"index\":1,\"value\":64,"
			 "\"op\":\"SCMP_CMP_EQ\"}]}]}",
			 &plan, msg, sizeof(msg));
	if (r < 0)
		tap_fail(__FILE__, __LINE__, "%s", msg);
	int status = run_filtered(&plan, try_getcwd);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(7, WEXITSTATUS(status));
	seccomp_plan_release(&plan);
	r = plan_for("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getcwd\"],"
		     "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":7,\"args\":[{\"index\":1,\"value\":65,"
		     "\"op\":\"SCMP_CMP_GE\"}]}]}",
		     &plan, msg, sizeof(msg));
	if (r < 0)
		tap_fail(__FILE__, __LINE__, "%s", msg);
	status = run_filtered(&plan, try_getcwd);
	seccomp_plan_release(&plan);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

TEST(plan_checks_listener_rules)
{
	struct seccomp_plan plan;
	char msg[1024];
	ASSERT_TRUE(plan_for("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getcwd\"],"
			     "\"action\":\"SCMP_ACT_NOTIFY\"}]}",
			     &plan, msg, sizeof(msg)) < 0);
	ASSERT_CONTAINS(msg, "SCMP_ACT_NOTIFY needs listenerPath");
	ASSERT_TRUE(plan_for("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerMetadata\":\"x\"}", &plan, msg,
			     sizeof(msg)) < 0);
	ASSERT_CONTAINS(msg, "listenerMetadata: given without listenerPath");
	ASSERT_TRUE(plan_for("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":"
			     "[\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"]}",
			     &plan, msg, sizeof(msg)) < 0);
	ASSERT_CONTAINS(msg, "needs an SCMP_ACT_NOTIFY rule");
	ASSERT_TRUE(plan_for("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/nonexistent/sock\","
			     "\"syscalls\":[{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
			     &plan, msg, sizeof(msg)) < 0);
	ASSERT_CONTAINS(msg, "linux.seccomp.listenerPath: connect to /nonexistent/sock");
	/* Without a notify rule the listener is ignored, as the spec says. */
	ASSERT_EQ(0, plan_for("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/nonexistent/sock\"}",
			      &plan, msg, sizeof(msg)));
	ASSERT_EQ(-1, plan.listener_fd);
	seccomp_plan_release(&plan);
}

static int try_getcwd_errno(void)
{
	return try_getcwd();
}

TEST(notify_hands_the_listener_fd_to_the_agent)
{
	char dir[] = "/tmp/cell-test-seccomp-XXXXXX", path[128], msg[1024];
	ASSERT_TRUE(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/agent.sock", dir);
	_cleanup_close_ int lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, path);
	ASSERT_EQ(0, bind(lsock, (struct sockaddr *)&sa, sizeof(sa)));
	ASSERT_EQ(0, listen(lsock, 1));

	char sc[512];
	snprintf(
	    sc, sizeof(sc),
	    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"%s\",\"listenerMetadata\":\"meta\","
	    "\"syscalls\":[{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
	    path);
	struct seccomp_plan plan;
	int r = plan_for(sc, &plan, msg, sizeof(msg));
	if (r < 0)
		tap_fail(__FILE__, __LINE__, "%s", msg);
	pid_t pid = fork();
	if (pid == 0) {
		struct init_error e;
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (seccomp_plan_load(&plan, 4242, &e) < 0)
			_exit(200);
		_exit(try_getcwd_errno());
	}
	seccomp_plan_release(&plan);

	_cleanup_close_ int conn = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_TRUE(conn >= 0);
	char buf[4096];
	union {
		char c[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf) - 1};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.c, .msg_controllen = sizeof(u.c)};
	ssize_t n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
	ASSERT_TRUE(n > 0);
	buf[n] = '\0';
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	ASSERT_TRUE(cm && cm->cmsg_type == SCM_RIGHTS);
	int nfd;
	memcpy(&nfd, CMSG_DATA(cm), sizeof(int));
	_cleanup_close_ int notify_fd = nfd;

	json_t *state = NULL;
	_cleanup_error_ cell_error *err = NULL;
	ASSERT_EQ(0, json_load_buffer(buf, (size_t)n, "state", &state, &err));
	ASSERT_STREQ("1.2.0", json_string_value(json_object_get(state, "ociVersion")));
	ASSERT_STREQ("seccompFd", json_string_value(json_array_get(json_object_get(state, "fds"), 0)));
	ASSERT_EQ(4242, json_integer_value(json_object_get(state, "pid")));
	ASSERT_STREQ("meta", json_string_value(json_object_get(state, "metadata")));
	json_t *inner = json_object_get(state, "state");
	ASSERT_STREQ("t", json_string_value(json_object_get(inner, "id")));
	ASSERT_EQ(4242, json_integer_value(json_object_get(inner, "pid")));
	json_decref(state);
	/* The connection ends after the one state. */
	ASSERT_EQ(0, read(conn, buf, sizeof(buf)));

	/* Answer the child's getcwd with an error of our choosing. */
	struct seccomp_notif req;
	memset(&req, 0, sizeof(req));
	ASSERT_EQ(0, ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_RECV, &req));
	ASSERT_EQ(pid, (pid_t)req.pid);
	struct seccomp_notif_resp resp = {.id = req.id, .error = -77};
	ASSERT_EQ(0, ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp));
	int status = 0;
	waitpid(pid, &status, 0);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(77, WEXITSTATUS(status));
	unlink(path);
	rmdir(dir);
}

TEST(load_before_caps_only_without_nnp_and_sys_admin)
{
	struct seccomp_plan p = {.set = true};
	ASSERT_TRUE(seccomp_load_before_caps(&p, false, 0));
	ASSERT_FALSE(seccomp_load_before_caps(&p, true, 0));
	ASSERT_FALSE(seccomp_load_before_caps(&p, false, 1ULL << 21));
	p.set = false;
	ASSERT_FALSE(seccomp_load_before_caps(&p, false, 0));
}
