#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/file.h"
#include "tap.h"

static int tmpdir(char *buf)
{
	strcpy(buf, "/tmp/cell-test-file-XXXXXX");
	if (!mkdtemp(buf))
		return -1;
	return open(buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

TEST(atomic_write_then_read)
{
	char dir[64];
	_cleanup_close_ int dfd = tmpdir(dir);
	ASSERT_TRUE(dfd >= 0);
	ASSERT_EQ(0, write_file_atomic(dfd, "rec", "hello", 5, 0600));
	ASSERT_EQ(0, write_file_atomic(dfd, "rec", "world!", 6, 0600));
	_cleanup_free_ char *s = NULL;
	size_t len = 0;
	ASSERT_EQ(0, read_file_at(dfd, "rec", 1024, &s, &len));
	ASSERT_EQ(6, len);
	ASSERT_STREQ("world!", s);
	ASSERT_EQ(0, remove_tree_at(AT_FDCWD, dir));
	ASSERT_EQ(-1, access(dir, F_OK));
}

TEST(read_refuses_oversized)
{
	char dir[64];
	_cleanup_close_ int dfd = tmpdir(dir);
	ASSERT_EQ(0, write_file_at(dfd, "big", "0123456789", 10, 0600));
	char *s = NULL;
	ASSERT_EQ(-EFBIG, read_file_at(dfd, "big", 4, &s, NULL));
	ASSERT_EQ(0, remove_tree_at(AT_FDCWD, dir));
}

TEST(remove_tree_does_not_follow_symlinks)
{
	char dir[64], outside[64];
	_cleanup_close_ int dfd = tmpdir(dir);
	_cleanup_close_ int ofd = tmpdir(outside);
	ASSERT_EQ(0, write_file_at(ofd, "keep", "x", 1, 0600));
	ASSERT_EQ(0, mkdirat(dfd, "a", 0755));
	ASSERT_EQ(0, mkdirat(dfd, "a/b", 0755));
	ASSERT_EQ(0, symlinkat(outside, dfd, "a/b/link"));
	ASSERT_EQ(0, write_file_at(dfd, "a/b/f", "y", 1, 0600));
	ASSERT_EQ(0, remove_tree_at(AT_FDCWD, dir));
	ASSERT_EQ(0, faccessat(ofd, "keep", F_OK, 0));
	ASSERT_EQ(0, remove_tree_at(AT_FDCWD, outside));
	ASSERT_EQ(0, remove_tree_at(AT_FDCWD, "/tmp/does-not-exist-cell-test"));
}

static bool not_b(const char *name, void *skip)
{
	return strcmp(name, skip) != 0;
}

TEST(dir_names_sorted_filtered_and_large)
{
	char dir[64];
	_cleanup_close_ int dfd = tmpdir(dir);
	ASSERT_TRUE(dfd >= 0);
	char **v = NULL;
	size_t n = 99;
	/* empty: an empty list, not NULL */
	ASSERT_EQ(0, dir_names(dfd, NULL, NULL, true, &v, &n));
	ASSERT_EQ(0, n);
	ASSERT_TRUE(v != NULL && v[0] == NULL);
	free(v);
	/* more names than the first allocation holds, made out of order */
	char name[16];
	for (int i = 99; i >= 0; i--) {
		snprintf(name, sizeof(name), "n%03d", i);
		ASSERT_EQ(0, write_file_at(dfd, name, "", 0, 0600));
	}
	ASSERT_EQ(0, write_file_at(dfd, "b", "", 0, 0600));
	ASSERT_EQ(0, dir_names(dfd, not_b, "b", true, &v, &n));
	ASSERT_EQ(100, n);
	ASSERT_STREQ("n000", v[0]);
	ASSERT_STREQ("n099", v[99]);
	ASSERT_TRUE(v[100] == NULL);
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	/* unsorted and unfiltered: all 101, and dfd can be read again */
	ASSERT_EQ(0, dir_names(dfd, NULL, NULL, false, &v, &n));
	ASSERT_EQ(101, n);
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	_cleanup_close_ int file = openat(dfd, "b", O_RDONLY | O_CLOEXEC);
	ASSERT_EQ(-ENOTDIR, dir_names(file, NULL, NULL, false, &v, NULL));
	ASSERT_EQ(0, remove_tree_at(AT_FDCWD, dir));
}

/* On a file system with inode flags (ext4 here: /var/tmp is on the root
 * file system), the directory gets FS_TOPDIR_FL, the other flags stay, and
 * a second call changes nothing. */
TEST(spread_subdirs_sets_topdir_and_keeps_other_flags)
{
	char dir[] = "/var/tmp/cell-test-topdir-XXXXXX";
	ASSERT_TRUE(mkdtemp(dir) != NULL);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_TRUE(fd >= 0);
	int before = 0;
	if (ioctl(fd, FS_IOC_GETFLAGS, &before) < 0) {
		close(fd);
		rmdir(dir);
		TAP_SKIP("/var/tmp has no inode flags (not ext2/3/4)");
	}
	dir_spread_subdirs(fd);
	int after = 0;
	ASSERT_EQ(0, ioctl(fd, FS_IOC_GETFLAGS, &after));
	ASSERT_TRUE(after & FS_TOPDIR_FL);
	ASSERT_EQ(before, after & ~FS_TOPDIR_FL);
	dir_spread_subdirs(fd);
	int again = 0;
	ASSERT_EQ(0, ioctl(fd, FS_IOC_GETFLAGS, &again));
	ASSERT_EQ(after, again);
	close(fd);
	ASSERT_EQ(0, rmdir(dir));
}
