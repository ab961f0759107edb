#include "dynlib/crypto.h"

#include "dynlib/dynlib.h"

DYNLIB_DEFINE(crypto, "libcrypto.so.3", DYNLIB_CRYPTO_FUNCS)
