#include "digest.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dynlib/crypto.h"

struct sha256 {
	EVP_MD_CTX *ctx;
};

/* SHA-256 of small buffers (FIPS 180-4), without libcrypto. Manifests,
 * configs and chain IDs are hashed on every `cell run`; loading libcrypto
 * for them would cost more than the hashing (about 0.6 ms). Large data
 * streams through libcrypto, which uses the CPU's SHA extensions. The
 * constants are the first 32 bits of the fractional parts of the cube roots
 * (k) and square roots (h0) of the first primes. */
#define SMALL_MAX (64 * 1024)

static const uint32_t k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};
static const uint32_t h0[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static void block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
		       p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
		uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += hh;
}

static void sha256_small(const uint8_t *buf, size_t len, uint8_t md[32])
{
	uint32_t h[8];
	memcpy(h, h0, sizeof(h));
	size_t i = 0;
	for (; len - i >= 64; i += 64)
		block(h, buf + i);
	/* the tail, a 1 bit, zeros, and the length in bits: one or two blocks */
	uint8_t last[128] = {0};
	size_t rest = len - i;
	memcpy(last, buf + i, rest);
	last[rest] = 0x80;
	size_t n = rest < 56 ? 64 : 128;
	uint64_t bits = (uint64_t)len * 8;
	for (int j = 0; j < 8; j++)
		last[n - 1 - j] = (uint8_t)(bits >> (8 * j));
	block(h, last);
	if (n == 128)
		block(h, last + 64);
	for (int j = 0; j < 8; j++) {
		md[4 * j] = (uint8_t)(h[j] >> 24);
		md[4 * j + 1] = (uint8_t)(h[j] >> 16);
		md[4 * j + 2] = (uint8_t)(h[j] >> 8);
		md[4 * j + 3] = (uint8_t)h[j];
	}
}

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

/* "sha256:" and the hex of the 32 bytes of md into out (DIGEST_BUF). */
static void format_digest(const unsigned char *md, char *out)
{
	static const char hex[] = "0123456789abcdef";
	memcpy(out, DIGEST_PREFIX, sizeof(DIGEST_PREFIX) - 1);
	char *p = out + sizeof(DIGEST_PREFIX) - 1;
	for (unsigned int i = 0; i < DIGEST_HEX_LEN / 2; i++) {
		*p++ = hex[md[i] >> 4];
		*p++ = hex[md[i] & 15];
	}
	*p = '\0';
}

void sha256_final(struct sha256 *h, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_DigestFinal_ex(h->ctx, md, &n);
	EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL);
	format_digest(md, out);
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
	if (len <= SMALL_MAX) {
		uint8_t md[32];
		sha256_small(buf, len, md);
		format_digest(md, out);
		return 0;
	}
	struct sha256 *h = sha256_new();
	if (!h)
		return -ENOMEM;
	sha256_update(h, buf, len);
	sha256_final(h, out);
	sha256_free(h);
	return 0;
}
