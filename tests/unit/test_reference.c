#include <errno.h>
#include <stdlib.h>

#include "image/reference.h"
#include "tap.h"

static char *norm(const char *s)
{
	struct image_ref r;
	if (image_ref_parse(s, IMAGE_REF_DOCKER, &r, NULL) < 0)
		return NULL;
	char *out = image_ref_format(&r);
	image_ref_clear(&r);
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
	/* with both, the name keeps the tag; the digest is in its own field */
	ASSERT_NORM("docker.io/library/a:t",
		    "a:t@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	ASSERT_NORM("[::1]:5000/app:latest", "[::1]:5000/app");
}

TEST(separators_in_names)
{
	ASSERT_NORM("docker.io/library/a.b_c__d---e:latest", "a.b_c__d---e");
}

TEST(malformed_references_say_why)
{
	struct image_ref r;
	_cleanup_error_ cell_error *err = NULL;
	ASSERT_EQ(-EINVAL, image_ref_parse("Busybox", IMAGE_REF_DOCKER, &r, &err));
	ASSERT_CONTAINS(err->msg, "lowercase");
	ASSERT_EQ(-EINVAL, image_ref_parse("busybox:bad/tag!", IMAGE_REF_DOCKER, &r, &err));
	ASSERT_EQ(-EINVAL, image_ref_parse("busybox:", IMAGE_REF_DOCKER, &r, &err));
	ASSERT_CONTAINS(err->msg, "invalid tag");
	ASSERT_EQ(-EINVAL, image_ref_parse("busybox@sha256:short", IMAGE_REF_DOCKER, &r, &err));
	ASSERT_CONTAINS(err->msg, "digest");
	ASSERT_EQ(-EINVAL, image_ref_parse("a//b", IMAGE_REF_DOCKER, &r, &err));
	ASSERT_EQ(-EINVAL, image_ref_parse("-a", IMAGE_REF_DOCKER, &r, &err));
	ASSERT_EQ(-EINVAL, image_ref_parse("a-", IMAGE_REF_DOCKER, &r, &err));
	ASSERT_EQ(-EINVAL, image_ref_parse("a..b", IMAGE_REF_DOCKER, &r, &err));
	ASSERT_EQ(-EINVAL, image_ref_parse("", IMAGE_REF_DOCKER, &r, &err));
	ASSERT_EQ(-EINVAL, image_ref_parse("localhost:99999x/a", IMAGE_REF_DOCKER, &r, &err));
	ASSERT_EQ(-EINVAL, image_ref_parse("host:5000/", IMAGE_REF_DOCKER, &r, &err));
}

TEST(default_domain)
{
	struct image_ref r;
	ASSERT_EQ(0, image_ref_parse("app", IMAGE_REF_LOCALHOST, &r, NULL));
	ASSERT_STREQ("localhost", r.domain);
	ASSERT_STREQ("app", r.path);
	image_ref_clear(&r);
}
