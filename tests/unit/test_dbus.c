/* The D-Bus client: the bytes it writes (checked against the specification's
 * layout, not only read back by ourselves), the messages its reader refuses,
 * addresses, and calls and signals on a private dbus-daemon. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/file.h"
#include "dbus/dbus.h"
#include "tap.h"

/* ---- helpers ---- */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static struct dbus_msg *new_call(void)
{
	struct dbus_msg *m = NULL;
	cell_error *err = NULL;
	if (dbus_msg_new_call("org.example.Dest", "/p", "org.example.I", "M", &m, &err) < 0)
		tap_fail(__FILE__, __LINE__, "new call: %s", err->msg);
	return m;
}

/* m as bytes (serial 7). */
static uint8_t *bytes_of(struct dbus_msg *m, size_t *size)
{
	uint8_t *d = NULL;
	cell_error *err = NULL;
	if (dbus_msg_serialize(m, 7, &d, size, &err) < 0)
		tap_fail(__FILE__, __LINE__, "serialize: %s", err->msg);
	return d;
}

static const uint8_t *body_of(const uint8_t *d, size_t size, size_t *len)
{
	*len = le32(d + 4);
	return d + size - *len;
}

static struct dbus_msg *parse_ok(const uint8_t *d, size_t size)
{
	struct dbus_msg *m = NULL;
	cell_error *err = NULL;
	if (dbus_msg_parse(d, size, &m, &err) < 0)
		tap_fail(__FILE__, __LINE__, "parse: %s", err->msg);
	return m;
}

/* The parse must fail with code and a message holding what. */
static void parse_fails(const uint8_t *d, size_t size, int code, const char *what, int line)
{
	struct dbus_msg *m = NULL;
	cell_error *err = NULL;
	int r = dbus_msg_parse(d, size, &m, &err);
	if (r >= 0) {
		dbus_msg_free(m);
		tap_fail(__FILE__, line, "parsed, expected an error with \"%s\"", what);
	}
	if (r != -code || !err || !strstr(err->msg, what))
		tap_fail(__FILE__, line, "got %d \"%s\", expected %d with \"%s\"", r,
			 err ? err->msg : "(none)", -code, what);
	cell_error_free(err);
}
#define PARSE_FAILS(d, size, code, what) parse_fails(d, size, code, what, __LINE__)

/* A message written by hand, in either byte order, so that the reader meets
 * what our writer never makes. */
struct raw {
	uint8_t b[8192];
	size_t n;
	bool be;
};

static void raw_pad(struct raw *r, size_t a)
{
	while (r->n % a)
		r->b[r->n++] = 0;
}

static void raw_u8(struct raw *r, uint8_t v)
{
	r->b[r->n++] = v;
}

static void raw_u32(struct raw *r, uint32_t v)
{
	raw_pad(r, 4);
	for (int i = 0; i < 4; i++)
		r->b[r->n++] = (uint8_t)(r->be ? v >> (24 - 8 * i) : v >> (8 * i));
}

static void raw_put32(struct raw *r, size_t at, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		r->b[at + (size_t)i] = (uint8_t)(r->be ? v >> (24 - 8 * i) : v >> (8 * i));
}

static void raw_bytes(struct raw *r, const void *p, size_t n)
{
	if (n == 0) /* p may be NULL */
		return;
	memcpy(r->b + r->n, p, n);
	r->n += n;
}

/* Header field code of type t (s o g u) with a string or a number. */
static void raw_field(struct raw *r, uint8_t code, char t, const char *s, uint32_t u)
{
	raw_pad(r, 8);
	raw_u8(r, code);
	raw_u8(r, 1);
	raw_u8(r, (uint8_t)t);
	raw_u8(r, 0);
	if (t == 'u') {
		raw_u32(r, u);
	} else if (t == 'g') {
		raw_u8(r, (uint8_t)strlen(s));
		raw_bytes(r, s, strlen(s) + 1);
	} else {
		raw_u32(r, (uint32_t)strlen(s));
		raw_bytes(r, s, strlen(s) + 1);
	}
}

/* Start a message of type (flags 0, version 1, serial 1) up to its fields. */
static void raw_start(struct raw *r, bool be, uint8_t type)
{
	r->n = 0;
	r->be = be;
	raw_u8(r, be ? 'B' : 'l');
	raw_u8(r, type);
	raw_u8(r, 0);
	raw_u8(r, 1);
	raw_u32(r, 0); /* body length, set by raw_end */
	raw_u32(r, 1);
	raw_u32(r, 0); /* fields' length */
}

static void raw_end(struct raw *r, const void *body, size_t len)
{
	raw_put32(r, 12, (uint32_t)(r->n - 16));
	raw_pad(r, 8);
	raw_put32(r, 4, (uint32_t)len);
	raw_bytes(r, body, len);
}

/* A signal /a a.b.C with body sig and these body bytes. */
static void raw_signal(struct raw *r, bool be, const char *sig, const void *body, size_t len)
{
	raw_start(r, be, DBUS_SIGNAL);
	raw_field(r, 1, 'o', "/a", 0);
	raw_field(r, 2, 's', "a.b", 0);
	raw_field(r, 3, 's', "C", 0);
	if (sig)
		raw_field(r, 8, 'g', sig, 0);
	raw_end(r, body, len);
}

/* ---- writing ---- */

TEST(writes_the_layout_of_the_specification)
{
	_cleanup_dbus_msg_ struct dbus_msg *m = new_call();
	ASSERT_EQ(0, dbus_msg_append(m, NULL, "yt", 1, (uint64_t)0x0102030405060708ULL));
	size_t size, blen;
	_cleanup_free_ uint8_t *d = bytes_of(m, &size);
	ASSERT_EQ('l', d[0]);
	ASSERT_EQ(DBUS_METHOD_CALL, d[1]);
	ASSERT_EQ(0, d[2]);
	ASSERT_EQ(1, d[3]);
	ASSERT_EQ(16, le32(d + 4)); /* y, 7 bytes of padding, t */
	ASSERT_EQ(7, le32(d + 8));
	/* The fields, padded to 8, then the body. */
	ASSERT_EQ((16 + le32(d + 12) + 7) / 8 * 8 + 16, size);
	/* The first header field: PATH (1), signature "o", the string "/p". */
	static const uint8_t path[] = {1, 1, 'o', 0, 2, 0, 0, 0, '/', 'p', 0};
	ASSERT_EQ(0, memcmp(d + 16, path, sizeof(path)));
	/* INTERFACE (2) next, at the next multiple of 8. */
	static const uint8_t iface[] = {2, 1, 's', 0, 13, 0, 0, 0, 'o', 'r', 'g', '.'};
	ASSERT_EQ(0, memcmp(d + 32, iface, sizeof(iface)));
	const uint8_t *b = body_of(d, size, &blen);
	static const uint8_t body[] = {1, 0, 0, 0, 0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1};
	ASSERT_EQ(16, blen);
	ASSERT_EQ(0, memcmp(b, body, 16));
	/* The SIGNATURE field says "yt". */
	ASSERT_TRUE(memmem(d, size, "\x08\x01g\x00\x02yt\x00", 8) != NULL);
}

