/* registry/login.c: the auth file's key for what a user types. */
#include <stdlib.h>

#include "registry/login.h"
#include "tap.h"

static void key_is(const char *typed, const char *want)
{
	_cleanup_error_ cell_error *err = NULL;
	char *k = registry_login_key(typed, &err);
	if (!want) {
		ASSERT_TRUE(k == NULL);
		ASSERT_TRUE(err != NULL);
		return;
	}
	ASSERT_STREQ(want, k);
	free(k);
}

TEST(keys)
{
	key_is("127.0.0.1:5000", "127.0.0.1:5000");
	key_is("https://127.0.0.1:5000/", "127.0.0.1:5000");
	key_is("http://localhost:5000", "localhost:5000");
	key_is("quay.io/team", "quay.io/team");
	key_is("docker.io", "docker.io");
	key_is("index.docker.io", "docker.io");
	key_is("docker://registry.example", "registry.example");
	key_is("", NULL);
	key_is("https://", NULL);
	key_is("busybox", NULL);
	key_is("not a registry!", NULL);
	key_is("Host.Example/UPPER", NULL);
}

TEST(login_needs_credentials)
{
	_cleanup_error_ cell_error *err = NULL;
	struct registry_opts o = {.username = "alice"};
	ASSERT_TRUE(registry_login("127.0.0.1:1", &o, &err) < 0);
	ASSERT_CONTAINS(err->msg, "password");
}
