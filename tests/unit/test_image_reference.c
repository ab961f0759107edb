#include <stdlib.h>

#include "base/cleanup.h"
#include "image/reference.h"
#include "tap.h"

static char *norm(const char *s, enum image_ref_default def)
{
	struct image_ref r;
	if (image_ref_parse(s, def, &r, NULL) < 0)
		return NULL;
	char *out = image_ref_format(&r);
	image_ref_clear(&r);
	return out;
}

TEST(normalises_names)
{
	static const struct {
		const char *in, *local, *docker;
	} cases[] = {
	    {"busybox", "localhost/busybox:latest", "docker.io/library/busybox:latest"},
	    {"busybox:1.36", "localhost/busybox:1.36", "docker.io/library/busybox:1.36"},
	    {"me/app", "localhost/me/app:latest", "docker.io/me/app:latest"},
	    {"localhost/app:v2", "localhost/app:v2", "localhost/app:v2"},
	    {"quay.io/a/b/c:x_y.z-1", "quay.io/a/b/c:x_y.z-1", "quay.io/a/b/c:x_y.z-1"},
	    {"registry:5000/app", "registry:5000/app:latest", "registry:5000/app:latest"},
	    {"docker.io/busybox", "docker.io/library/busybox:latest", "docker.io/library/busybox:latest"},
	    {"a__b/c-d---e", "localhost/a__b/c-d---e:latest", "docker.io/a__b/c-d---e:latest"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *l = norm(cases[i].in, IMAGE_REF_LOCALHOST);
		_cleanup_free_ char *d = norm(cases[i].in, IMAGE_REF_DOCKER);
		ASSERT_STREQ(cases[i].local, l);
		ASSERT_STREQ(cases[i].docker, d);
	}
}

TEST(digest_references)
{
	struct image_ref r;
	const char *s =
	    "localhost/app@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	ASSERT_EQ(0, image_ref_parse(s, IMAGE_REF_LOCALHOST, &r, NULL));
	ASSERT_TRUE(r.tag == NULL);
	_cleanup_free_ char *f = image_ref_format(&r);
	ASSERT_STREQ(s, f);
	image_ref_clear(&r);
}

TEST(rejects_bad_names_with_messages)
{
	static const char *const bad[] = {
	    "",         "Upper",       "localhost/Upper", "a//b",    "-a",      "a-",
	    "a:",       "a:-tag",      "a@sha256:short",  "a@md5:x", "a/b:c:d", "a..b",
	    "exa mple", "host:port/x", "[::1/x",          ".a",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct image_ref r;
		cell_error *e = NULL;
		int ret = image_ref_parse(bad[i], IMAGE_REF_LOCALHOST, &r, &e);
		if (ret == 0)
			tap_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
		ASSERT_TRUE(e != NULL && e->msg[0]);
		cell_error_free(e);
	}
}

TEST(short_names)
{
	ASSERT_TRUE(image_ref_is_short("busybox"));
	ASSERT_TRUE(image_ref_is_short("me/app"));
	ASSERT_FALSE(image_ref_is_short("localhost/app"));
	ASSERT_FALSE(image_ref_is_short("quay.io/app"));
	ASSERT_FALSE(image_ref_is_short("host:5000/app"));
}
