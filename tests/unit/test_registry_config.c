/* registry/config.c and registry/auth.c, with files in a temporary directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base64.h"
#include "base/file.h"
#include "registry/auth.h"
#include "registry/config.h"
#include "tap.h"

static char dir[64];

static void make_dir(void)
{
	strcpy(dir, "/tmp/cell-test-reg-XXXXXX");
	if (!mkdtemp(dir))
		abort();
}

static void put(const char *name, const char *text)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (write_file_at(AT_FDCWD, p, text, strlen(text), 0600) < 0)
		abort();
}

TEST(base64_round_trip)
{
	const char *cases[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar", "user:pa:ss"};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *e = base64_encode(cases[i], strlen(cases[i]));
		char *d = NULL;
		ASSERT_EQ(0, base64_decode(e, &d, NULL));
		ASSERT_STREQ(cases[i], d);
		free(e);
		free(d);
	}
	char *d = NULL;
	ASSERT_EQ(-EINVAL, base64_decode("abc", &d, NULL));
	ASSERT_EQ(-EINVAL, base64_decode("ab=c", &d, NULL));
	ASSERT_EQ(-EINVAL, base64_decode("a*==", &d, NULL));
}

TEST(v1_and_v2_entries_and_overrides)
{
	make_dir();
	put("a.conf", "[registries.insecure]\nregistries = ['localhost:5000']\n"
		      "[registries.search]\nregistries = ['docker.io']\n");
	put("b.conf", "unqualified-search-registries = ['localhost:5000', 'quay.io']\n"
		      "[[registry]]\nprefix = 'example.com/foo'\nlocation = 'mirror.example.com/bar'\n"
		      "[[registry]]\nlocation = 'blocked.example'\nblocked = true\n");
	char a[128], b[128];
	snprintf(a, sizeof(a), "%s/a.conf", dir);
	snprintf(b, sizeof(b), "%s/b.conf", dir);
	const char *paths[] = {a, b, "/nonexistent/missing.conf", NULL};
	struct registry_config *c = NULL;
	ASSERT_EQ(0, registry_config_load(paths, &c, NULL));
	ASSERT_STREQ("localhost:5000", c->search[0]);
	ASSERT_STREQ("quay.io", c->search[1]);
	const struct registry_entry *e = registry_config_find(c, "localhost:5000/x/y");
	ASSERT_TRUE(e && e->insecure);
	ASSERT_TRUE(registry_config_find(c, "localhost:50000/x") == NULL);
	e = registry_config_find(c, "example.com/foo/app");
	ASSERT_TRUE(e && e->location && strcmp(e->location, "mirror.example.com/bar") == 0);
	ASSERT_TRUE(registry_config_find(c, "example.com/foobar") == NULL);
	e = registry_config_find(c, "blocked.example/x");
	ASSERT_TRUE(e && e->blocked);
	registry_config_free(c);
	ASSERT_EQ(0, remove_tree_at(AT_FDCWD, dir));
}

TEST(broken_config_names_file_and_line)
{
	make_dir();
	put("bad.conf", "[[registry]]\nlocation = 7x\n");
	char p[128];
	snprintf(p, sizeof(p), "%s/bad.conf", dir);
	const char *paths[] = {p, NULL};
	struct registry_config *c = NULL;
	_cleanup_error_ cell_error *err = NULL;
	ASSERT_TRUE(registry_config_load(paths, &c, &err) < 0);
	ASSERT_CONTAINS(err->msg, "bad.conf: line 2");
	put("bad.conf", "[[registry]]\ninsecure = true\n");
	ASSERT_TRUE(registry_config_load(paths, &c, &err) < 0);
	ASSERT_CONTAINS(err->msg, "needs a prefix or a location");
	ASSERT_EQ(0, remove_tree_at(AT_FDCWD, dir));
}

TEST(login_store_lookup_remove)
{
	make_dir();
	char p[128];
	snprintf(p, sizeof(p), "%s/sub/auth.json", dir);
	setenv("REGISTRY_AUTH_FILE", p, 1);
	setenv("HOME", dir, 1);
	unsetenv("XDG_CONFIG_HOME");
	ASSERT_EQ(0, auth_store("localhost:5000", "alice", "s3cr:t", NULL));
	ASSERT_EQ(0, auth_store("localhost:5000/team/app", "bob", "pw", NULL));
	struct credentials c;
	ASSERT_EQ(0, auth_lookup("localhost:5000/other", &c, NULL));
	ASSERT_STREQ("alice", c.username);
	ASSERT_STREQ("s3cr:t", c.password);
	credentials_clear(&c);
	ASSERT_EQ(0, auth_lookup("localhost:5000/team/app", &c, NULL));
	ASSERT_STREQ("bob", c.username);
	credentials_clear(&c);
	ASSERT_EQ(-ENOENT, auth_lookup("localhost:5001/x", &c, NULL));
	ASSERT_EQ(0, auth_remove("localhost:5000/team/app", NULL));
	_cleanup_error_ cell_error *err = NULL;
	ASSERT_EQ(-ENOENT, auth_remove("localhost:5000/team/app", &err));
	ASSERT_CONTAINS(err->msg, "not logged in");
	/* Docker's config is read too, with its URL-shaped keys */
	put("dummy", "");
	char d[128];
	snprintf(d, sizeof(d), "%s/.docker", dir);
	mkdir(d, 0700);
	put(".docker/config.json", "{\"auths\": {\"https://index.docker.io/v1/\": {\"auth\": \"ZDpw\"}}}");
	ASSERT_EQ(0, auth_lookup("docker.io/library/busybox", &c, NULL));
	ASSERT_STREQ("d", c.username);
	ASSERT_STREQ("p", c.password);
	credentials_clear(&c);
	ASSERT_EQ(0, auth_remove_all(NULL));
	ASSERT_EQ(-ENOENT, auth_lookup("localhost:5000", &c, NULL));
	unsetenv("REGISTRY_AUTH_FILE");
	/* without REGISTRY_AUTH_FILE: containers-auth.json(5)'s place */
	setenv("XDG_RUNTIME_DIR", "/run/user/4242", 1);
	_cleanup_free_ char *path = auth_file_path();
	ASSERT_STREQ("/run/user/4242/containers/auth.json", path);
	unsetenv("XDG_RUNTIME_DIR");
	_cleanup_free_ char *fallback = auth_file_path();
	char want[64];
	snprintf(want, sizeof(want), "/run/containers/%u/auth.json", (unsigned)getuid());
	ASSERT_STREQ(want, fallback);
	ASSERT_EQ(0, remove_tree_at(AT_FDCWD, dir));
}
