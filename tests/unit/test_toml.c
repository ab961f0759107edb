#include <errno.h>
#include <stdlib.h>

#include "base/json.h"
#include "base/toml.h"
#include "tap.h"

static json_t *parse(const char *s, cell_error **err)
{
	json_t *j = NULL;
	if (toml_parse(s, strlen(s), "test.conf", &j, err) < 0)
		return NULL;
	return j;
}

TEST(registries_conf_v2)
{
	const char *conf = "# comment\n"
			   "unqualified-search-registries = [\"docker.io\", 'quay.io'] # trailing\n"
			   "short-name-mode = \"permissive\"\n"
			   "\n"
			   "[[registry]]\n"
			   "location = \"localhost:5000\"\n"
			   "insecure = true\n"
			   "\n"
			   "[[registry.mirror]]\n"
			   "location = \"mirror.example:5000\"\n"
			   "[[registry]]\n"
			   "prefix = \"example.com/foo\"\n"
			   "blocked = false\n"
			   "[aliases]\n"
			   "\"bb\" = \"docker.io/library/busybox\"\n";
	_cleanup_json_ json_t *j = parse(conf, NULL);
	ASSERT_TRUE(j != NULL);
	ASSERT_STREQ("quay.io", json_string_value(
				    json_array_get(json_object_get(j, "unqualified-search-registries"), 1)));
	json_t *regs = json_object_get(j, "registry");
	ASSERT_EQ(2, json_array_size(regs));
	json_t *r0 = json_array_get(regs, 0);
	ASSERT_TRUE(json_is_true(json_object_get(r0, "insecure")));
	ASSERT_STREQ(
	    "mirror.example:5000",
	    json_string_value(json_object_get(json_array_get(json_object_get(r0, "mirror"), 0), "location")));
	ASSERT_STREQ("docker.io/library/busybox",
		     json_string_value(json_object_get(json_object_get(j, "aliases"), "bb")));
}

TEST(registries_conf_v1_and_multiline_arrays)
{
	const char *conf = "[registries.search]\nregistries = [\n  'docker.io',\n  # c\n  'quay.io',\n]\n"
			   "[registries.insecure]\nregistries = ['localhost:5000']\nn = 1_000\n";
	_cleanup_json_ json_t *j = parse(conf, NULL);
	ASSERT_TRUE(j != NULL);
	json_t *ins =
	    json_object_get(json_object_get(json_object_get(j, "registries"), "insecure"), "registries");
	ASSERT_STREQ("localhost:5000", json_string_value(json_array_get(ins, 0)));
	ASSERT_EQ(1000, json_integer_value(json_object_get(
			    json_object_get(json_object_get(j, "registries"), "insecure"), "n")));
	ASSERT_EQ(2, json_array_size(json_object_get(
			 json_object_get(json_object_get(j, "registries"), "search"), "registries")));
}

TEST(errors_name_the_line)
{
	_cleanup_error_ cell_error *err = NULL;
	ASSERT_TRUE(parse("a = 1\nb = \n", &err) == NULL);
	ASSERT_CONTAINS(err->msg, "test.conf: line 2");
	ASSERT_TRUE(parse("a = \"open\n", &err) == NULL);
	ASSERT_TRUE(parse("a = 1\na = 2\n", &err) == NULL);
	ASSERT_CONTAINS(err->msg, "key given twice");
	ASSERT_TRUE(parse("[t\n", &err) == NULL);
	ASSERT_TRUE(parse("a = 1 2\n", &err) == NULL);
	ASSERT_TRUE(parse("a = 1979-05-27\n", &err) == NULL);
	ASSERT_TRUE(parse("a = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
			  &err) == NULL);
	ASSERT_CONTAINS(err->msg, "nested too deeply");
	ASSERT_TRUE(parse("x = 'a'\n[x]\n", &err) == NULL);
}

/* Found by fuzz_registry_config: a key a JSON object refuses (not UTF-8)
 * freed the table made for it, and a key broken after its first parts
 * leaked them (ASan's leak check sees that). */
TEST(hostile_keys)
{
	_cleanup_error_ cell_error *err = NULL;
	ASSERT_TRUE(parse("[\"\xff\"]\na = 1\n", &err) == NULL);
	ASSERT_CONTAINS(err->msg, "not valid UTF-8");
	ASSERT_TRUE(parse("[a.\"\xff\".b]\n", &err) == NULL);
	ASSERT_TRUE(parse("[[\"\xfe\"]]\n", &err) == NULL);
	ASSERT_TRUE(parse("a.\"\xff\" = 1\n", &err) == NULL);
	ASSERT_CONTAINS(err->msg, "not valid UTF-8");
	ASSERT_TRUE(parse("a.b.c. = 1\n", &err) == NULL);
	ASSERT_CONTAINS(err->msg, "expected a key");
	ASSERT_TRUE(parse("[a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q]\n", &err) == NULL);
	ASSERT_CONTAINS(err->msg, "too many parts");
	/* a valid UTF-8 quoted key is a key */
	json_t *j = parse("[\"caf\xc3\xa9\"]\na = 1\n", &err);
	ASSERT_TRUE(j != NULL);
	ASSERT_EQ(1, json_integer_value(json_object_get(json_object_get(j, "caf\xc3\xa9"), "a")));
	json_decref(j);
}
