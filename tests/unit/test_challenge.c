#include <errno.h>

#include "registry/challenge.h"
#include "tap.h"

TEST(bearer_with_every_parameter)
{
	struct challenge c;
	ASSERT_EQ(
	    0, challenge_parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
			       "scope=\"repository:library/busybox:pull\"",
			       &c, NULL));
	ASSERT_EQ(AUTH_BEARER, c.scheme);
	ASSERT_STREQ("https://auth.docker.io/token", c.realm);
	ASSERT_STREQ("registry.docker.io", c.service);
	ASSERT_STREQ("repository:library/busybox:pull", c.scope);
	challenge_clear(&c);
}

TEST(basic_and_escapes)
{
	struct challenge c;
	ASSERT_EQ(0, challenge_parse("Basic realm=\"Registry \\\"Realm\\\"\"", &c, NULL));
	ASSERT_EQ(AUTH_BASIC, c.scheme);
	ASSERT_STREQ("Registry \"Realm\"", c.realm);
	challenge_clear(&c);
}

TEST(bearer_preferred_when_both_offered)
{
	struct challenge c;
	ASSERT_EQ(0, challenge_parse("Basic realm=\"x\", Bearer realm=\"https://t\", service=s", &c, NULL));
	ASSERT_EQ(AUTH_BEARER, c.scheme);
	ASSERT_STREQ("s", c.service);
	challenge_clear(&c);
}

TEST(unknown_and_broken_headers)
{
	struct challenge c;
	_cleanup_error_ cell_error *err = NULL;
	ASSERT_EQ(-ENOTSUP, challenge_parse("Negotiate abc=def", &c, &err));
	ASSERT_EQ(-EBADMSG, challenge_parse("Bearer realm=\"unterminated", &c, &err));
	ASSERT_EQ(-EBADMSG, challenge_parse("Bearer service=x", &c, &err));
	ASSERT_CONTAINS(err->msg, "without a realm");
	ASSERT_EQ(-EBADMSG, challenge_parse("Bearer realm=", &c, &err));
	ASSERT_EQ(-EBADMSG, challenge_parse("@@@", &c, &err));
	ASSERT_EQ(-EINVAL, challenge_parse(NULL, &c, &err));
}
