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

TEST(small_buffers_agree_with_libcrypto_at_every_length)
{
	/* digest_buffer() hashes up to 64 KiB itself, streams go through
	 * libcrypto: two implementations, which must agree, padding edges
	 * (55, 56, 63, 64 bytes ...) and the switch-over included. */
	static unsigned char data[64 * 1024 + 2];
	uint32_t x = 12345;
	for (size_t i = 0; i < sizeof(data); i++) {
		x = x * 1103515245 + 12345;
		data[i] = (unsigned char)(x >> 16);
	}
	struct sha256 *h = sha256_new();
	ASSERT_TRUE(h != NULL);
	char a[DIGEST_BUF], b[DIGEST_BUF];
	size_t lens[] = {64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 64 * 1024 + 2};
	for (size_t len = 0; len < 1100 + 4; len++) {
		size_t n = len < 1100 ? len : lens[len - 1100];
		ASSERT_EQ(0, digest_buffer(data, n, a));
		sha256_update(h, data, n);
		sha256_final(h, b);
		if (strcmp(a, b) != 0)
			tap_fail(__FILE__, __LINE__, "length %zu: %s != %s", n, a, b);
	}
	sha256_free(h);
}
