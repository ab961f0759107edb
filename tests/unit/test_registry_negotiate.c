/* registry/negotiate.c and the token answers of registry/client.c: what a
 * registry says is judged before anything is kept. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/client.h"
#include "registry/negotiate.h"
#include "tap.h"

static const char manifest[] =
    "{\"schemaVersion\":2,\"mediaType\":\"application/"
    "vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":"
    "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:"
    "1111111111111111111111111111111111111111111111111111111111111111\",\"size\":10},\"layers\":[{"
    "\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:"
    "2222222222222222222222222222222222222222222222222222222222222222\",\"size\":5}]}";

static const char index_doc[] =
    "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
    "\"digest\":\"sha256:3333333333333333333333333333333333333333333333333333333333333333\",\"size\":7,"
    "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";

static int check(const char *body, const char *ct, const char *claimed, const char *want, struct manifest *m,
		 char *digest, cell_error **err)
{
	return registry_manifest_check(body, strlen(body), ct, claimed, want, "manifest of x", m, digest,
				       err);
}

TEST(accept_offers_every_kind)
{
	size_t n = 0;
	while (registry_manifest_accept[n])
		n++;
	ASSERT_EQ(4, n);
}

TEST(a_good_manifest_and_its_digest)
{
	struct manifest m;
	char d[DIGEST_BUF], want[DIGEST_BUF];
	_cleanup_error_ cell_error *err = NULL;
	digest_buffer(manifest, strlen(manifest), want);
	ASSERT_EQ(0, check(manifest, MT_OCI_MANIFEST, want, want, &m, d, &err));
	ASSERT_STREQ(want, d);
	ASSERT_EQ(KIND_MANIFEST, m.kind);
	ASSERT_EQ(1, m.n_layers);
	manifest_clear(&m);
	/* a server that names its digest with another algorithm is not judged by it */
	ASSERT_EQ(0, check(manifest, MT_OCI_MANIFEST, "sha512:abcd", NULL, &m, d, &err));
	manifest_clear(&m);
}

TEST(generic_content_types_let_the_document_decide)
{
	struct manifest m;
	char d[DIGEST_BUF];
	_cleanup_error_ cell_error *err = NULL;
	ASSERT_EQ(0, check(index_doc, "application/json", NULL, NULL, &m, d, &err));
	ASSERT_EQ(KIND_INDEX, m.kind);
	manifest_clear(&m);
	ASSERT_EQ(0, check(manifest, NULL, NULL, NULL, &m, d, &err));
	ASSERT_EQ(KIND_MANIFEST, m.kind);
	manifest_clear(&m);
}

TEST(digests_that_do_not_match_are_refused)
{
	struct manifest m;
	char d[DIGEST_BUF];
	_cleanup_error_ cell_error *err = NULL;
	const char *zero = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
	ASSERT_EQ(-EBADMSG, check(manifest, MT_OCI_MANIFEST, NULL, zero, &m, d, &err));
	ASSERT_CONTAINS(err->msg, "manifest of x: asked for sha256:0000");
	ASSERT_EQ(-EBADMSG, check(manifest, MT_OCI_MANIFEST, zero, NULL, &m, d, &err));
	ASSERT_CONTAINS(err->msg, "the registry says its digest is sha256:0000");
}

TEST(what_is_not_a_manifest_is_refused)
{
	struct manifest m;
	char d[DIGEST_BUF];
	_cleanup_error_ cell_error *err = NULL;
	ASSERT_EQ(-ENOTSUP, check(manifest, "text/html", NULL, NULL, &m, d, &err));
	ASSERT_CONTAINS(err->msg, "\"text/html\", which is not an image manifest or index");
	ASSERT_EQ(-ENOTSUP,
		  check("{\"schemaVersion\":1}", "application/vnd.docker.distribution.manifest.v1+prettyjws",
			NULL, NULL, &m, d, &err));
	ASSERT_CONTAINS(err->msg, "schema 1");
	ASSERT_EQ(-ENOTSUP, check("{\"schemaVersion\":1}", "application/json", NULL, NULL, &m, d, &err));
	ASSERT_CONTAINS(err->msg, "schemaVersion 1 is not supported");
	/* the header says Docker, the document says OCI */
	ASSERT_TRUE(check(manifest, MT_DOCKER_MANIFEST, NULL, NULL, &m, d, &err) < 0);
	ASSERT_CONTAINS(err->msg, "differs");
	ASSERT_TRUE(check("{\"schemaVersion\": 2, \"layers\": [", MT_OCI_MANIFEST, NULL, NULL, &m, d, &err) <
		    0);
	ASSERT_CONTAINS(err->msg, "manifest of x: invalid JSON");
	/* control characters of a content type do not reach the message */
	ASSERT_EQ(-ENOTSUP, check(manifest, "text/\x1b[31mred", NULL, NULL, &m, d, &err));
	ASSERT_TRUE(strchr(err->msg, '\x1b') == NULL);
}

TEST(a_manifest_over_the_limit_is_refused)
{
	size_t n = REGISTRY_MANIFEST_MAX + 1;
	char *big = malloc(n);
	memset(big, ' ', n);
	struct manifest m;
	char d[DIGEST_BUF];
	_cleanup_error_ cell_error *err = NULL;
	ASSERT_EQ(-EFBIG, registry_manifest_check(big, n, NULL, NULL, NULL, "big", &m, d, &err));
	free(big);
}

TEST(token_answers)
{
	char *tok = NULL;
	long ttl = 0;
	_cleanup_error_ cell_error *err = NULL;
	const char *a = "{\"token\":\"abc.def-ghi\",\"expires_in\":300}";
	ASSERT_EQ(0, registry_token_parse(a, strlen(a), &tok, &ttl, &err));
	ASSERT_STREQ("abc.def-ghi", tok);
	ASSERT_EQ(300, ttl);
	free(tok);
	const char *b = "{\"access_token\":\"xyz\"}";
	ASSERT_EQ(0, registry_token_parse(b, strlen(b), &tok, &ttl, &err));
	ASSERT_STREQ("xyz", tok);
	ASSERT_EQ(0, ttl);
	free(tok);
	const char *bad[] = {
	    "{}",
	    "[1]",
	    "<html>",
	    "{\"token\":\"a b\"}",
	    "{\"token\":\"a\\r\\nX-Evil: 1\"}",
	    "{\"token\":\"t\",\"expires_in\":\"soon\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(-EBADMSG, registry_token_parse(bad[i], strlen(bad[i]), &tok, &ttl, &err));
		ASSERT_TRUE(tok == NULL);
	}
	char *huge = malloc(20000);
	memcpy(huge, "{\"token\":\"", 10);
	memset(huge + 10, 'a', 19980);
	memcpy(huge + 19990, "\"}", 3);
	ASSERT_EQ(-EBADMSG, registry_token_parse(huge, strlen(huge), &tok, &ttl, &err));
	ASSERT_CONTAINS(err->msg, "too long");
	free(huge);
}
