#include "template.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"

struct buf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 256) + n;
		char *p = realloc(b->s, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void put_value(struct buf *b, json_t *v, bool as_json)
{
	if (!v) {
		put(b, "<no value>", 10);
		return;
	}
	if (!as_json && json_is_string(v)) {
		put(b, json_string_value(v), json_string_length(v));
		return;
	}
	if (!as_json && json_is_null(v)) {
		put(b, "<nil>", 5);
		return;
	}
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
	if (!s) {
		b->oom = true;
		return;
	}
	put(b, s, strlen(s));
	free(s);
}

/* ".A.B" (or ".") → the value in data, NULL when missing. */
static int lookup(const char *path, size_t len, json_t *data, json_t **out)
{
	if (len == 0 || path[0] != '.')
		return -EINVAL;
	json_t *v = data;
	size_t i = 1;
	while (i < len) {
		size_t start = i;
		while (i < len && path[i] != '.')
			i++;
		if (i == start)
			return -EINVAL;
		char key[256];
		if (i - start >= sizeof(key))
			return -EINVAL;
		memcpy(key, path + start, i - start);
		key[i - start] = '\0';
		v = json_is_object(v) ? json_object_get(v, key) : NULL;
		if (i < len)
			i++;
	}
	*out = v;
	return 0;
}

/* One action, the text between "{{" and "}}". */
static int action(struct buf *b, const char *a, size_t n, json_t *data, cell_error **err)
{
	while (n && isspace((unsigned char)*a))
		a++, n--;
	while (n && isspace((unsigned char)a[n - 1]))
		n--;
	bool as_json = false;
	if (n > 5 && strncmp(a, "json ", 5) == 0) {
		as_json = true;
		a += 5;
		n -= 5;
		while (n && isspace((unsigned char)*a))
			a++, n--;
	}
	if (n > 6 && strncmp(a, "index ", 6) == 0) {
		a += 6;
		n -= 6;
		const char *q = memchr(a, '"', n);
		if (!q)
			return cell_error_set(err, EINVAL, "template: index needs a quoted key");
		size_t pl = (size_t)(q - a);
		while (pl && isspace((unsigned char)a[pl - 1]))
			pl--;
		const char *end = memchr(q + 1, '"', n - (size_t)(q + 1 - a));
		if (!end)
			return cell_error_set(err, EINVAL, "template: unterminated key in index");
		json_t *obj;
		if (lookup(a, pl, data, &obj) < 0)
			return cell_error_set(err, EINVAL, "template: \"%.*s\" is not a field path", (int)pl,
					      a);
		char key[256];
		snprintf(key, sizeof(key), "%.*s", (int)(end - q - 1), q + 1);
		put_value(b, json_is_object(obj) ? json_object_get(obj, key) : NULL, as_json);
		return 0;
	}
	json_t *v;
	if (lookup(a, n, data, &v) < 0)
		return cell_error_set(err, EINVAL, "template: \"%.*s\" is not a field path (such as .Name)",
				      (int)n, a);
	put_value(b, v, as_json);
	return 0;
}

int template_render(const char *tmpl, json_t *data, char **out, cell_error **err)
{
	struct buf b = {0};
	put(&b, "", 0);
	const char *p = tmpl;
	while (*p) {
		if (p[0] == '{' && p[1] == '{') {
			const char *end = strstr(p + 2, "}}");
			if (!end) {
				free(b.s);
				return cell_error_set(err, EINVAL,
						      "template: \"{{\" at offset %zu is not closed",
						      (size_t)(p - tmpl));
			}
			int r = action(&b, p + 2, (size_t)(end - p - 2), data, err);
			if (r < 0) {
				free(b.s);
				return r;
			}
			p = end + 2;
			continue;
		}
		if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n')) {
			put(&b, p[1] == 't' ? "\t" : "\n", 1);
			p += 2;
			continue;
		}
		put(&b, p, 1);
		p++;
	}
	if (b.oom) {
		free(b.s);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	*out = b.s;
	return 0;
}
