#include <errno.h>

#include "base/digest.h"
#include "tap.h"

TEST(digest_of_empty_and_known)
{
	char d[DIGEST_BUF];
	ASSERT_EQ(0, digest_buffer("", 0, d));
	ASSERT_STREQ("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", d);
	ASSERT_EQ(0, digest_buffer("abc", 3, d));
	ASSERT_STREQ("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", d);
}

TEST(streaming_equals_one_shot_and_resets)
{
	struct sha256 *h = sha256_new();
	char a[DIGEST_BUF], b[DIGEST_BUF];
	sha256_update(h, "a", 1);
	sha256_update(h, "bc", 2);
	sha256_final(h, a);
	digest_buffer("abc", 3, b);
	ASSERT_STREQ(b, a);
	sha256_update(h, "abc", 3);
	sha256_final(h, a);
	ASSERT_STREQ(b, a);
	sha256_free(h);
}

TEST(validity)
{
	ASSERT_TRUE(digest_valid("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	ASSERT_FALSE(digest_valid("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
	ASSERT_FALSE(digest_valid("sha256:e3b0"));
	ASSERT_FALSE(
	    digest_valid("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8550"));
	ASSERT_FALSE(digest_valid("sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	ASSERT_FALSE(digest_valid("../../etc/passwd"));
	ASSERT_FALSE(digest_valid(NULL));
	ASSERT_TRUE(digest_hex_valid("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	ASSERT_FALSE(digest_hex_valid("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85/"));
}