/* One value of type t after a byte: where it lands and its bytes. */
static void put_after_byte(struct dbus_msg *m, char t)
{
	cell_error *err = NULL;
	int r = dbus_msg_put(m, 'y', (union dbus_value){.y = 0xaa}, &err);
	switch (t) {
	case 'a':
		if (r >= 0 && (r = dbus_msg_open(m, 'a', "u", &err)) >= 0 &&
		    (r = dbus_msg_put(m, 'u', (union dbus_value){.u = 5}, &err)) >= 0)
			r = dbus_msg_close(m, &err);
		break;
	case '(':
		if (r >= 0 && (r = dbus_msg_open(m, '(', "y", &err)) >= 0 &&
		    (r = dbus_msg_put(m, 'y', (union dbus_value){.y = 9}, &err)) >= 0)
			r = dbus_msg_close(m, &err);
		break;
	case 'v':
		if (r >= 0 && (r = dbus_msg_open(m, 'v', "y", &err)) >= 0 &&
		    (r = dbus_msg_put(m, 'y', (union dbus_value){.y = 3}, &err)) >= 0)
			r = dbus_msg_close(m, &err);
		break;
	case 's':
	case 'o':
	case 'g':
		if (r >= 0)
			r = dbus_msg_put(m, t,
					 (union dbus_value){.s = t == 'g'   ? "u"
								 : t == 'o' ? "/x"
									    : "hi"},
					 &err);
		break;
	default:
		if (r >= 0)
			r = dbus_msg_put(m, t, (union dbus_value){.t = 0x0807060504030201ULL}, &err);
		break;
	}
	if (r < 0)
		tap_fail(__FILE__, __LINE__, "%c: %s", t, err->msg);
}

TEST(aligns_every_type)
{
	static const struct {
		char type;
		size_t at; /* where the value starts, after 'y' at 0 */
		size_t len;
		uint8_t bytes[12];
	} cases[] = {
	    {'y', 1, 1, {1}},
	    {'b', 4, 4, {1, 0, 0, 0}},
	    {'n', 2, 2, {1, 2}},
	    {'q', 2, 2, {1, 2}},
	    {'i', 4, 4, {1, 2, 3, 4}},
	    {'u', 4, 4, {1, 2, 3, 4}},
	    {'x', 8, 8, {1, 2, 3, 4, 5, 6, 7, 8}},
	    {'t', 8, 8, {1, 2, 3, 4, 5, 6, 7, 8}},
	    {'d', 8, 8, {1, 2, 3, 4, 5, 6, 7, 8}},
	    {'s', 4, 7, {2, 0, 0, 0, 'h', 'i', 0}},
	    {'o', 4, 7, {2, 0, 0, 0, '/', 'x', 0}},
	    {'g', 1, 3, {1, 'u', 0}},
	    {'a', 4, 8, {4, 0, 0, 0, 5, 0, 0, 0}},
	    {'(', 8, 1, {9}},
	    {'v', 1, 4, {1, 'y', 0, 3}},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_dbus_msg_ struct dbus_msg *m = new_call();
		put_after_byte(m, cases[i].type);
		size_t size, blen;
		_cleanup_free_ uint8_t *d = bytes_of(m, &size);
		const uint8_t *b = body_of(d, size, &blen);
		if (blen != cases[i].at + cases[i].len)
			tap_fail(__FILE__, __LINE__, "'%c': body of %zu bytes, expected %zu", cases[i].type,
				 blen, cases[i].at + cases[i].len);
		ASSERT_EQ(0xaa, b[0]);
		for (size_t k = 1; k < cases[i].at; k++)
			if (b[k])
				tap_fail(__FILE__, __LINE__, "'%c': padding byte %zu is %u", cases[i].type, k,
					 b[k]);
		if (memcmp(b + cases[i].at, cases[i].bytes, cases[i].len) != 0)
			tap_fail(__FILE__, __LINE__, "'%c': wrong bytes", cases[i].type);
		/* and it reads back */
		_cleanup_dbus_msg_ struct dbus_msg *p = parse_ok(d, size);
		ASSERT_EQ(0, dbus_msg_skip(p, NULL));
		ASSERT_EQ(0, dbus_msg_skip(p, NULL));
		char t;
		ASSERT_EQ(0, dbus_msg_peek(p, &t, NULL, NULL));
	}
}

TEST(pads_empty_arrays_to_their_element)
{
	/* y, pad to 4, length 0, pad to 8 for the (t) that is not there; the
	 * length counts no padding. */
	_cleanup_dbus_msg_ struct dbus_msg *m = new_call();
	ASSERT_EQ(0, dbus_msg_append(m, NULL, "ya(t)", 1, 0u));
	size_t size, blen;
	_cleanup_free_ uint8_t *d = bytes_of(m, &size);
	const uint8_t *b = body_of(d, size, &blen);
	ASSERT_EQ(8, blen);
	ASSERT_EQ(0, le32(b + 4));
	_cleanup_dbus_msg_ struct dbus_msg *m2 = new_call();
	ASSERT_EQ(0, dbus_msg_append(m2, NULL, "ya(t)", 1, 1u, (uint64_t)5));
	_cleanup_free_ uint8_t *d2 = bytes_of(m2, &size);
	b = body_of(d2, size, &blen);
	ASSERT_EQ(16, blen);
	ASSERT_EQ(8, le32(b + 4));
	ASSERT_EQ(5, b[8]);
}

