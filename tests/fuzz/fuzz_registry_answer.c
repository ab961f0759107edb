/* libFuzzer: what a registry answers, as cell judges it. The first byte
 * picks the parser: a manifest answer (with one of several Content-Types,
 * a claimed Docker-Content-Digest, a digest asked for), a token answer, or a
 * WWW-Authenticate challenge. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/challenge.h"
#include "registry/client.h"
#include "registry/negotiate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = {
	    NULL,           MT_OCI_MANIFEST,
	    MT_OCI_INDEX,   MT_DOCKER_MANIFEST,
	    MT_DOCKER_LIST, "application/json",
	    "text/html",    "application/vnd.docker.distribution.manifest.v1+prettyjws",
	};
	if (size < 2)
		return 0;
	unsigned kind = data[0] % 3, sub = data[1];
	const char *body = (const char *)data + 2;
	size_t len = size - 2;
	cell_error *err = NULL;
	if (kind == 0) {
		struct manifest m;
		char digest[DIGEST_BUF];
		static const char zero[] =
		    "sha256:0000000000000000000000000000000000000000000000000000000000000000";
		const char *ct = types[sub % (sizeof(types) / sizeof(types[0]))];
		const char *claimed = sub & 0x80 ? zero : NULL;
		const char *want = sub & 0x40 ? zero : NULL;
		if (registry_manifest_check(body, len, ct, claimed, want, "fuzz", &m, digest, &err) == 0)
			manifest_clear(&m);
	} else if (kind == 1) {
		char *token = NULL;
		long ttl = 0;
		if (registry_token_parse(body, len, &token, &ttl, &err) == 0)
			free(token);
	} else {
		char *header = strndup(body, len);
		struct challenge c;
		if (header && challenge_parse(header, &c, &err) == 0)
			challenge_clear(&c);
		free(header);
	}
	cell_error_free(err);
	return 0;
}
