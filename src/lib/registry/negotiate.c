#include "negotiate.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "client.h"

const char *const registry_manifest_accept[] = {
    MT_OCI_INDEX, MT_OCI_MANIFEST, MT_DOCKER_LIST, MT_DOCKER_MANIFEST, NULL,
};

static bool one_of(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcasecmp(s, list[i]) == 0)
			return true;
	return false;
}

/* Content types that say nothing about which manifest it is: the document
 * decides. */
static const char *const generic_types[] = {
    "application/json", "text/plain", "application/octet-stream", "binary/octet-stream", NULL,
};

static const char *const schema1_types[] = {
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
    NULL,
};

int registry_manifest_check(const char *body, size_t len, const char *content_type, const char *header_digest,
			    const char *want_digest, const char *what, struct manifest *out, char *digest,
			    cell_error **err)
{
	memset(out, 0, sizeof(*out));
	if (len > REGISTRY_MANIFEST_MAX)
		return cell_error_set(err, EFBIG, "%s: %zu bytes is larger than a manifest may be (%u)", what,
				      len, REGISTRY_MANIFEST_MAX);
	if (digest_buffer(body, len, digest) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	if (want_digest && strcmp(want_digest, digest) != 0)
		return cell_error_set(err, EBADMSG, "%s: asked for %s, the content has digest %s", what,
				      want_digest, digest);
	/* A server that names another digest than the bytes have is wrong
	 * about something; its digests of other algorithms we cannot check. */
	if (header_digest && strncmp(header_digest, DIGEST_PREFIX, strlen(DIGEST_PREFIX)) == 0 &&
	    strcmp(header_digest, digest) != 0)
		return cell_error_set(err, EBADMSG,
				      "%s: the registry says its digest is %.80s, the content has %s", what,
				      header_digest, digest);
	const char *mt = NULL;
	if (content_type && *content_type && !one_of(content_type, generic_types)) {
		if (one_of(content_type, schema1_types))
			return cell_error_set(
			    err, ENOTSUP,
			    "%s: a Docker schema 1 manifest, which cell does not pull (push "
			    "the image again with a current client)",
			    what);
		if (!one_of(content_type, registry_manifest_accept)) {
			char shown[128];
			size_t i = 0;
			for (; content_type[i] && i + 1 < sizeof(shown); i++)
				shown[i] = (unsigned char)content_type[i] < 0x20 ? '?' : content_type[i];
			shown[i] = '\0';
			return cell_error_set(
			    err, ENOTSUP,
			    "%s: the registry answered \"%s\", which is not an image manifest or "
			    "index",
			    what, shown);
		}
		mt = content_type;
	}
	return manifest_parse(body, len, mt, what, out, err);
}