TEST(round_trips_every_type)
{
	_cleanup_dbus_msg_ struct dbus_msg *m = new_call();
	ASSERT_EQ(0, dbus_msg_append(m, NULL, "ybnqiuxtdsog", 200, 1, -12345, 65000, -2000000000, 4000000000u,
				     (int64_t)INT64_MIN, (uint64_t)UINT64_MAX, 3.25, "grüße", "/a/b_c",
				     "a{sv}(i)"));
	ASSERT_EQ(0, dbus_msg_append(m, NULL, "asay", 3u, "one", "", "three", 0u));
	ASSERT_EQ(0, dbus_msg_append(m, NULL, "a{sv}", 3u, "t", "t", (uint64_t)42, "list", "as", 2u, "x", "y",
				     "st", "(ib)", -1, 0));
	ASSERT_EQ(0, dbus_msg_append(m, NULL, "(yv)aay", 7, "v", "s", "inner", 2u, 2u, 1, 2, 0u));
	ASSERT_STREQ("ybnqiuxtdsogasaya{sv}(yv)aay", dbus_msg_signature(m));
	size_t size;
	_cleanup_free_ uint8_t *d = bytes_of(m, &size);
	_cleanup_dbus_msg_ struct dbus_msg *p = parse_ok(d, size);
	ASSERT_EQ(DBUS_METHOD_CALL, dbus_msg_type(p));
	ASSERT_EQ(7, dbus_msg_serial(p));
	ASSERT_STREQ("/p", dbus_msg_path(p));
	ASSERT_STREQ("org.example.I", dbus_msg_interface(p));
	ASSERT_STREQ("M", dbus_msg_member(p));
	ASSERT_STREQ("org.example.Dest", dbus_msg_destination(p));
	ASSERT_STREQ("ybnqiuxtdsogasaya{sv}(yv)aay", dbus_msg_signature(p));

	uint8_t y;
	bool b;
	int16_t n;
	uint16_t q;
	int32_t i;
	uint32_t u;
	int64_t x;
	uint64_t t;
	double dd;
	const char *s, *o, *g;
	ASSERT_EQ(0, dbus_msg_read(p, NULL, "ybnqiuxtdsog", &y, &b, &n, &q, &i, &u, &x, &t, &dd, &s, &o, &g));
	ASSERT_EQ(200, y);
	ASSERT_TRUE(b);
	ASSERT_EQ(-12345, n);
	ASSERT_EQ(65000, q);
	ASSERT_EQ(-2000000000, i);
	ASSERT_EQ(4000000000u, u);
	ASSERT_TRUE(x == INT64_MIN);
	ASSERT_TRUE(t == UINT64_MAX);
	ASSERT_TRUE(dd == 3.25);
	ASSERT_STREQ("grüße", s);
	ASSERT_STREQ("/a/b_c", o);
	ASSERT_STREQ("a{sv}(i)", g);

	/* as */
	const char *want[] = {"one", "", "three"};
	size_t k = 0;
	ASSERT_EQ(0, dbus_msg_enter(p, 'a', NULL));
	char type;
	while (dbus_msg_peek(p, &type, NULL, NULL) > 0) {
		ASSERT_TRUE(k < 3);
		ASSERT_EQ(0, dbus_msg_read(p, NULL, "s", &s));
		ASSERT_STREQ(want[k], s);
		k++;
	}
	ASSERT_EQ(3, k);
	ASSERT_EQ(0, dbus_msg_exit(p, NULL));
	/* ay, empty */
	ASSERT_EQ(0, dbus_msg_enter(p, 'a', NULL));
	ASSERT_EQ(0, dbus_msg_peek(p, &type, NULL, NULL));
	ASSERT_EQ(0, dbus_msg_exit(p, NULL));
	/* a{sv} */
	const char *contents;
	size_t clen;
	ASSERT_EQ(1, dbus_msg_peek(p, &type, &contents, &clen));
	ASSERT_EQ('a', type);
	ASSERT_EQ(4, clen);
	ASSERT_EQ(0, memcmp(contents, "{sv}", 4));
	ASSERT_EQ(0, dbus_msg_enter(p, 'a', NULL));
	ASSERT_EQ(0, dbus_msg_enter(p, '{', NULL));
	ASSERT_EQ(0, dbus_msg_read(p, NULL, "s", &s));
	ASSERT_STREQ("t", s);
	ASSERT_EQ(1, dbus_msg_peek(p, &type, &contents, &clen));
	ASSERT_EQ('v', type);
	ASSERT_EQ(1, clen);
	ASSERT_EQ('t', contents[0]);
	ASSERT_EQ(0, dbus_msg_enter(p, 'v', NULL));
	ASSERT_EQ(0, dbus_msg_read(p, NULL, "t", &t));
	ASSERT_EQ(42, t);
	ASSERT_EQ(0, dbus_msg_exit(p, NULL));
	ASSERT_EQ(0, dbus_msg_exit(p, NULL));
	ASSERT_EQ(0, dbus_msg_enter(p, '{', NULL));
	ASSERT_EQ(0, dbus_msg_read(p, NULL, "s", &s));
	ASSERT_STREQ("list", s);
	ASSERT_EQ(0, dbus_msg_enter(p, 'v', NULL));
	ASSERT_EQ(0, dbus_msg_enter(p, 'a', NULL));
	ASSERT_EQ(0, dbus_msg_read(p, NULL, "ss", &s, &o));
	ASSERT_STREQ("x", s);
	ASSERT_STREQ("y", o);
	ASSERT_EQ(0, dbus_msg_peek(p, &type, NULL, NULL));
	ASSERT_EQ(0, dbus_msg_exit(p, NULL));
	ASSERT_EQ(0, dbus_msg_exit(p, NULL));
	ASSERT_EQ(0, dbus_msg_exit(p, NULL));
	ASSERT_EQ(0, dbus_msg_enter(p, '{', NULL));
	ASSERT_EQ(0, dbus_msg_read(p, NULL, "s", &s));
	ASSERT_STREQ("st", s);
	ASSERT_EQ(0, dbus_msg_enter(p, 'v', NULL));
	ASSERT_EQ(0, dbus_msg_enter(p, '(', NULL));
	ASSERT_EQ(0, dbus_msg_read(p, NULL, "ib", &i, &b));
	ASSERT_EQ(-1, i);
	ASSERT_FALSE(b);
	ASSERT_EQ(0, dbus_msg_exit(p, NULL));
	ASSERT_EQ(0, dbus_msg_exit(p, NULL));
	ASSERT_EQ(0, dbus_msg_exit(p, NULL));
	ASSERT_EQ(0, dbus_msg_peek(p, &type, NULL, NULL));
	ASSERT_EQ(0, dbus_msg_exit(p, NULL));
	/* (yv) with v of s */
	ASSERT_EQ(0, dbus_msg_enter(p, '(', NULL));
	ASSERT_EQ(0, dbus_msg_read(p, NULL, "y", &y));
	ASSERT_EQ(7, y);
	ASSERT_EQ(0, dbus_msg_enter(p, 'v', NULL));
	ASSERT_EQ(0, dbus_msg_enter(p, 'v', NULL));
	ASSERT_EQ(0, dbus_msg_read(p, NULL, "s", &s));
	ASSERT_STREQ("inner", s);
	ASSERT_EQ(0, dbus_msg_exit(p, NULL));
	ASSERT_EQ(0, dbus_msg_exit(p, NULL));
	ASSERT_EQ(0, dbus_msg_exit(p, NULL));
	/* aay: [[1,2],[]] */
	ASSERT_EQ(0, dbus_msg_enter(p, 'a', NULL));
	ASSERT_EQ(0, dbus_msg_enter(p, 'a', NULL));
	ASSERT_EQ(0, dbus_msg_read(p, NULL, "yy", &y, &y));
	ASSERT_EQ(2, y);
	ASSERT_EQ(0, dbus_msg_exit(p, NULL));
	ASSERT_EQ(0, dbus_msg_enter(p, 'a', NULL));
	ASSERT_EQ(0, dbus_msg_peek(p, &type, NULL, NULL));
	ASSERT_EQ(0, dbus_msg_exit(p, NULL));
	ASSERT_EQ(0, dbus_msg_peek(p, &type, NULL, NULL));
	ASSERT_EQ(0, dbus_msg_exit(p, NULL));
	/* the end of the body */
	ASSERT_EQ(0, dbus_msg_peek(p, &type, NULL, NULL));
	_cleanup_error_ cell_error *err = NULL;
	ASSERT_TRUE(dbus_msg_read(p, &err, "u", &u) < 0);
	ASSERT_CONTAINS(err->msg, "no more values");
	/* and from the start again, skipping */
	dbus_msg_rewind(p);
	for (k = 0; k < 17; k++)
		ASSERT_EQ(0, dbus_msg_skip(p, NULL));
	ASSERT_EQ(0, dbus_msg_peek(p, &type, NULL, NULL));
	dbus_msg_rewind(p);
	ASSERT_TRUE(dbus_msg_read(p, &err, "s", &s) < 0);
	ASSERT_CONTAINS(err->msg, "a value of type 'y' where 's' was expected");
}

