/* OpenSSL's libcrypto (SHA-256 only): loaded on first use (dynlib/dynlib.h says why). Include this
 * instead of the library's own headers; calls read as usual. */
#pragma once

#include <openssl/evp.h>

#define DYNLIB_CRYPTO_FUNCS(X)                                                                               \
	X(EVP_MD_CTX_new)                                                                                    \
	X(EVP_MD_CTX_free)                                                                                   \
	X(EVP_DigestInit_ex)                                                                                 \
	X(EVP_DigestUpdate)                                                                                  \
	X(EVP_DigestFinal_ex)                                                                                \
	X(EVP_sha256)

struct dynlib_crypto {
#define DYNLIB_SLOT(f) __typeof__(f) *f;
	DYNLIB_CRYPTO_FUNCS(DYNLIB_SLOT)
#undef DYNLIB_SLOT
};

/* The loaded table; the first call loads libcrypto.so.3. */
const struct dynlib_crypto *dynlib_crypto(void);

#define EVP_MD_CTX_new     (dynlib_crypto()->EVP_MD_CTX_new)
#define EVP_MD_CTX_free    (dynlib_crypto()->EVP_MD_CTX_free)
#define EVP_DigestInit_ex  (dynlib_crypto()->EVP_DigestInit_ex)
#define EVP_DigestUpdate   (dynlib_crypto()->EVP_DigestUpdate)
#define EVP_DigestFinal_ex (dynlib_crypto()->EVP_DigestFinal_ex)
#define EVP_sha256         (dynlib_crypto()->EVP_sha256)
