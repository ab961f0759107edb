#include <string.h>

#include "image/manifest.h"
#include "tap.h"

#define D1 "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define D2 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static int parse(const char *s, const char *mt, struct manifest *m, cell_error **e)
{
	return manifest_parse(s, strlen(s), mt, "doc", m, e);
}

TEST(oci_manifest)
{
	struct manifest m;
	const char *s =
	    "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\","
	    "\"config\":{\"mediaType\":\"" MT_OCI_CONFIG "\",\"digest\":\"" D1 "\",\"size\":2},"
	    "\"layers\":[{\"mediaType\":\"" MT_OCI_LAYER_GZIP "\",\"digest\":\"" D2 "\",\"size\":30},"
	    "{\"mediaType\":\"" MT_OCI_LAYER_ND_GZ "\",\"digest\":\"" D1 "\",\"size\":1,"
	    "\"urls\":[\"https://example.com/x\"]}],\"annotations\":{\"a\":\"b\"}}";
	ASSERT_EQ(0, parse(s, NULL, &m, NULL));
	ASSERT_EQ(KIND_MANIFEST, m.kind);
	ASSERT_STREQ(D1, m.config.digest);
	ASSERT_EQ(2, m.n_layers);
	ASSERT_EQ(30, m.layers[0].size);
	ASSERT_STREQ("https://example.com/x", m.layers[1].urls[0]);
	bool foreign;
	ASSERT_TRUE(manifest_layer_type_known(m.layers[1].media_type, &foreign));
	ASSERT_TRUE(foreign);
	manifest_clear(&m);
}

TEST(docker_schema2_and_list)
{
	struct manifest m;
	const char *s =
	    "{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_MANIFEST "\","
	    "\"config\":{\"mediaType\":\"" MT_DOCKER_CONFIG "\",\"digest\":\"" D1 "\",\"size\":2},"
	    "\"layers\":[{\"mediaType\":\"" MT_DOCKER_LAYER "\",\"digest\":\"" D2 "\",\"size\":3}]}";
	ASSERT_EQ(0, parse(s, NULL, &m, NULL));
	ASSERT_EQ(KIND_MANIFEST, m.kind);
	manifest_clear(&m);
	const char *l = "{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_LIST "\",\"manifests\":["
			"{\"mediaType\":\"" MT_DOCKER_MANIFEST "\",\"digest\":\"" D1 "\",\"size\":1,"
			"\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}},"
			"{\"mediaType\":\"" MT_DOCKER_MANIFEST "\",\"digest\":\"" D2 "\",\"size\":1,"
			"\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";
	ASSERT_EQ(0, parse(l, NULL, &m, NULL));
	ASSERT_EQ(KIND_INDEX, m.kind);
	struct platform p;
	size_t pick = 9;
	ASSERT_EQ(0, platform_parse("linux/amd64", &p, NULL));
	ASSERT_EQ(0, manifest_select_platform(&m, &p, &pick, NULL));
	ASSERT_EQ(1, pick);
	/* arm64 without a variant still finds arm64/v8 */
	ASSERT_EQ(0, platform_parse("linux/arm64", &p, NULL));
	ASSERT_EQ(0, manifest_select_platform(&m, &p, &pick, NULL));
	ASSERT_EQ(0, pick);
	cell_error *e = NULL;
	ASSERT_EQ(0, platform_parse("windows/amd64", &p, NULL));
	ASSERT_EQ(-ENOENT, manifest_select_platform(&m, &p, &pick, &e));
	ASSERT_CONTAINS(e->msg, "no image for platform windows/amd64");
	cell_error_free(e);
	manifest_clear(&m);
}

TEST(no_media_type_means_shape)
{
	struct manifest m;
	ASSERT_EQ(0, parse("{\"schemaVersion\":2,\"manifests\":[]}", NULL, &m, NULL));
	ASSERT_EQ(KIND_INDEX, m.kind);
	manifest_clear(&m);
}

TEST(rejections_name_the_place)
{
	static const struct {
		const char *doc, *msg;
	} cases[] = {
	    {"[]", "must be a JSON object"},
	    {"{\"schemaVersion\":1}", "schemaVersion 1 is not supported"},
	    {"{\"schemaVersion\":2,\"mediaType\":\"text/plain\"}", "is not an image manifest"},
	    {"{\"schemaVersion\":2,\"layers\":[]}", "doc.config: missing"},
	    {"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":\"sha256:12\",\"size\":1},"
	     "\"layers\":[]}",
	     "doc.config.digest: \"sha256:12\" is not a sha256 digest"},
	    {"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":\"sha512:12\",\"size\":1},"
	     "\"layers\":[]}",
	     "not supported (sha256 only)"},
	    {"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":\"" D1
	     "\",\"size\":-1},\"layers\":[]}",
	     "doc.config.size"},
	    {"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":\"" D1
	     "\",\"size\":1},\"layers\":[{\"mediaType\":\"application/x-rar\",\"digest\":\"" D1
	     "\",\"size\":1}]}",
	     "doc.layers[0]: layer media type \"application/x-rar\" is not supported"},
	    {"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\"}]}",
	     "doc.manifests[0].digest: missing"},
	    {"{\"schemaVersion\":2,\"schemaVersion\":2}", "invalid JSON"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct manifest m;
		cell_error *e = NULL;
		ASSERT_TRUE(parse(cases[i].doc, NULL, &m, &e) < 0);
		ASSERT_CONTAINS(e->msg, cases[i].msg);
		cell_error_free(e);
	}
	struct manifest m;
	cell_error *e = NULL;
	ASSERT_TRUE(parse("{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX "\",\"manifests\":[]}",
			  MT_OCI_MANIFEST, &m, &e) < 0);
	ASSERT_CONTAINS(e->msg, "differs from");
	cell_error_free(e);
}

TEST(platforms)
{
	struct platform p;
	char buf[64];
	ASSERT_EQ(0, platform_parse("linux/arm/v7", &p, NULL));
	platform_format(&p, buf, sizeof(buf));
	ASSERT_STREQ("linux/arm/v7", buf);
	ASSERT_TRUE(platform_parse("linux", &p, NULL) < 0);
	ASSERT_TRUE(platform_parse("linux/", &p, NULL) < 0);
	ASSERT_TRUE(platform_parse("/amd64", &p, NULL) < 0);
	ASSERT_TRUE(platform_parse("a/b/c/d", &p, NULL) < 0);
	platform_host(&p);
	ASSERT_STREQ("linux", p.os);
	ASSERT_STREQ("amd64", p.architecture);
}