TEST(writer_refuses_what_the_types_do_not_allow)
{
	_cleanup_error_ cell_error *err = NULL;
	struct dbus_msg *m = NULL;
	ASSERT_TRUE(dbus_msg_new_call("org.x.Y", "a/b", NULL, "M", &m, &err) < 0);
	ASSERT_CONTAINS(err->msg, "\"a/b\" is not a valid PATH");
	ASSERT_TRUE(dbus_msg_new_call("org.x.Y", "/a/", NULL, "M", &m, &err) < 0);
	ASSERT_TRUE(dbus_msg_new_call("org.x.Y", "/a", NULL, "1M", &m, &err) < 0);
	ASSERT_CONTAINS(err->msg, "MEMBER");
	ASSERT_TRUE(dbus_msg_new_call("org.x.Y", "/a", "nodot", "M", &m, &err) < 0);
	ASSERT_CONTAINS(err->msg, "INTERFACE");
	ASSERT_TRUE(dbus_msg_new_call("org..Y", "/a", NULL, "M", &m, &err) < 0);
	ASSERT_CONTAINS(err->msg, "DESTINATION");

	_cleanup_dbus_msg_ struct dbus_msg *c = new_call();
	ASSERT_EQ(0, dbus_msg_open(c, 'a', "s", &err));
	ASSERT_EQ(-EINVAL, dbus_msg_put(c, 'u', (union dbus_value){.u = 1}, &err));
	ASSERT_CONTAINS(err->msg, "a value of type \"u\" where \"s\" belongs");
	ASSERT_EQ(0, dbus_msg_put(c, 's', (union dbus_value){.s = "ok"}, &err));
	ASSERT_EQ(-EINVAL, dbus_msg_put(c, 's', (union dbus_value){.s = "\xff"}, &err));
	ASSERT_CONTAINS(err->msg, "not UTF-8");
	ASSERT_EQ(0, dbus_msg_close(c, &err));
	ASSERT_EQ(-EINVAL, dbus_msg_open(c, '{', "sv", &err));
	ASSERT_CONTAINS(err->msg, "a dict entry outside an array");
	ASSERT_EQ(-EINVAL, dbus_msg_open(c, 'v', "ss", &err));
	ASSERT_CONTAINS(err->msg, "more than one complete type");
	ASSERT_EQ(-EINVAL, dbus_msg_open(c, 'a', "", &err));
	ASSERT_EQ(-EINVAL, dbus_msg_open(c, 'a', "{vs}", &err));
	ASSERT_CONTAINS(err->msg, "key is not of a basic type");
	ASSERT_EQ(-EINVAL, dbus_msg_put(c, 'o', (union dbus_value){.s = "/a//b"}, &err));
	ASSERT_EQ(-EINVAL, dbus_msg_put(c, 'g', (union dbus_value){.s = "(s"}, &err));
	ASSERT_EQ(-EINVAL, dbus_msg_append(c, &err, "(s", "x"));
	ASSERT_EQ(0, dbus_msg_open(c, '(', "su", &err));
	ASSERT_EQ(0, dbus_msg_put(c, 's', (union dbus_value){.s = "x"}, &err));
	ASSERT_EQ(-EINVAL, dbus_msg_close(c, &err));
	ASSERT_CONTAINS(err->msg, "closed after \"s\"");
	uint8_t *d = NULL;
	size_t size;
	ASSERT_EQ(-EINVAL, dbus_msg_serialize(c, 1, &d, &size, &err));
	ASSERT_CONTAINS(err->msg, "still open");
	ASSERT_EQ(0, dbus_msg_put(c, 'u', (union dbus_value){.u = 1}, &err));
	ASSERT_EQ(0, dbus_msg_close(c, &err));
	ASSERT_EQ(-EINVAL, dbus_msg_close(c, &err));

	/* Nothing above our 1 MiB. */
	_cleanup_dbus_msg_ struct dbus_msg *big = new_call();
	ASSERT_EQ(0, dbus_msg_open(big, 'a', "t", &err));
	int r = 0;
	for (size_t i = 0; i < DBUS_MESSAGE_MAX / 8 + 1 && r == 0; i++)
		r = dbus_msg_put(big, 't', (union dbus_value){.t = i}, &err);
	ASSERT_EQ(-EMSGSIZE, r);
	ASSERT_CONTAINS(err->msg, "larger than 1048576 bytes");
}

/* ---- reading what is wrong ---- */

TEST(refuses_truncated_and_overlong_messages)
{
	_cleanup_dbus_msg_ struct dbus_msg *m = new_call();
	ASSERT_EQ(0, dbus_msg_append(m, NULL, "sa{sv}", "hello", 1u, "k", "u", 5u));
	size_t size;
	_cleanup_free_ uint8_t *d = bytes_of(m, &size);
	for (size_t n = 0; n < size; n++)
		PARSE_FAILS(d, n, EBADMSG, "truncated");
	_cleanup_free_ uint8_t *more = malloc(size + 1);
	memcpy(more, d, size);
	more[size] = 0;
	PARSE_FAILS(more, size + 1, EBADMSG, "its header says");
	dbus_msg_free(parse_ok(d, size));
}

TEST(refuses_bad_padding_and_misaligned_values)
{
	struct raw r;
	static const uint8_t good[] = {1, 0, 0, 0, 5, 0, 0, 0};
	raw_signal(&r, false, "yu", good, sizeof(good));
	dbus_msg_free(parse_ok(r.b, r.n));
	static const uint8_t dirty[] = {1, 0, 1, 0, 5, 0, 0, 0};
	raw_signal(&r, false, "yu", dirty, sizeof(dirty));
	PARSE_FAILS(r.b, r.n, EBADMSG, "padding that is not zero");
	/* a t right after the y, where the writer pads to 8 */
	static const uint8_t packed[] = {1, 1, 2, 3, 4, 5, 6, 7, 8};
	raw_signal(&r, false, "yt", packed, sizeof(packed));
	PARSE_FAILS(r.b, r.n, EBADMSG, "padding that is not zero");
	static const uint8_t packed0[] = {1, 0, 0, 0, 0, 0, 0, 0, 8};
	raw_signal(&r, false, "yt", packed0, sizeof(packed0));
	PARSE_FAILS(r.b, r.n, EBADMSG, "8 bytes needed, 1 left");
	/* bytes after the last value */
	raw_signal(&r, false, "y", good, sizeof(good));
	PARSE_FAILS(r.b, r.n, EBADMSG, "7 bytes after the last value");
	/* a body without a signature */
	raw_signal(&r, false, NULL, good, sizeof(good));
	PARSE_FAILS(r.b, r.n, EBADMSG, "8 bytes after the last value");
	/* an array longer than what follows, and one whose last element
	 * crosses its end */
	static const uint8_t longer[] = {9, 0, 0, 0, 1, 0, 0, 0};
	raw_signal(&r, false, "au", longer, sizeof(longer));
	PARSE_FAILS(r.b, r.n, EBADMSG, "an array of 9 bytes runs past the end");
	static const uint8_t crossing[] = {2, 0, 0, 0, 1, 0, 0, 0};
	raw_signal(&r, false, "au", crossing, sizeof(crossing));
	PARSE_FAILS(r.b, r.n, EBADMSG, "4 bytes needed, 2 left");
}

