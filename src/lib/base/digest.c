#include "digest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dynlib/crypto.h"

struct sha256 {
	EVP_MD_CTX *ctx;
};

bool digest_hex_valid(const char *s)
{
	size_t i;
	for (i = 0; i < DIGEST_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[i] == '\0';
}

bool digest_valid(const char *s)
{
	return s && strncmp(s, DIGEST_PREFIX, sizeof(DIGEST_PREFIX) - 1) == 0 &&
	       digest_hex_valid(digest_hex(s));
}

struct sha256 *sha256_new(void)
{
	struct sha256 *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		sha256_free(h);
		return NULL;
	}
	return h;
}

void sha256_update(struct sha256 *h, const void *buf, size_t len)
{
	if (len)
		EVP_DigestUpdate(h->ctx, buf, len);
}

void sha256_final(struct sha256 *h, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_DigestFinal_ex(h->ctx, md, &n);
	EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL);
	memcpy(out, DIGEST_PREFIX, sizeof(DIGEST_PREFIX) - 1);
	char *p = out + sizeof(DIGEST_PREFIX) - 1;
	for (unsigned int i = 0; i < n && i < DIGEST_HEX_LEN / 2; i++) {
		*p++ = hex[md[i] >> 4];
		*p++ = hex[md[i] & 15];
	}
	*p = '\0';
}

void sha256_free(struct sha256 *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int digest_buffer(const void *buf, size_t len, char *out)
{
	struct sha256 *h = sha256_new();
	if (!h)
		return -ENOMEM;
	sha256_update(h, buf, len);
	sha256_final(h, out);
	sha256_free(h);
	return 0;
}
