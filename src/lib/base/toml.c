#include "toml.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

struct parser {
	const char *p, *end;
	int line;
	const char *what;
	cell_error **err;
};

static int fail(struct parser *ps, const char *msg)
{
	return cell_error_set(ps->err, EINVAL, "%s: line %d: %s", ps->what, ps->line, msg);
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t'))
		ps->p++;
}

/* Whitespace, newlines and comments (inside arrays). */
static void skip_ws_nl(struct parser *ps)
{
	for (;;) {
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == '#')
			while (ps->p < ps->end && *ps->p != '\n')
				ps->p++;
		if (ps->p < ps->end && (*ps->p == '\n' || *ps->p == '\r')) {
			if (*ps->p == '\n')
				ps->line++;
			ps->p++;
			continue;
		}
		return;
	}
}

static bool at_line_end(struct parser *ps)
{
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '#')
		while (ps->p < ps->end && *ps->p != '\n')
			ps->p++;
	if (ps->p < ps->end && *ps->p == '\r')
		ps->p++;
	return ps->p >= ps->end || *ps->p == '\n';
}

static int parse_string(struct parser *ps, char **out)
{
	char q = *ps->p++;
	size_t cap = 64, n = 0;
	_cleanup_free_ char *s = malloc(cap);
	if (!s)
		return cell_error_set(ps->err, ENOMEM, "out of memory");
	while (ps->p < ps->end && *ps->p != q) {
		char c = *ps->p++;
		if (c == '\n')
			return fail(ps, "newline in a string");
		if (q == '"' && c == '\\') {
			if (ps->p >= ps->end)
				break;
			char e = *ps->p++;
			switch (e) {
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'r':
				c = '\r';
				break;
			case '"':
			case '\\':
				c = e;
				break;
			default:
				return fail(ps, "unsupported escape in a string");
			}
		}
		if (n + 2 > cap) {
			cap *= 2;
			char *ns = realloc(s, cap);
			if (!ns)
				return cell_error_set(ps->err, ENOMEM, "out of memory");
			s = ns;
		}
		s[n++] = c;
	}
	if (ps->p >= ps->end)
		return fail(ps, "unterminated string");
	ps->p++;
	s[n] = '\0';
	*out = TAKE_PTR(s);
	return 0;
}

static int parse_key_part(struct parser *ps, char **out)
{
	skip_ws(ps);
	if (ps->p < ps->end && (*ps->p == '"' || *ps->p == '\'')) {
		int r = parse_string(ps, out);
		if (r < 0)
			return r;
		/* A JSON object refuses such a key, and drops the value it was
		 * given with it: refuse it here. */
		json_t *check = json_string(*out);
		if (!check) {
			free(*out);
			*out = NULL;
			return fail(ps, "key is not valid UTF-8");
		}
		json_decref(check);
		return 0;
	}
	const char *start = ps->p;
	while (ps->p < ps->end && (isalnum((unsigned char)*ps->p) || *ps->p == '-' || *ps->p == '_'))
		ps->p++;
	if (ps->p == start)
		return fail(ps, "expected a key");
	*out = strndup(start, (size_t)(ps->p - start));
	return *out ? 0 : cell_error_set(ps->err, ENOMEM, "out of memory");
}

#define MAX_KEY_PARTS 16

static void free_parts(char *parts[], int n)
{
	for (int i = 0; i < n; i++)
		free(parts[i]);
}

/* Dotted key into parts; returns the count or a negative errno (with the
 * parts read so far freed). */
static int parse_key(struct parser *ps, char *parts[MAX_KEY_PARTS])
{
	int n = 0;
	for (;;) {
		int r =
		    n == MAX_KEY_PARTS ? fail(ps, "key has too many parts") : parse_key_part(ps, &parts[n]);
		if (r < 0) {
			free_parts(parts, n);
			return r;
		}
		n++;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == '.') {
			ps->p++;
			continue;
		}
		return n;
	}
}

static int parse_value(struct parser *ps, json_t **out, int depth);

static int parse_array(struct parser *ps, json_t **out, int depth)
{
	ps->p++; /* '[' */
	json_t *arr = json_array();
	if (!arr)
		return cell_error_set(ps->err, ENOMEM, "out of memory");
	for (;;) {
		skip_ws_nl(ps);
		if (ps->p >= ps->end) {
			json_decref(arr);
			return fail(ps, "unterminated array");
		}
		if (*ps->p == ']') {
			ps->p++;
			*out = arr;
			return 0;
		}
		json_t *v = NULL;
		int r = parse_value(ps, &v, depth + 1);
		if (r < 0) {
			json_decref(arr);
			return r;
		}
		json_array_append_new(arr, v);
		skip_ws_nl(ps);
		if (ps->p < ps->end && *ps->p == ',')
			ps->p++;
		else if (ps->p < ps->end && *ps->p != ']') {
			json_decref(arr);
			return fail(ps, "expected ',' or ']' in an array");
		}
	}
}