TEST(refuses_nesting_deeper_than_the_specification)
{
	struct raw r;
	uint8_t body[512];
	/* 64 variants, each around the next, then a byte: allowed; 65 not. */
	for (int depth = 64; depth <= 65; depth++) {
		size_t n = 0;
		for (int i = 0; i < depth - 1; i++) {
			body[n++] = 1;
			body[n++] = 'v';
			body[n++] = 0;
		}
		body[n++] = 1;
		body[n++] = 'y';
		body[n++] = 0;
		body[n++] = 42;
		raw_signal(&r, false, "v", body, n);
		if (depth == 64) {
			/* 63 nested in the body's variant: 64 containers */
			_cleanup_dbus_msg_ struct dbus_msg *m = parse_ok(r.b, r.n);
			for (int i = 0; i < 64; i++)
				ASSERT_EQ(0, dbus_msg_enter(m, 'v', NULL));
			uint8_t y;
			ASSERT_EQ(0, dbus_msg_read(m, NULL, "y", &y));
			ASSERT_EQ(42, y);
		} else {
			PARSE_FAILS(r.b, r.n, EBADMSG, "more than 64 nested containers");
		}
	}
	/* 32 arrays in one signature, and 32 structs: allowed; 33 not. */
	char sig[80];
	memset(sig, 'a', 32);
	strcpy(sig + 32, "y");
	static const uint8_t empty[] = {0, 0, 0, 0};
	raw_signal(&r, false, sig, empty, 4);
	dbus_msg_free(parse_ok(r.b, r.n));
	memset(sig, 'a', 33);
	strcpy(sig + 33, "y");
	raw_signal(&r, false, sig, empty, 4);
	PARSE_FAILS(r.b, r.n, EBADMSG, "more than 32 nested arrays");
	for (int depth = 32; depth <= 33; depth++) {
		memset(sig, '(', (size_t)depth);
		sig[depth] = 'y';
		memset(sig + depth + 1, ')', (size_t)depth);
		sig[2 * depth + 1] = '\0';
		static const uint8_t one[] = {1};
		raw_signal(&r, false, sig, one, 1);
		if (depth == 32)
			dbus_msg_free(parse_ok(r.b, r.n));
		else
			PARSE_FAILS(r.b, r.n, EBADMSG, "more than 32 nested structs");
	}
}

TEST(refuses_bad_signatures)
{
	static const struct {
		const char *sig, *why;
	} cases[] = {
	    {"(", "a struct is not closed"},
	    {"a", "a type is missing"},
	    {"{sv}", "a dict entry outside an array"},
	    {"z", "an unknown type code"},
	    {"()", "an empty struct"},
	    {"a{vs}", "key is not of a basic type"},
	    {"a{ss", "a dict entry is not closed"},
	    {"a{sss}", "without exactly a key and a value"},
	    {"a{s}", "without exactly a key and a value"},
	    {"u)", "a closing bracket without its opening"},
	};
	struct raw r;
	static const uint8_t body[8] = {0};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		raw_signal(&r, false, cases[i].sig, body, sizeof(body));
		PARSE_FAILS(r.b, r.n, EBADMSG, cases[i].why);
	}
	/* a variant must hold one type */
	static const uint8_t two[] = {2, 'y', 'y', 0, 1, 2};
	raw_signal(&r, false, "v", two, sizeof(two));
	PARSE_FAILS(r.b, r.n, EBADMSG, "variant of \"yy\": more than one complete type");
	static const uint8_t none[] = {0, 0};
	raw_signal(&r, false, "v", none, sizeof(none));
	PARSE_FAILS(r.b, r.n, EBADMSG, "empty where one type is needed");
	/* a signature value that says nothing valid */
	static const uint8_t gbad[] = {2, 'a', 'a', 0};
	raw_signal(&r, false, "g", gbad, sizeof(gbad));
	PARSE_FAILS(r.b, r.n, EBADMSG, "signature \"aa\": a type is missing");
}

TEST(refuses_oversized_messages)
{
	struct raw r;
	raw_signal(&r, false, "y", "\x01", 1);
	raw_put32(&r, 4, 2 * 1024 * 1024);
	size_t size;
	_cleanup_error_ cell_error *err = NULL;
	ASSERT_EQ(-EMSGSIZE, dbus_frame_size(r.b, r.n, &size, &err));
	ASSERT_CONTAINS(err->msg, "more than our limit of 1048576");
	/* a fields' length of 4 GiB: no overflow into something small */
	raw_signal(&r, false, "y", "\x01", 1);
	raw_put32(&r, 12, 0xfffffff8u);
	ASSERT_EQ(-EMSGSIZE, dbus_frame_size(r.b, r.n, &size, &err));
	/* an array length of more than 64 MiB, in a small message */
	static const uint8_t huge[] = {0, 0, 0, 8, 1, 0, 0, 0};
	raw_signal(&r, false, "au", huge, sizeof(huge));
	PARSE_FAILS(r.b, r.n, EBADMSG, "more than 64 MiB");
	/* fewer than 16 bytes: not yet a frame */
	ASSERT_EQ(0, dbus_frame_size(r.b, 15, &size, NULL));
	ASSERT_EQ(0, size);
}

TEST(refuses_bad_strings_and_values)
{
	static const struct {
		const char *sig;
		uint8_t body[16];
		size_t len;
		const char *why;
	} cases[] = {
	    {"s", {3, 0, 0, 0, 'a', 'b', 'c', 'd'}, 8, "not NUL terminated"},
	    {"s", {3, 0, 0, 0, 'a', 0, 'c', 0}, 8, "holds a NUL byte"},
	    {"s", {2, 0, 0, 0, 0xc0, 0x80, 0}, 7, "not UTF-8"},             /* overlong NUL */
	    {"s", {3, 0, 0, 0, 0xed, 0xa0, 0x80, 0}, 8, "not UTF-8"},       /* a surrogate */
	    {"s", {4, 0, 0, 0, 0xf4, 0x90, 0x80, 0x80, 0}, 9, "not UTF-8"}, /* past U+10FFFF */
	    {"s", {2, 0, 0, 0, 'a', 0xe2, 0}, 7, "not UTF-8"},              /* cut short */
	    {"s", {9, 0, 0, 0, 'a', 0}, 6, "a string of 9 bytes runs past the end"},
	    {"s", {0xff, 0xff, 0xff, 0xff, 'a', 0}, 6, "runs past the end"},
	    {"b", {2, 0, 0, 0}, 4, "boolean 2 is neither 0 nor 1"},
	    {"o", {3, 0, 0, 0, '/', 'a', '/', 0}, 8, "is not an object path"},
	    {"o", {2, 0, 0, 0, '/', '-', 0}, 7, "is not an object path"},
	    {"g", {1, 'u'}, 2, "runs past the end"},
	};
	struct raw r;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		raw_signal(&r, false, cases[i].sig, cases[i].body, cases[i].len);
		PARSE_FAILS(r.b, r.n, EBADMSG, cases[i].why);
	}
	/* and what is right */
	static const uint8_t ok[] = {4, 0, 0, 0, 0xf0, 0x9f, 0x90, 0xb3, 0};
	raw_signal(&r, false, "s", ok, sizeof(ok));
	_cleanup_dbus_msg_ struct dbus_msg *m = parse_ok(r.b, r.n);
	const char *s;
	ASSERT_EQ(0, dbus_msg_read(m, NULL, "s", &s));
	ASSERT_STREQ("\xf0\x9f\x90\xb3", s);
}

