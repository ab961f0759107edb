#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"

int json_load_buffer(const char *buf, size_t len, const char *what, json_t **out, cell_error **err)
{
	json_error_t je;
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!j && strstr(je.text, "too big integer"))
		j = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &je);
	if (!j)
		return cell_error_set(err, EINVAL, "%s: invalid JSON at line %d, column %d: %s", what,
				      je.line, je.column, je.text);
	*out = j;
	return 0;
}

int json_load_file_at(int dirfd, const char *path, size_t max, json_t **out, cell_error **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = read_file_at(dirfd, path, max, &buf, &len);
	if (r == -EFBIG)
		return cell_error_set(err, EFBIG, "%s: larger than %zu bytes", path, max);
	if (r < 0)
		return cell_error_errno(err, -r, "read %s", path);
	return json_load_buffer(buf, len, path, out, err);
}

const char *json_path_key(char *buf, size_t len, const char *where, const char *key)
{
	if (!where || !*where)
		snprintf(buf, len, "%s", key);
	else
		snprintf(buf, len, "%s.%s", where, key);
	return buf;
}

const char *json_path_index(char *buf, size_t len, const char *where, const char *key, size_t i)
{
	if (!key)
		snprintf(buf, len, "%s[%zu]", where, i);
	else if (!where || !*where)
		snprintf(buf, len, "%s[%zu]", key, i);
	else
		snprintf(buf, len, "%s.%s[%zu]", where, key, i);
	return buf;
}

/* Looks key up; 1 found, 0 absent (or null), <0 error for a required key. */
static int lookup(const json_t *obj, const char *where, const char *key, bool required, json_t **val,
		  cell_error **err)
{
	*val = json_object_get(obj, key);
	if (*val && json_is_null(*val))
		*val = NULL;
	if (*val)
		return 1;
	if (required) {
		char p[512];
		return cell_error_set(err, EINVAL, "%s: missing", json_path_key(p, sizeof(p), where, key));
	}
	return 0;
}

static int type_error(const char *where, const char *key, const char *what, cell_error **err)
{
	char p[512];
	return cell_error_set(err, EINVAL, "%s: must be %s", json_path_key(p, sizeof(p), where, key), what);
}

int json_get_string(const json_t *obj, const char *where, const char *key, bool required, const char **out,
		    cell_error **err)
{
	json_t *v;
	int r = lookup(obj, where, key, required, &v, err);
	if (r <= 0)
		return r;
	if (!json_is_string(v))
		return type_error(where, key, "a string", err);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return type_error(where, key, "a string without NUL characters", err);
	*out = json_string_value(v);
	return 0;
}

int json_get_bool(const json_t *obj, const char *where, const char *key, bool required, bool *out,
		  cell_error **err)
{
	json_t *v;
	int r = lookup(obj, where, key, required, &v, err);
	if (r <= 0)
		return r;
	if (!json_is_boolean(v))
		return type_error(where, key, "true or false", err);
	*out = json_is_true(v);
	return 0;
}

bool json_as_i64(const json_t *v, int64_t *out)
{
	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return true;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d != floor(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
			return false;
		*out = (int64_t)d;
		return true;
	}
	return false;
}

bool json_as_u64(const json_t *v, uint64_t *out)
{
	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0)
			return false;
		*out = (uint64_t)json_integer_value(v);
		return true;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d != floor(d) || d < 0)
			return false;
		/* 2^64-1 cannot be a double: it arrives as 2^64, the usual spelling
		 * of "unlimited". */
		*out = d >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)d;
		return true;
	}
	return false;
}

int json_get_i64(const json_t *obj, const char *where, const char *key, bool required, int64_t min,
		 int64_t max, int64_t *out, bool *present, cell_error **err)
{
	json_t *v;
	if (present)
		*present = false;
	int r = lookup(obj, where, key, required, &v, err);
	if (r <= 0)
		return r;
	int64_t i;
	if (!json_as_i64(v, &i) || i < min || i > max) {
		char what[128];
		snprintf(what, sizeof(what), "an integer from %lld to %lld", (long long)min, (long long)max);
		return type_error(where, key, what, err);
	}
	*out = i;
	if (present)
		*present = true;
	return 0;
}

int json_get_u64(const json_t *obj, const char *where, const char *key, bool required, uint64_t *out,
		 bool *present, cell_error **err)
{
	json_t *v;
	if (present)
		*present = false;
	int r = lookup(obj, where, key, required, &v, err);
	if (r <= 0)
		return r;
	uint64_t u;
	if (!json_as_u64(v, &u))
		return type_error(where, key, "a non-negative integer", err);
	*out = u;
	if (present)
		*present = true;
	return 0;
}

int json_get_object(const json_t *obj, const char *where, const char *key, bool required, json_t **out,
		    cell_error **err)
{
	json_t *v;
	int r = lookup(obj, where, key, required, &v, err);
	if (r <= 0)
		return r;
	if (!json_is_object(v))
		return type_error(where, key, "an object", err);
	*out = v;
	return 0;
}

int json_get_array(const json_t *obj, const char *where, const char *key, bool required, json_t **out,
		   cell_error **err)
{
	json_t *v;
	int r = lookup(obj, where, key, required, &v, err);
	if (r <= 0)
		return r;
	if (!json_is_array(v))
		return type_error(where, key, "an array", err);
	*out = v;
	return 0;
}

int json_get_strv(const json_t *obj, const char *where, const char *key, bool required, const char ***out,
		  cell_error **err)
{
	json_t *v;
	int r = lookup(obj, where, key, required, &v, err);
	if (r <= 0)
		return r;
	if (!json_is_array(v))
		return type_error(where, key, "an array of strings", err);
	size_t n = json_array_size(v);
	const char **arr = calloc(n + 1, sizeof(char *));
	if (!arr)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(v, i);
		if (!json_is_string(s) || strlen(json_string_value(s)) != json_string_length(s)) {
			free(arr);
			char p[512];
			return cell_error_set(err, EINVAL, "%s: must be a string",
					      json_path_index(p, sizeof(p), where, key, i));
		}
		arr[i] = json_string_value(s);
	}
	*out = arr;
	return 0;
}