static int parse_value(struct parser *ps, json_t **out, int depth)
{
	if (depth > 32)
		return fail(ps, "arrays nested too deeply");
	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "expected a value");
	char c = *ps->p;
	if (c == '"' || c == '\'') {
		_cleanup_free_ char *s = NULL;
		int r = parse_string(ps, &s);
		if (r < 0)
			return r;
		*out = json_string(s);
		return *out ? 0 : fail(ps, "string is not valid UTF-8");
	}
	if (c == '[')
		return parse_array(ps, out, depth);
	if ((size_t)(ps->end - ps->p) >= 4 && strncmp(ps->p, "true", 4) == 0) {
		ps->p += 4;
		*out = json_true();
		return 0;
	}
	if ((size_t)(ps->end - ps->p) >= 5 && strncmp(ps->p, "false", 5) == 0) {
		ps->p += 5;
		*out = json_false();
		return 0;
	}
	if (c == '-' || c == '+' || isdigit((unsigned char)c)) {
		char buf[32];
		size_t n = 0;
		while (ps->p < ps->end && n < sizeof(buf) - 1 &&
		       (isdigit((unsigned char)*ps->p) || *ps->p == '-' || *ps->p == '+' || *ps->p == '_'))
			if (*ps->p++ != '_')
				buf[n++] = ps->p[-1];
		buf[n] = '\0';
		char *e;
		errno = 0;
		long long v = strtoll(buf, &e, 10);
		if (*e || errno)
			return fail(ps, "bad integer");
		*out = json_integer(v);
		return 0;
	}
	return fail(ps, "unsupported value (strings, integers, booleans and arrays are)");
}

/* The table at parts under root, created as needed; an array of tables
 * along the way means its last element. */
static int descend(struct parser *ps, json_t *root, char *parts[], int n, json_t **out)
{
	json_t *t = root;
	for (int i = 0; i < n; i++) {
		json_t *next = json_object_get(t, parts[i]);
		if (!next) {
			next = json_object();
			json_object_set_new(t, parts[i], next);
		} else if (json_is_array(next)) {
			next = json_array_get(next, json_array_size(next) - 1);
		}
		if (!json_is_object(next))
			return fail(ps, "key is not a table");
		t = next;
	}
	*out = t;
	return 0;
}

int toml_parse(const char *buf, size_t len, const char *what, json_t **out, cell_error **err)
{
	struct parser ps = {.p = buf, .end = buf + len, .line = 1, .what = what, .err = err};
	json_t *root = json_object();
	json_t *table = root;
	if (!root)
		return cell_error_set(err, ENOMEM, "out of memory");
	int r = 0;
	while (r == 0) {
		skip_ws_nl(&ps);
		if (ps.p >= ps.end)
			break;
		char *parts[MAX_KEY_PARTS];
		int n;
		if (*ps.p == '[') {
			bool array = ps.p + 1 < ps.end && ps.p[1] == '[';
			ps.p += array ? 2 : 1;
			if ((n = parse_key(&ps, parts)) < 0) {
				r = n;
				break;
			}
			skip_ws(&ps);
			if (ps.end - ps.p < (array ? 2 : 1) || *ps.p != ']' || (array && ps.p[1] != ']')) {
				free_parts(parts, n);
				r = fail(&ps, "expected ']' after a table name");
				break;
			}
			ps.p += array ? 2 : 1;
			json_t *parent;
			r = descend(&ps, root, parts, n - 1, &parent);
			if (r == 0) {
				json_t *existing = json_object_get(parent, parts[n - 1]);
				if (array) {
					if (!existing) {
						existing = json_array();
						json_object_set_new(parent, parts[n - 1], existing);
					}
					if (!json_is_array(existing)) {
						r = fail(&ps, "table redefined as an array of tables");
					} else {
						table = json_object();
						json_array_append_new(existing, table);
					}
				} else if (existing && !json_is_object(existing)) {
					r = fail(&ps, "key redefined as a table");
				} else {
					if (!existing) {
						existing = json_object();
						json_object_set_new(parent, parts[n - 1], existing);
					}
					table = existing;
				}
			}
			free_parts(parts, n);
			if (r == 0 && !at_line_end(&ps))
				r = fail(&ps, "unexpected text after a table name");
			continue;
		}
		if ((n = parse_key(&ps, parts)) < 0) {
			r = n;
			break;
		}
		skip_ws(&ps);
		if (ps.p >= ps.end || *ps.p != '=') {
			free_parts(parts, n);
			r = fail(&ps, "expected '=' after a key");
			break;
		}
		ps.p++;
		json_t *v = NULL, *t = NULL;
		r = parse_value(&ps, &v, 0);
		if (r == 0)
			r = descend(&ps, table, parts, n - 1, &t);
		if (r == 0 && json_object_get(t, parts[n - 1]))
			r = fail(&ps, "key given twice");
		if (r == 0) {
			json_object_set_new(t, parts[n - 1], v);
			v = NULL;
		}
		json_decref(v);
		free_parts(parts, n);
		if (r == 0 && !at_line_end(&ps))
			r = fail(&ps, "unexpected text after a value");
	}
	if (r < 0) {
		json_decref(root);
		return r;
	}
	*out = root;
	return 0;
}