TEST(checks_the_header)
{
	struct raw r;
	raw_signal(&r, false, "y", "\x01", 1);
	r.b[0] = 'x';
	PARSE_FAILS(r.b, r.n, EBADMSG, "neither 'l' nor 'B'");
	raw_signal(&r, false, "y", "\x01", 1);
	r.b[3] = 2;
	PARSE_FAILS(r.b, r.n, EBADMSG, "protocol version 2");
	raw_signal(&r, false, "y", "\x01", 1);
	raw_put32(&r, 8, 0);
	PARSE_FAILS(r.b, r.n, EBADMSG, "serial 0");
	raw_signal(&r, false, "y", "\x01", 1);
	r.b[1] = 0;
	PARSE_FAILS(r.b, r.n, EBADMSG, "message type 0");

	/* What each type needs. */
	raw_start(&r, false, DBUS_METHOD_RETURN);
	raw_end(&r, NULL, 0);
	PARSE_FAILS(r.b, r.n, EBADMSG, "without header field REPLY_SERIAL");
	raw_start(&r, false, DBUS_ERROR);
	raw_field(&r, 5, 'u', NULL, 3);
	raw_end(&r, NULL, 0);
	PARSE_FAILS(r.b, r.n, EBADMSG, "without header field ERROR_NAME");
	raw_start(&r, false, DBUS_SIGNAL);
	raw_field(&r, 1, 'o', "/a", 0);
	raw_field(&r, 3, 's', "C", 0);
	raw_end(&r, NULL, 0);
	PARSE_FAILS(r.b, r.n, EBADMSG, "without header field INTERFACE");
	raw_start(&r, false, DBUS_METHOD_CALL);
	raw_field(&r, 1, 'o', "/a", 0);
	raw_end(&r, NULL, 0);
	PARSE_FAILS(r.b, r.n, EBADMSG, "without header field MEMBER");

	/* Fields: twice, of the wrong type, with bad names, code 0. */
	raw_start(&r, false, DBUS_METHOD_RETURN);
	raw_field(&r, 5, 'u', NULL, 3);
	raw_field(&r, 5, 'u', NULL, 3);
	raw_end(&r, NULL, 0);
	PARSE_FAILS(r.b, r.n, EBADMSG, "header field REPLY_SERIAL twice");
	raw_start(&r, false, DBUS_METHOD_RETURN);
	raw_field(&r, 5, 'u', NULL, 3);
	raw_field(&r, 1, 's', "/a", 0);
	raw_end(&r, NULL, 0);
	PARSE_FAILS(r.b, r.n, EBADMSG, "header field PATH of type \"s\", not \"o\"");
	raw_start(&r, false, DBUS_METHOD_RETURN);
	raw_field(&r, 5, 'u', NULL, 3);
	raw_field(&r, 7, 's', "no.such..name", 0);
	raw_end(&r, NULL, 0);
	PARSE_FAILS(r.b, r.n, EBADMSG, "header field SENDER is not valid");
	raw_start(&r, false, DBUS_ERROR);
	raw_field(&r, 5, 'u', NULL, 3);
	raw_field(&r, 4, 's', "NoDots", 0);
	raw_end(&r, NULL, 0);
	PARSE_FAILS(r.b, r.n, EBADMSG, "header field ERROR_NAME is not valid");
	raw_start(&r, false, DBUS_METHOD_RETURN);
	raw_field(&r, 5, 'u', NULL, 0);
	raw_end(&r, NULL, 0);
	PARSE_FAILS(r.b, r.n, EBADMSG, "header field REPLY_SERIAL is not valid");
	raw_start(&r, false, DBUS_METHOD_RETURN);
	raw_field(&r, 5, 'u', NULL, 3);
	raw_field(&r, 0, 'u', NULL, 3);
	raw_end(&r, NULL, 0);
	PARSE_FAILS(r.b, r.n, EBADMSG, "header field 0");
	raw_start(&r, false, DBUS_METHOD_RETURN);
	raw_field(&r, 5, 'u', NULL, 3);
	raw_field(&r, 9, 'u', NULL, 1);
	raw_end(&r, NULL, 0);
	PARSE_FAILS(r.b, r.n, EBADMSG, "1 unix fds");

	/* Fields of later versions, and message types: read past. */
	raw_start(&r, false, DBUS_METHOD_RETURN);
	raw_field(&r, 5, 'u', NULL, 3);
	raw_field(&r, 77, 's', "whatever", 0);
	raw_field(&r, 7, 's', ":1.5", 0);
	raw_end(&r, NULL, 0);
	_cleanup_dbus_msg_ struct dbus_msg *m = parse_ok(r.b, r.n);
	ASSERT_EQ(3, dbus_msg_reply_serial(m));
	ASSERT_STREQ(":1.5", dbus_msg_sender(m));
	ASSERT_STREQ("", dbus_msg_signature(m));
	raw_start(&r, false, 9);
	raw_end(&r, NULL, 0);
	_cleanup_dbus_msg_ struct dbus_msg *later = parse_ok(r.b, r.n);
	ASSERT_EQ(9, dbus_msg_type(later));
}

TEST(reads_big_endian_messages)
{
	struct raw r;
	static const uint8_t body[] = {0x01, 0x02, 0x03, 0x04, 0xff, 0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x2a};
	raw_signal(&r, true, "unt", body, sizeof(body));
	_cleanup_dbus_msg_ struct dbus_msg *m = parse_ok(r.b, r.n);
	ASSERT_EQ(DBUS_SIGNAL, dbus_msg_type(m));
	ASSERT_STREQ("a.b", dbus_msg_interface(m));
	uint32_t u;
	int16_t n;
	uint64_t t;
	ASSERT_EQ(0, dbus_msg_read(m, NULL, "unt", &u, &n, &t));
	ASSERT_EQ(0x01020304, u);
	ASSERT_EQ(-2, n);
	ASSERT_EQ(42, t);
}

/* ---- addresses ---- */

