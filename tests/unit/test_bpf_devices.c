#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/bpf_devices.h"
#include "tap.h"

static const struct cgroup_device_rule rules[] = {
    {false, 'a', -1, -1, CGROUP_DEV_ALL},  {true, 'c', 1, 3, CGROUP_DEV_ALL},
    {true, 'c', 1, 5, CGROUP_DEV_READ},    {true, 'c', 136, -1, CGROUP_DEV_ALL},
    {true, 'b', -1, -1, CGROUP_DEV_MKNOD}, {false, 'c', 136, 7, CGROUP_DEV_WRITE},
};

static int eval(char type, uint32_t major, uint32_t minor, unsigned access)
{
	_cleanup_free_ struct bpf_insn *p = NULL;
	size_t n = 0;
	if (bpf_devices_build(rules, ARRAY_SIZE(rules), &p, &n, NULL) < 0)
		return -1;
	return bpf_devices_eval(p, n, type, major, minor, access);
}

TEST(the_last_matching_rule_decides)
{
	ASSERT_EQ(1, eval('c', 1, 3, CGROUP_DEV_READ | CGROUP_DEV_WRITE));
	ASSERT_EQ(1, eval('c', 1, 5, CGROUP_DEV_READ));
	ASSERT_EQ(0, eval('c', 1, 5, CGROUP_DEV_WRITE));
	ASSERT_EQ(1, eval('c', 136, 2, CGROUP_DEV_WRITE));
	ASSERT_EQ(0, eval('c', 136, 7, CGROUP_DEV_WRITE));
	ASSERT_EQ(1, eval('c', 136, 7, CGROUP_DEV_READ));
	ASSERT_EQ(1, eval('b', 8, 0, CGROUP_DEV_MKNOD));
	ASSERT_EQ(0, eval('b', 8, 0, CGROUP_DEV_READ));
	ASSERT_EQ(0, eval('c', 1, 11, CGROUP_DEV_WRITE));
}

TEST(nothing_matching_denies_and_an_allow_all_allows)
{
	struct cgroup_device_rule one[] = {{true, 'c', 10, 200, CGROUP_DEV_ALL}};
	_cleanup_free_ struct bpf_insn *p = NULL;
	size_t n = 0;
	ASSERT_EQ(0, bpf_devices_build(one, 1, &p, &n, NULL));
	ASSERT_EQ(0, bpf_devices_eval(p, n, 'c', 1, 3, CGROUP_DEV_READ));
	ASSERT_EQ(1, bpf_devices_eval(p, n, 'c', 10, 200, CGROUP_DEV_READ));
	struct cgroup_device_rule all[] = {{false, 'c', 1, 3, CGROUP_DEV_ALL},
					   {true, 'a', -1, -1, CGROUP_DEV_ALL}};
	_cleanup_free_ struct bpf_insn *q = NULL;
	ASSERT_EQ(0, bpf_devices_build(all, 2, &q, &n, NULL));
	ASSERT_EQ(1, bpf_devices_eval(q, n, 'c', 1, 3, CGROUP_DEV_READ));
	/* nothing after the allow-all rule: the verifier refuses dead code */
	ASSERT_EQ(BPF_JMP | BPF_EXIT, q[n - 1].code);
	ASSERT_EQ(BPF_ALU64 | BPF_MOV | BPF_K, q[n - 2].code);
	ASSERT_EQ(1, q[n - 2].imm);
}

TEST(majors_above_2_to_the_31)
{
	struct cgroup_device_rule big[] = {{true, 'c', 4000000000LL, 1, CGROUP_DEV_ALL}};
	_cleanup_free_ struct bpf_insn *p = NULL;
	size_t n = 0;
	ASSERT_EQ(0, bpf_devices_build(big, 1, &p, &n, NULL));
	ASSERT_EQ(1, bpf_devices_eval(p, n, 'c', 4000000000U, 1, CGROUP_DEV_READ));
	ASSERT_EQ(0, bpf_devices_eval(p, n, 'c', 4000000001U, 1, CGROUP_DEV_READ));
}

/* The kernel's own verdict: a cgroup2 directory with the program attached,
 * a child process in it opening device nodes. Needs root and a cgroup2
 * mount (pure v2, or a hybrid host's unified one). */
static const char *unified_mount(void)
{
	static const char *const candidates[] = {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"};
	for (size_t i = 0; i < ARRAY_SIZE(candidates); i++) {
		char p[256];
		snprintf(p, sizeof(p), "%s/cgroup.controllers", candidates[i]);
		if (access(p, F_OK) == 0)
			return candidates[i];
	}
	return NULL;
}

static int open_in_cgroup(const char *dir, const char *dev)
{
	pid_t pid = fork();
	if (pid == 0) {
		char procs[512], me[32];
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
		snprintf(me, sizeof(me), "%d", (int)getpid());
		int fd = open(procs, O_WRONLY);
		if (fd < 0 || write(fd, me, strlen(me)) < 0)
			_exit(100);
		close(fd);
		fd = open(dev, O_RDONLY);
		_exit(fd >= 0 ? 0 : errno == EPERM ? 1 : 2);
	}
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(the_kernel_enforces_the_program)
{
	const char *mnt = unified_mount();
	if (geteuid() != 0 || !mnt)
		TAP_SKIP("needs root and a cgroup2 mount");
	char dir[256];
	snprintf(dir, sizeof(dir), "%s/cell-test-bpf-%d", mnt, (int)getpid());
	ASSERT_EQ(0, mkdir(dir, 0755));
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_TRUE(fd >= 0);
	struct cgroup_device_rule only_null[] = {{false, 'a', -1, -1, CGROUP_DEV_ALL},
						 {true, 'c', 1, 3, CGROUP_DEV_ALL}};
	_cleanup_error_ cell_error *err = NULL;
	int r = bpf_devices_apply(fd, dir, only_null, 2, &err);
	int null_rc = r == 0 ? open_in_cgroup(dir, "/dev/null") : -1;
	int zero_rc = r == 0 ? open_in_cgroup(dir, "/dev/zero") : -1;
	/* Replacing the rules: the old program goes, the new one holds. */
	struct cgroup_device_rule only_zero[] = {{false, 'a', -1, -1, CGROUP_DEV_ALL},
						 {true, 'c', 1, 5, CGROUP_DEV_ALL}};
	int r2 = r == 0 ? bpf_devices_apply(fd, dir, only_zero, 2, &err) : -1;
	int null_rc2 = r2 == 0 ? open_in_cgroup(dir, "/dev/null") : -1;
	int zero_rc2 = r2 == 0 ? open_in_cgroup(dir, "/dev/zero") : -1;
	close(fd);
	rmdir(dir);
	if (r < 0)
		tap_fail(__FILE__, __LINE__, "%s", err ? err->msg : "apply failed");
	ASSERT_EQ(0, null_rc);
	ASSERT_EQ(1, zero_rc);
	ASSERT_EQ(0, r2);
	ASSERT_EQ(1, null_rc2);
	ASSERT_EQ(0, zero_rc2);
}
