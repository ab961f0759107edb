#include <errno.h>
#include <stdlib.h>

#include "base/json.h"
#include "tap.h"

static json_t *parse(const char *s)
{
	json_t *j = NULL;
	_cleanup_error_ cell_error *err = NULL;
	if (json_load_buffer(s, strlen(s), "test", &j, &err) < 0)
		return NULL;
	return j;
}

TEST(load_reports_line_and_column)
{
	json_t *j = NULL;
	_cleanup_error_ cell_error *err = NULL;
	ASSERT_EQ(-EINVAL, json_load_buffer("{\n \"a\": }", 10, "config.json", &j, &err));
	ASSERT_CONTAINS(err->msg, "config.json: invalid JSON at line 2");
}

TEST(load_rejects_duplicates_and_bad_utf8)
{
	json_t *j = NULL;
	_cleanup_error_ cell_error *err = NULL;
	const char *dup = "{\"a\":1,\"a\":2}";
	ASSERT_TRUE(json_load_buffer(dup, strlen(dup), "x", &j, &err) < 0);
	const char bad[] = "{\"a\":\"\xff\"}";
	ASSERT_TRUE(json_load_buffer(bad, sizeof(bad) - 1, "x", &j, &err) < 0);
}

TEST(huge_integers_become_unlimited)
{
	_cleanup_json_ json_t *j = parse("{\"hard\": 18446744073709551615, \"soft\": 5}");
	ASSERT_TRUE(j != NULL);
	uint64_t v = 0;
	ASSERT_EQ(0, json_get_u64(j, "rlimits[0]", "hard", true, &v, NULL, NULL));
	ASSERT_TRUE(v == UINT64_MAX);
	ASSERT_EQ(0, json_get_u64(j, "rlimits[0]", "soft", true, &v, NULL, NULL));
	ASSERT_EQ(5, v);
}

TEST(getters_name_the_path)
{
	_cleanup_json_ json_t *j = parse("{\"args\": [\"a\", 3], \"n\": 1.5, \"b\": 1}");
	_cleanup_error_ cell_error *err = NULL;
	const char **v = NULL;
	ASSERT_EQ(-EINVAL, json_get_strv(j, "process", "args", true, &v, &err));
	ASSERT_STREQ("process.args[1]: must be a string", err->msg);
	int64_t i;
	ASSERT_EQ(-EINVAL, json_get_i64(j, "", "n", true, 0, 10, &i, NULL, &err));
	ASSERT_STREQ("n: must be an integer from 0 to 10", err->msg);
	bool b;
	ASSERT_EQ(-EINVAL, json_get_bool(j, "x", "b", true, &b, &err));
	ASSERT_STREQ("x.b: must be true or false", err->msg);
	const char *s = NULL;
	ASSERT_EQ(-EINVAL, json_get_string(j, "x", "missing", true, &s, &err));
	ASSERT_STREQ("x.missing: missing", err->msg);
	ASSERT_EQ(0, json_get_string(j, "x", "missing", false, &s, &err));
	ASSERT_TRUE(s == NULL);
}

TEST(strv_borrows_strings)
{
	_cleanup_json_ json_t *j = parse("{\"env\": [\"A=1\", \"B=2\"]}");
	const char **v = NULL;
	ASSERT_EQ(0, json_get_strv(j, "", "env", true, &v, NULL));
	ASSERT_STREQ("A=1", v[0]);
	ASSERT_STREQ("B=2", v[1]);
	ASSERT_TRUE(v[2] == NULL);
	free(v);
}
