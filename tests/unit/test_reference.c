#include <errno.h>
#include <stdlib.h>

#include "registry/reference.h"
#include "tap.h"

static char *norm(const char *s)
{
	struct reference r;
	if (reference_parse(s, NULL, &r, NULL) < 0)
		return NULL;
	char *out = reference_string(&r);
	reference_clear(&r);
	return out;
}

#define ASSERT_NORM(want, in)                                                                                \
	do {                                                                                                 \
		char *got_ = norm(in);                                                                       \
		ASSERT_STREQ(want, got_);                                                                    \
		free(got_);                                                                                  \
	} while (0)

TEST(docker_hub_short_names)
{
	ASSERT_NORM("docker.io/library/busybox:latest", "busybox");
	ASSERT_NORM("docker.io/library/busybox:1.36", "busybox:1.36");
	ASSERT_NORM("docker.io/user/app:latest", "user/app");
	ASSERT_NORM("docker.io/library/busybox:latest", "docker.io/busybox");
	ASSERT_NORM("docker.io/library/busybox:latest", "index.docker.io/busybox");
}

TEST(registries_with_ports_and_digests)
{
	ASSERT_NORM("localhost:5000/ns/app:v1", "localhost:5000/ns/app:v1");
	ASSERT_NORM("localhost/app:latest", "localhost/app");
	ASSERT_NORM("quay.io/a/b/c:latest", "quay.io/a/b/c");
	ASSERT_NORM(
	    "127.0.0.1:5000/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    "127.0.0.1:5000/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	ASSERT_NORM(
	    "docker.io/library/a:t@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    "a:t@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	ASSERT_NORM("[::1]:5000/app:latest", "[::1]:5000/app");
}

TEST(separators_in_names)
{
	ASSERT_NORM("docker.io/library/a.b_c__d---e:latest", "a.b_c__d---e");
}

TEST(malformed_references_say_why)
{
	struct reference r;
	_cleanup_error_ cell_error *err = NULL;
	ASSERT_EQ(-EINVAL, reference_parse("Busybox", NULL, &r, &err));
	ASSERT_CONTAINS(err->msg, "must be lowercase");
	ASSERT_EQ(-EINVAL, reference_parse("busybox:bad/tag!", NULL, &r, &err));
	ASSERT_EQ(-EINVAL, reference_parse("busybox:", NULL, &r, &err));
	ASSERT_CONTAINS(err->msg, "bad tag");
	ASSERT_EQ(-EINVAL, reference_parse("busybox@sha256:short", NULL, &r, &err));
	ASSERT_CONTAINS(err->msg, "bad digest");
	ASSERT_EQ(-EINVAL, reference_parse("a//b", NULL, &r, &err));
	ASSERT_EQ(-EINVAL, reference_parse("-a", NULL, &r, &err));
	ASSERT_EQ(-EINVAL, reference_parse("a-", NULL, &r, &err));
	ASSERT_EQ(-EINVAL, reference_parse("a..b", NULL, &r, &err));
	ASSERT_EQ(-EINVAL, reference_parse("", NULL, &r, &err));
	ASSERT_EQ(-EINVAL, reference_parse("localhost:99999x/a", NULL, &r, &err));
	ASSERT_EQ(-EINVAL, reference_parse("host:5000/", NULL, &r, &err));
}

TEST(default_domain)
{
	struct reference r;
	ASSERT_EQ(0, reference_parse("app", "localhost", &r, NULL));
	ASSERT_STREQ("localhost", r.domain);
	ASSERT_STREQ("app", r.path);
	reference_clear(&r);
}
