/* SHA-256 content digests in the OCI spelling "sha256:<64 lowercase hex>", and
 * a streaming hasher over OpenSSL's libcrypto. The one place that knows the
 * digest format: blobs, diffIDs, chainIDs and image IDs all go through here. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define DIGEST_PREFIX     "sha256:"
#define DIGEST_HEX_LEN    64
#define DIGEST_STRING_LEN (sizeof(DIGEST_PREFIX) - 1 + DIGEST_HEX_LEN)
/* Room for a digest string and its NUL. */
#define DIGEST_BUF (DIGEST_STRING_LEN + 1)

/* True for "sha256:" followed by exactly 64 lowercase hex digits. */
bool digest_valid(const char *s);

/* True for exactly 64 lowercase hex digits. */
bool digest_hex_valid(const char *s);

/* The hex part of a valid digest. */
static inline const char *digest_hex(const char *digest)
{
	return digest + sizeof(DIGEST_PREFIX) - 1;
}

struct sha256;

/* A new hasher, or NULL when out of memory. */
struct sha256 *sha256_new(void);
void sha256_update(struct sha256 *h, const void *buf, size_t len);
/* Writes the digest string of everything fed so far into out (DIGEST_BUF
 * bytes) and resets the hasher for reuse. */
void sha256_final(struct sha256 *h, char *out);
void sha256_free(struct sha256 *h);

static inline void sha256_freep(struct sha256 **h)
{
	sha256_free(*h);
	*h = NULL;
}

/* The digest of a buffer into out (DIGEST_BUF bytes). Returns 0 or -ENOMEM. */
int digest_buffer(const void *buf, size_t len, char *out);
