#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/digest.h"
#include "dynlib/dynlib.h"
#include "tap.h"

TEST(a_missing_library_is_named)
{
	const char *names[] = {"f"};
	void *slots[1] = {NULL};
	char why[256] = "";
	ASSERT_EQ(-ELIBACC, dynlib_load("libcell-no-such.so.0", names, slots, 1, why, sizeof(why)));
	ASSERT_TRUE(strstr(why, "cannot load libcell-no-such.so.0") != NULL);
	ASSERT_TRUE(slots[0] == NULL);
}

TEST(a_missing_symbol_is_named)
{
	const char *names[] = {"archive_read_new", "archive_no_such_function"};
	void *slots[2] = {NULL, NULL};
	char why[256] = "";
	ASSERT_EQ(-ELIBACC, dynlib_load("libarchive.so.13", names, slots, 2, why, sizeof(why)));
	ASSERT_TRUE(strstr(why, "libarchive.so.13 has no archive_no_such_function") != NULL);
}

TEST(symbols_resolve_into_their_slots)
{
	const char *names[] = {"archive_read_new", "archive_read_free"};
	void *slots[2] = {NULL, NULL};
	char why[256] = "";
	ASSERT_EQ(0, dynlib_load("libarchive.so.13", names, slots, 2, why, sizeof(why)));
	ASSERT_TRUE(slots[0] != NULL && slots[1] != NULL && slots[0] != slots[1]);
}

TEST(an_unloadable_library_stops_the_process_with_125_and_its_name)
{
	int pipefd[2];
	ASSERT_EQ(0, pipe(pipefd));
	pid_t pid = fork();
	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], STDERR_FILENO);
		const char *names[] = {"f"};
		void *slots[1];
		int state = 0;
		dynlib_once("libcell-no-such.so.0", names, slots, 1, &state);
		_exit(0);
	}
	close(pipefd[1]);
	char buf[512] = "";
	ssize_t n = read(pipefd[0], buf, sizeof(buf) - 1);
	close(pipefd[0]);
	int status;
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(125, WEXITSTATUS(status));
	ASSERT_TRUE(n > 0);
	ASSERT_TRUE(strstr(buf, "cell: cannot load libcell-no-such.so.0") != NULL);
}

TEST(sha256_through_the_loaded_libcrypto)
{
	/* base/digest's streaming hasher calls libcrypto through
	 * dynlib/crypto.h: the first call loads it. */
	char out[DIGEST_BUF];
	struct sha256 *h = sha256_new();
	ASSERT_TRUE(h != NULL);
	sha256_update(h, "abc", 3);
	sha256_final(h, out);
	sha256_free(h);
	ASSERT_STREQ("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", out);
}