TEST(parses_addresses)
{
	struct dbus_address a[4];
	size_t n;
	_cleanup_error_ cell_error *err = NULL;
	ASSERT_EQ(0, dbus_address_parse("unix:path=/run/dbus/system_bus_socket", a, 4, &n, &err));
	ASSERT_EQ(1, n);
	ASSERT_FALSE(a[0].abstract);
	ASSERT_STREQ("/run/dbus/system_bus_socket", a[0].name);
	ASSERT_EQ(0, dbus_address_parse(
			 "tcp:host=localhost,port=1;unix:abstract=x%2fy,guid=0123;;unix:path=/a%20b%3bc", a,
			 4, &n, &err));
	ASSERT_EQ(2, n);
	ASSERT_TRUE(a[0].abstract);
	ASSERT_EQ(3, a[0].len);
	ASSERT_EQ(0, memcmp(a[0].name, "x/y", 3));
	ASSERT_STREQ("/a b;c", a[1].name);
	ASSERT_EQ(0, dbus_address_parse("unix:guid=00,path=/x\\*-_.", a, 4, &n, &err));
	ASSERT_STREQ("/x\\*-_.", a[0].name);

	static const struct {
		const char *address, *why;
	} bad[] = {
	    {"unix:path=/a b", "byte 12 (' ') must be escaped"},
	    {"unix:path=/a%4", "is not followed by two hex digits"},
	    {"unix:path=/a%zz", "is not followed by two hex digits"},
	    {"nocolon", "has no transport name"},
	    {":path=/x", "has no transport name"},
	    {"unix:", "without path= or abstract="},
	    {"unix:tmpdir=/tmp", "without path= or abstract="},
	    {"unix:path=/a,abstract=b", "more than one path= or abstract="},
	    {"unix:path=/a,", "a trailing ','"},
	    {"unix:path", "is not key=value"},
	    {"unix:=x", "is not key=value"},
	    {"unix:path=", "an empty or NUL-holding path"},
	    {"unix:path=/a%00b", "an empty or NUL-holding path"},
	    {"tcp:host=localhost,port=1", "no unix socket in it"},
	    {"", "no unix socket in it"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (dbus_address_parse(bad[i].address, a, 4, &n, &err) >= 0)
			tap_fail(__FILE__, __LINE__, "\"%s\" parsed", bad[i].address);
		ASSERT_CONTAINS(err->msg, bad[i].why);
	}
	char longer[200] = "unix:path=/";
	memset(longer + 11, 'x', 120);
	ASSERT_EQ(-ENAMETOOLONG, dbus_address_parse(longer, a, 4, &n, &err));
}

TEST(the_system_bus_address_has_a_default)
{
	setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/no;unix:abstract=somewhere", 1);
	ASSERT_STREQ("unix:path=/no;unix:abstract=somewhere", dbus_system_bus_address());
	setenv("DBUS_SYSTEM_BUS_ADDRESS", "", 1);
	ASSERT_STREQ(DBUS_SYSTEM_BUS_DEFAULT, dbus_system_bus_address());
	unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
}

/* ---- a real bus: a private dbus-daemon ---- */

static char bus_dir[64];
static char bus_address[160];
static pid_t bus_pid;

static void stop_bus(void)
{
	if (bus_pid > 0) {
		kill(bus_pid, SIGTERM);
		waitpid(bus_pid, NULL, 0);
		bus_pid = 0;
	}
	if (bus_dir[0])
		remove_tree_at(AT_FDCWD, bus_dir);
}

/* Start the daemon once for all the tests that need it (stopped at exit,
 * whether the tests pass or not). */
static const char *bus(void)
{
	if (bus_pid > 0)
		return bus_address;
	if (access("/usr/bin/dbus-daemon", X_OK) != 0)
		TAP_SKIP("dbus-daemon is not installed (scripts/deps.sh installs it)");
	strcpy(bus_dir, "/tmp/cell-test-dbus-XXXXXX");
	if (!mkdtemp(bus_dir))
		tap_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
	char conf[2048], path[128], sock[128];
	snprintf(sock, sizeof(sock), "%s/bus", bus_dir);
	snprintf(conf, sizeof(conf),
		 "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
		 " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
		 "<busconfig><type>session</type><listen>unix:path=%s</listen><auth>EXTERNAL</auth>\n"
		 "<policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>"
		 "<allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>\n",
		 sock);
	snprintf(path, sizeof(path), "%s/bus.conf", bus_dir);
	if (write_file_at(AT_FDCWD, path, conf, strlen(conf), 0600) < 0)
		tap_fail(__FILE__, __LINE__, "write %s", path);
	atexit(stop_bus);
	bus_pid = fork();
	if (bus_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execl("/usr/bin/dbus-daemon", "dbus-daemon", "--config-file", path, "--nofork", "--nopidfile",
		      "--nosyslog", (char *)NULL);
		_exit(127);
	}
	struct stat st;
	for (int i = 0; i < 400 && stat(sock, &st) != 0; i++)
		usleep(10000);
	if (stat(sock, &st) != 0)
		tap_fail(__FILE__, __LINE__, "dbus-daemon made no socket %s", sock);
	snprintf(bus_address, sizeof(bus_address), "unix:path=%s", sock);
	return bus_address;
}

static struct dbus_conn *connect_bus(void)
{
	struct dbus_conn *c = NULL;
	cell_error *err = NULL;
	if (dbus_connect(bus(), &c, &err) < 0)
		tap_fail(__FILE__, __LINE__, "connect: %s", err->msg);
	return c;
}

static struct dbus_msg *bus_call(const char *member)
{
	struct dbus_msg *m = NULL;
	if (dbus_msg_new_call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", member,
			      &m, NULL) < 0)
		tap_fail(__FILE__, __LINE__, "new call");
	return m;
}

TEST(bus_says_hello_lists_names_and_gives_its_id)
{
	_cleanup_dbus_conn_ struct dbus_conn *c = connect_bus();
	const char *me = dbus_conn_unique_name(c);
	ASSERT_TRUE(me[0] == ':');
	_cleanup_error_ cell_error *err = NULL;
	_cleanup_dbus_msg_ struct dbus_msg *call = bus_call("ListNames"), *reply = NULL;
	if (dbus_call(c, call, 5000000, &reply, &err) < 0)
		tap_fail(__FILE__, __LINE__, "ListNames: %s", err->msg);
	ASSERT_EQ(DBUS_METHOD_RETURN, dbus_msg_type(reply));
	ASSERT_STREQ("org.freedesktop.DBus", dbus_msg_sender(reply));
	ASSERT_STREQ(me, dbus_msg_destination(reply));
	ASSERT_STREQ("as", dbus_msg_signature(reply));
	bool bus_itself = false, us = false;
	char t;
	ASSERT_EQ(0, dbus_msg_enter(reply, 'a', NULL));
	while (dbus_msg_peek(reply, &t, NULL, NULL) > 0) {
		const char *name;
		ASSERT_EQ(0, dbus_msg_read(reply, NULL, "s", &name));
		bus_itself |= strcmp(name, "org.freedesktop.DBus") == 0;
		us |= strcmp(name, me) == 0;
	}
	ASSERT_TRUE(bus_itself);
	ASSERT_TRUE(us);

	_cleanup_dbus_msg_ struct dbus_msg *getid = bus_call("GetId"), *id = NULL;
	ASSERT_EQ(0, dbus_call(c, getid, 5000000, &id, NULL));
	const char *s;
	ASSERT_EQ(0, dbus_msg_read(id, NULL, "s", &s));
	ASSERT_EQ(32, strlen(s));
	ASSERT_EQ(32, strspn(s, "0123456789abcdef"));
	/* the same id as the daemon's own tool would print: the machine
	 * of the bus is not ours to know, but the id is stable */
	_cleanup_dbus_msg_ struct dbus_msg *again = bus_call("GetId"), *id2 = NULL;
	ASSERT_EQ(0, dbus_call(c, again, 5000000, &id2, NULL));
	const char *s2;
	ASSERT_EQ(0, dbus_msg_read(id2, NULL, "s", &s2));
	ASSERT_STREQ(s, s2);
}

