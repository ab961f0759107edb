#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "linux/procfs.h"
#include "tap.h"

static bool is_procfs(int fd)
{
	struct statfs s;
	return fstatfs(fd, &s) == 0 && s.f_type == PROC_SUPER_MAGIC;
}

static void read_ostype(int procfd, char *buf, size_t len)
{
	_cleanup_close_ int fd = procfs_open_at(procfd, "sys/kernel/ostype", O_RDONLY);
	ASSERT_TRUE(fd >= 0);
	ASSERT_TRUE(is_procfs(fd));
	ssize_t n = read(fd, buf, len - 1);
	ASSERT_TRUE(n > 0);
	buf[n] = '\0';
}

TEST(private_instance_reads_the_real_files)
{
	_cleanup_close_ int p = procfs_open_private();
	if (p == -ENOSYS)
		TAP_SKIP("no new mount API");
	ASSERT_TRUE(p >= 0);
	ASSERT_TRUE(is_procfs(p));
	char buf[64];
	read_ostype(p, buf, sizeof(buf));
	ASSERT_STREQ("Linux\n", buf);
}

TEST(symlinks_and_escapes_are_refused)
{
	_cleanup_close_ int p = procfs_open_mounted();
	ASSERT_TRUE(p >= 0);
	ASSERT_EQ(-ELOOP, procfs_open_at(p, "self/status", O_RDONLY));
	ASSERT_TRUE(procfs_open_at(p, "../etc/passwd", O_RDONLY) < 0);
	ASSERT_TRUE(procfs_open_at(p, "/etc/passwd", O_RDONLY) < 0);
}

/* In a child with a mount namespace of its own: a file bound over a proc
 * file, and a tmpfs over /proc itself. Exit status: what failed, or 0. */
static int covered_proc_child(void)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_PRIVATE | MS_REC, NULL) < 0)
		return 10;
	char decoy[] = "/tmp/cell-test-procfs-XXXXXX";
	int d = mkstemp(decoy);
	if (d < 0)
		return 11;
	close(d);
	if (mount(decoy, "/proc/sys/kernel/ostype", NULL, MS_BIND, NULL) < 0)
		return 12;
	unlink(decoy);
	int fd = procfs_open_mounted();
	if (fd < 0)
		return 13;
	/* The bind is a mount point on the way: refused, never followed. */
	if (procfs_open_at(fd, "sys/kernel/ostype", O_RDONLY) != -EXDEV)
		return 14;
	close(fd);
	int priv = procfs_open_private();
	if (priv >= 0) {
		/* Nothing covers the private instance. */
		int f = procfs_open_at(priv, "sys/kernel/ostype", O_RDONLY);
		char buf[16] = {0};
		if (f < 0 || read(f, buf, sizeof(buf) - 1) <= 0 || strcmp(buf, "Linux\n") != 0)
			return 15;
		close(f);
		close(priv);
	}
	if (mount("tmpfs", "/proc", "tmpfs", 0, NULL) < 0)
		return 16;
	if (procfs_open_mounted() != -EXDEV)
		return 17;
	return 0;
}

static void check_covered_proc(void)
{
	if (geteuid() != 0)
		TAP_SKIP("needs root for mount namespaces");
	pid_t pid = fork();
	if (pid == 0)
		_exit(covered_proc_child());
	int status = 0;
	waitpid(pid, &status, 0);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

TEST(mounts_over_proc_files_are_refused)
{
	check_covered_proc();
}

TEST(mounts_over_proc_files_are_refused_without_openat2)
{
	setenv("CELL_NO_OPENAT2", "1", 1);
	check_covered_proc();
	unsetenv("CELL_NO_OPENAT2");
}

TEST(writes_reach_the_file)
{
	if (geteuid() != 0)
		TAP_SKIP("needs root for an uts namespace");
	pid_t pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWUTS) < 0)
			_exit(10);
		int p = procfs_open_mounted();
		if (p < 0 || procfs_write(p, "sys/kernel/domainname", "cell.test") < 0)
			_exit(11);
		char buf[64];
		if (getdomainname(buf, sizeof(buf)) < 0 || strcmp(buf, "cell.test") != 0)
			_exit(12);
		_exit(0);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}
