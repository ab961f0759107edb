/* path_open_beneath(): no symlink followed, nothing outside, with openat2
 * and with the component walk that replaces it (CELL_NO_OPENAT2). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/path.h"
#include "tap.h"

static char dir[64];

static int setup_tree(void)
{
	strcpy(dir, "/tmp/cell-test-beneath-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	mkdirat(fd, "a", 0755);
	mkdirat(fd, "a/b", 0755);
	write_file_at(fd, "a/b/f", "x", 1, 0644);
	symlinkat("b", fd, "a/link");
	symlinkat("/etc", fd, "abs");
	write_file_at(fd, "file", "y", 1, 0644);
	return fd;
}

static void check_all(int fd)
{
	int r = path_open_beneath(fd, "a/b/f", O_RDONLY);
	ASSERT_TRUE(r >= 0);
	close(r);
	r = path_open_beneath(fd, "./a//b/./f", O_RDONLY);
	ASSERT_TRUE(r >= 0);
	close(r);
	r = path_open_beneath(fd, "", O_RDONLY | O_DIRECTORY);
	ASSERT_TRUE(r >= 0);
	close(r);
	ASSERT_EQ(-ELOOP, path_open_beneath(fd, "a/link/f", O_RDONLY));
	ASSERT_EQ(-ELOOP, path_open_beneath(fd, "abs/passwd", O_RDONLY));
	ASSERT_EQ(-ELOOP, path_open_beneath(fd, "a/link", O_RDONLY));
	ASSERT_EQ(-ELOOP, path_open_beneath(fd, "a/link", O_PATH | O_DIRECTORY));
	ASSERT_EQ(-EXDEV, path_open_beneath(fd, "../etc/passwd", O_RDONLY));
	ASSERT_EQ(-EXDEV, path_open_beneath(fd, "a/../../x", O_RDONLY));
	ASSERT_EQ(-EXDEV, path_open_beneath(fd, "/etc/passwd", O_RDONLY));
	ASSERT_EQ(-ENOENT, path_open_beneath(fd, "a/missing", O_RDONLY));
	ASSERT_EQ(-ENOTDIR, path_open_beneath(fd, "file/x", O_RDONLY));
	/* the link itself, when asked for it */
	r = path_open_beneath(fd, "a/link", O_PATH | O_NOFOLLOW);
	ASSERT_TRUE(r >= 0);
	struct stat st;
	ASSERT_EQ(0, fstat(r, &st));
	ASSERT_TRUE(S_ISLNK(st.st_mode));
	close(r);
}

TEST(with_openat2)
{
	unsetenv("CELL_NO_OPENAT2");
	int fd = setup_tree();
	ASSERT_TRUE(fd >= 0);
	check_all(fd);
	close(fd);
	remove_tree_at(AT_FDCWD, dir);
}

TEST(with_the_component_walk)
{
	setenv("CELL_NO_OPENAT2", "1", 1);
	int fd = setup_tree();
	ASSERT_TRUE(fd >= 0);
	check_all(fd);
	close(fd);
	remove_tree_at(AT_FDCWD, dir);
	unsetenv("CELL_NO_OPENAT2");
}