TEST(bus_reads_a_dict_of_variants)
{
	_cleanup_dbus_conn_ struct dbus_conn *c = connect_bus();
	_cleanup_dbus_msg_ struct dbus_msg *m = NULL, *reply = NULL;
	ASSERT_EQ(0, dbus_msg_new_call("org.freedesktop.DBus", "/org/freedesktop/DBus",
				       "org.freedesktop.DBus.Properties", "GetAll", &m, NULL));
	ASSERT_EQ(0, dbus_msg_append(m, NULL, "s", "org.freedesktop.DBus"));
	_cleanup_error_ cell_error *err = NULL;
	if (dbus_call(c, m, 5000000, &reply, &err) < 0)
		tap_fail(__FILE__, __LINE__, "GetAll: %s", err->msg);
	ASSERT_STREQ("a{sv}", dbus_msg_signature(reply));
	bool interfaces = false;
	char t;
	ASSERT_EQ(0, dbus_msg_enter(reply, 'a', NULL));
	while (dbus_msg_peek(reply, &t, NULL, NULL) > 0) {
		const char *key, *contents;
		size_t len;
		ASSERT_EQ(0, dbus_msg_enter(reply, '{', NULL));
		ASSERT_EQ(0, dbus_msg_read(reply, NULL, "s", &key));
		ASSERT_EQ(1, dbus_msg_peek(reply, &t, &contents, &len));
		if (strcmp(key, "Interfaces") == 0) {
			ASSERT_EQ(2, len);
			ASSERT_EQ(0, memcmp(contents, "as", 2));
			interfaces = true;
		}
		ASSERT_EQ(0, dbus_msg_exit(reply, NULL));
	}
	ASSERT_TRUE(interfaces);
}

TEST(bus_error_reply_becomes_the_message)
{
	_cleanup_dbus_conn_ struct dbus_conn *c = connect_bus();
	_cleanup_dbus_msg_ struct dbus_msg *m = bus_call("NoSuchMethod"), *reply = NULL;
	_cleanup_error_ cell_error *err = NULL;
	int r = dbus_call(c, m, 5000000, &reply, &err);
	ASSERT_EQ(-EBADR, r);
	ASSERT_CONTAINS(err->msg, "org.freedesktop.DBus.Error.UnknownMethod: ");
	ASSERT_CONTAINS(err->msg, "NoSuchMethod");
	ASSERT_TRUE(reply != NULL);
	ASSERT_EQ(DBUS_ERROR, dbus_msg_type(reply));
	ASSERT_STREQ("org.freedesktop.DBus.Error.UnknownMethod", dbus_msg_error_name(reply));
	/* A name nobody has: the bus answers for it. */
	dbus_msg_free(reply);
	reply = NULL;
	_cleanup_dbus_msg_ struct dbus_msg *lost = NULL;
	ASSERT_EQ(0, dbus_msg_new_call("org.cell.Nobody", "/x", "org.cell.Nobody", "Hi", &lost, NULL));
	ASSERT_TRUE(dbus_call(c, lost, 5000000, NULL, &err) < 0);
	ASSERT_CONTAINS(err->msg, "org.freedesktop.DBus.Error.ServiceUnknown");
	/* The connection goes on after errors. */
	_cleanup_dbus_msg_ struct dbus_msg *getid = bus_call("GetId");
	ASSERT_EQ(0, dbus_call(c, getid, 5000000, NULL, NULL));
}

TEST(bus_delivers_signals)
{
	_cleanup_dbus_conn_ struct dbus_conn *a = connect_bus(), *b = connect_bus();
	_cleanup_error_ cell_error *err = NULL;
	if (dbus_add_match(a, "type='signal',interface='org.cell.Test'", &err) < 0)
		tap_fail(__FILE__, __LINE__, "%s", err->msg);
	_cleanup_dbus_msg_ struct dbus_msg *s = NULL, *s2 = NULL, *got = NULL, *got2 = NULL;
	ASSERT_EQ(0, dbus_msg_new_signal("/org/cell/Test", "org.cell.Test", "Ping", &s, NULL));
	ASSERT_EQ(0, dbus_msg_append(s, NULL, "us", 7u, "hi"));
	ASSERT_EQ(0, dbus_send(b, s, NULL, NULL));
	/* A signal that arrives while a call waits for its reply is kept. */
	ASSERT_EQ(0, dbus_msg_new_signal("/org/cell/Test", "org.cell.Test", "Pong", &s2, NULL));
	ASSERT_EQ(0, dbus_send(b, s2, NULL, NULL));
	_cleanup_dbus_msg_ struct dbus_msg *getid = bus_call("GetId");
	ASSERT_EQ(0, dbus_call(a, getid, 5000000, NULL, NULL));

	/* NameAcquired comes first (the bus's own signal to us) */
	for (int i = 0; i < 4 && !got; i++) {
		struct dbus_msg *m = NULL;
		if (dbus_wait_signal(a, dbus_deadline_after(5000000), &m, &err) < 0)
			tap_fail(__FILE__, __LINE__, "%s", err->msg);
		if (strcmp(dbus_msg_interface(m), "org.cell.Test") == 0)
			got = m;
		else
			dbus_msg_free(m);
	}
	ASSERT_TRUE(got != NULL);
	ASSERT_STREQ("Ping", dbus_msg_member(got));
	ASSERT_STREQ("/org/cell/Test", dbus_msg_path(got));
	ASSERT_STREQ(dbus_conn_unique_name(b), dbus_msg_sender(got));
	uint32_t u;
	const char *str;
	ASSERT_EQ(0, dbus_msg_read(got, NULL, "us", &u, &str));
	ASSERT_EQ(7, u);
	ASSERT_STREQ("hi", str);
	ASSERT_EQ(0, dbus_wait_signal(a, dbus_deadline_after(5000000), &got2, NULL));
	ASSERT_STREQ("Pong", dbus_msg_member(got2));
	/* and then nothing */
	struct dbus_msg *none = NULL;
	ASSERT_EQ(-ETIMEDOUT, dbus_wait_signal(a, dbus_deadline_after(100000), &none, &err));
	ASSERT_CONTAINS(err->msg, "no signal in time");
}

TEST(bus_address_tries_each_socket_and_unescapes)
{
	const char *plain = bus();
	char escaped[600] = "unix:path=/nonexistent/socket;unix:path=";
	for (const char *p = plain + strlen("unix:path="); *p; p++)
		snprintf(escaped + strlen(escaped), sizeof(escaped) - strlen(escaped), "%%%02X",
			 (unsigned char)*p);
	_cleanup_dbus_conn_ struct dbus_conn *c = NULL;
	_cleanup_error_ cell_error *err = NULL;
	if (dbus_connect(escaped, &c, &err) < 0)
		tap_fail(__FILE__, __LINE__, "%s: %s", escaped, err->msg);
	ASSERT_TRUE(dbus_conn_unique_name(c)[0] == ':');
	struct dbus_conn *none = NULL;
	ASSERT_EQ(-ENOENT, dbus_connect("unix:path=/nonexistent/socket", &none, &err));
	ASSERT_CONTAINS(err->msg, "/nonexistent/socket: No such file or directory");
}
