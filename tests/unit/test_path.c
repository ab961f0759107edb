#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/file.h"
#include "base/path.h"
#include "tap.h"

static char root[64];

static int make_root(void)
{
	strcpy(root, "/tmp/cell-test-path-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	return open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void where(int fd, char *buf, size_t len)
{
	if (path_of_fd(fd, buf, len) < 0)
		buf[0] = '\0';
}

static void check_symlink_escapes_stay_inside(void)
{
	_cleanup_close_ int rfd = make_root();
	ASSERT_TRUE(rfd >= 0);
	ASSERT_EQ(0, mkdirat(rfd, "etc", 0755));
	ASSERT_EQ(0, symlinkat("/", rfd, "etc/abs"));
	ASSERT_EQ(0, symlinkat("../../../../..", rfd, "etc/rel"));
	ASSERT_EQ(0, symlinkat("/proc/self/fd/0", rfd, "etc/magic"));

	char got[PATH_MAX], want[PATH_MAX];
	_cleanup_close_ int a = path_open_in_root(rfd, "/etc/abs", O_PATH, PATH_CREATE_NONE, 0);
	ASSERT_TRUE(a >= 0);
	where(a, got, sizeof(got));
	ASSERT_STREQ(root, got);

	_cleanup_close_ int b = path_open_in_root(rfd, "etc/rel/../..", O_PATH, PATH_CREATE_NONE, 0);
	ASSERT_TRUE(b >= 0);
	where(b, got, sizeof(got));
	ASSERT_STREQ(root, got);

	/* creating through an escaping symlink creates inside the tree */
	_cleanup_close_ int c = path_open_in_root(rfd, "/etc/abs/tmp/x/y", O_PATH, PATH_CREATE_DIRS, 0755);
	ASSERT_TRUE(c >= 0);
	where(c, got, sizeof(got));
	snprintf(want, sizeof(want), "%s/tmp/x/y", root);
	ASSERT_STREQ(want, got);

	/* a dangling symlink gets its target made, as a file when asked */
	ASSERT_EQ(0, symlinkat("../foo/bar/not/here", rfd, "etc/dangling"));
	_cleanup_close_ int d = path_open_in_root(rfd, "/etc/dangling", O_PATH, PATH_CREATE_FILE, 0644);
	ASSERT_TRUE(d >= 0);
	struct stat st;
	ASSERT_EQ(0, fstat(d, &st));
	ASSERT_TRUE(S_ISREG(st.st_mode));
	where(d, got, sizeof(got));
	snprintf(want, sizeof(want), "%s/foo/bar/not/here", root);
	ASSERT_STREQ(want, got);

	/* a component that is a file cannot be walked through */
	ASSERT_EQ(-ENOTDIR, path_open_in_root(rfd, "/foo/bar/not/here/x", O_PATH, PATH_CREATE_DIRS, 0755));

	ASSERT_EQ(0, remove_tree_at(AT_FDCWD, root));
}

TEST(symlink_escapes_stay_inside)
{
	unsetenv("CELL_NO_OPENAT2");
	check_symlink_escapes_stay_inside();
}

TEST(magic_links_refused)
{
	_cleanup_close_ int rfd = make_root();
	ASSERT_EQ(0, symlinkat("/proc/self/fd/0", rfd, "magic"));
	/* inside the tree, /proc/self/fd/0 does not exist: no way to the host */
	ASSERT_TRUE(path_open_in_root(rfd, "magic", O_RDONLY, PATH_CREATE_NONE, 0) < 0);
	ASSERT_EQ(0, remove_tree_at(AT_FDCWD, root));
}

TEST(symlink_loops_end)
{
	_cleanup_close_ int rfd = make_root();
	ASSERT_EQ(0, symlinkat("b", rfd, "a"));
	ASSERT_EQ(0, symlinkat("a", rfd, "b"));
	ASSERT_EQ(-ELOOP, path_open_in_root(rfd, "a", O_PATH, PATH_CREATE_DIRS, 0755));
	ASSERT_EQ(0, remove_tree_at(AT_FDCWD, root));
}

TEST(normalize)
{
	char *s;
	ASSERT_STREQ("/a/b", (s = path_normalize("//a///b/")));
	free(s);
	ASSERT_STREQ("/a/b", (s = path_normalize("/a/./b/.")));
	free(s);
	ASSERT_STREQ("/", (s = path_normalize("/")));
	free(s);
	ASSERT_STREQ("/test/test", (s = path_normalize("/test//test")));
	free(s);
	ASSERT_STREQ("a/../b", (s = path_normalize("a/../b")));
	free(s);
}

/* The walk that replaces openat2 on old kernels must hold the same line.
 * This runs last: once the fallback is chosen it stays chosen. */
TEST(zz_fallback_walk_stays_inside)
{
	setenv("CELL_NO_OPENAT2", "1", 1);
	ASSERT_FALSE(path_have_openat2());
	check_symlink_escapes_stay_inside();
}
