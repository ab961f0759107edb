/* WWW-Authenticate challenges (RFC 7235) as registries send them:
 *   Bearer realm="https://auth.example/token",service="registry",scope="repository:a:pull"
 *   Basic realm="Registry Realm"
 * Several challenges may share one header. */
#pragma once

#include <stddef.h>

#include "base/error.h"

enum auth_scheme { AUTH_NONE, AUTH_BASIC, AUTH_BEARER };

struct challenge {
	enum auth_scheme scheme;
	char *realm;
	char *service;
	char *scope;
};

/* Parse a header value; picks Bearer over Basic when both are offered.
 * Unknown schemes are skipped; none known is -ENOTSUP. */
int challenge_parse(const char *header, struct challenge *out, cell_error **err);

void challenge_clear(struct challenge *c);
