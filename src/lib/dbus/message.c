/* The wire format of the D-Bus client (dbus.h): names and signatures,
 * marshalling, and the checks and reading of received messages. */
#include "dbus.h"

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"

/* The specification's limits. */
#define SIG_MAX       255
#define NAME_MAX_LEN  255
#define ARRAY_MAX     (64u * 1024 * 1024)
#define SIG_DEPTH_MAX 32 /* arrays, and structs, in one signature */
#define DEPTH_MAX     64 /* containers around a value, across variants */
#define FIXED_HEADER  16 /* the fixed part, with the header fields' array length */
#define CONNECT_USEC  (25ULL * 1000000ULL)
#define SIGNALS_MAX   1024
#define ADDRESSES_MAX 16
#define AUTH_LINE_MAX 512

enum field_code {
	F_PATH = 1,
	F_INTERFACE = 2,
	F_MEMBER = 3,
	F_ERROR_NAME = 4,
	F_REPLY_SERIAL = 5,
	F_DESTINATION = 6,
	F_SENDER = 7,
	F_SIGNATURE = 8,
	F_UNIX_FDS = 9,
	F_COUNT,
};

static const char *const field_name[F_COUNT] = {
    [F_PATH] = "PATH",
    [F_INTERFACE] = "INTERFACE",
    [F_MEMBER] = "MEMBER",
    [F_ERROR_NAME] = "ERROR_NAME",
    [F_REPLY_SERIAL] = "REPLY_SERIAL",
    [F_DESTINATION] = "DESTINATION",
    [F_SENDER] = "SENDER",
    [F_SIGNATURE] = "SIGNATURE",
    [F_UNIX_FDS] = "UNIX_FDS",
};
static const char field_type[F_COUNT] = {
    [F_PATH] = 'o',       [F_INTERFACE] = 's',    [F_MEMBER] = 's',
    [F_ERROR_NAME] = 's', [F_REPLY_SERIAL] = 'u', [F_DESTINATION] = 's',
    [F_SENDER] = 's',     [F_SIGNATURE] = 'g',    [F_UNIX_FDS] = 'u',
};

struct buf {
	uint8_t *p;
	size_t len, cap;
};

/* An open container of a message being built. */
struct wlevel {
	char type;
	char *sig; /* what it holds: the element type of an array */
	size_t at; /* how much of sig is written */
	size_t len_pos, start;
};

/* A container being read. */
struct rlevel {
	char type;
	const char *sig;
	size_t sig_len, at;
	size_t end; /* where its bytes end (the body's end outside arrays) */
};

struct dbus_msg {
	enum dbus_msg_type type;
	uint8_t flags;
	uint32_t serial, reply_serial, unix_fds;
	const char *field[F_COUNT]; /* string fields, NUL terminated */
	char *owned[F_COUNT];       /* their copies in a built message */
	/* built */
	struct buf body;
	char body_sig[SIG_MAX + 1];
	size_t body_sig_len;
	struct wlevel w[DEPTH_MAX];
	unsigned wdepth;
	/* parsed */
	uint8_t *data;
	size_t size;
	bool be;
	size_t body_start, pos;
	struct rlevel r[DEPTH_MAX + 1];
	unsigned rdepth;
};

/* ---- Names, strings and signatures ---- */

static bool utf8_valid(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint8_t c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t len;
		uint32_t cp, min;
		if ((c & 0xe0) == 0xc0)
			len = 2, cp = c & 0x1f, min = 0x80;
		else if ((c & 0xf0) == 0xe0)
			len = 3, cp = c & 0x0f, min = 0x800;
		else if ((c & 0xf8) == 0xf0)
			len = 4, cp = c & 0x07, min = 0x10000;
		else
			return false;
		if (len > n - i)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* Overlong forms, UTF-16 surrogates and what is past Unicode. */
		if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += len;
	}
	return true;
}

static bool name_char(char c, bool dash)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       (dash && c == '-');
}

static bool object_path_valid(const char *s, size_t n)
{
	if (n == 0 || s[0] != '/')
		return false;
	if (n == 1)
		return true;
	if (s[n - 1] == '/')
		return false;
	for (size_t i = 1; i < n; i++) {
		if (s[i] == '/') {
			if (s[i - 1] == '/')
				return false;
		} else if (!name_char(s[i], false)) {
			return false;
		}
	}
	return true;
}

/* Interface and error names (dash false), bus names (dash true): elements
 * separated by dots, at least two; unique bus names (":1.42") may start an
 * element with a digit. */
static bool dotted_name_valid(const char *s, size_t n, bool bus)
{
	bool unique = bus && n > 0 && s[0] == ':';
	size_t i = unique ? 1 : 0, elements = 0;
	if (n == 0 || n > NAME_MAX_LEN)
		return false;
	while (i <= n) {
		size_t start = i;
		while (i < n && s[i] != '.') {
			if (!name_char(s[i], bus))
				return false;
			i++;
		}
		if (i == start || (!unique && s[start] >= '0' && s[start] <= '9'))
			return false;
		elements++;
		i++;
	}
	return elements >= 2;
}

bool dbus_bus_name_valid(const char *name)
{
	return dotted_name_valid(name, strlen(name), true);
}

static bool member_valid(const char *s, size_t n)
{
	if (n == 0 || n > NAME_MAX_LEN || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!name_char(s[i], false))
			return false;
	return true;
}

static bool basic_type(char c)
{
	return c && strchr("ybnqiuxtdhsog", c);
}

static size_t type_align(char c)
{
	switch (c) {
	case 'y':
	case 'g':
	case 'v':
		return 1;
	case 'n':
	case 'q':
		return 2;
	case 'x':
	case 't':
	case 'd':
	case '(':
	case '{':
		return 8;
	default:
		return 4;
	}
}

/* The length of the complete type at s[0..len), or 0 (and *why) when it is
 * not one. arrays and structs count the containers around it. */
static size_t sig_one(const char *s, size_t len, unsigned arrays, unsigned structs, bool array_element,
		      const char **why)
{
	if (len == 0) {
		*why = "a type is missing";
		return 0;
	}
	char c = s[0];
	if (basic_type(c) || c == 'v')
		return 1;
	if (c == 'a') {
		if (arrays + 1 > SIG_DEPTH_MAX) {
			*why = "more than 32 nested arrays";
			return 0;
		}
		size_t n = sig_one(s + 1, len - 1, arrays + 1, structs, true, why);
		return n ? n + 1 : 0;
	}
	if (c == '(' || c == '{') {
		char close = c == '(' ? ')' : '}';
		if (c == '{' && !array_element) {
			*why = "a dict entry outside an array";
			return 0;
		}
		if (structs + 1 > SIG_DEPTH_MAX) {
			*why = "more than 32 nested structs";
			return 0;
		}
		size_t i = 1, fields = 0;
		while (i < len && s[i] != close) {
			if (c == '{' && fields == 0 && !basic_type(s[i])) {
				*why = "a dict entry's key is not of a basic type";
				return 0;
			}
			size_t n = sig_one(s + i, len - i, arrays, structs + 1, false, why);
			if (!n)
				return 0;
			i += n;
			fields++;
		}
		if (i >= len) {
			*why = c == '(' ? "a struct is not closed" : "a dict entry is not closed";
			return 0;
		}
		if (fields == 0 || (c == '{' && fields != 2)) {
			*why =
			    c == '(' ? "an empty struct" : "a dict entry without exactly a key and a value";
			return 0;
		}
		return i + 1;
	}
	*why = c == ')' || c == '}' ? "a closing bracket without its opening" : "an unknown type code";
	return 0;
}

/* A signature: complete types, exactly one when single. */
static bool sig_valid(const char *s, size_t len, bool single, const char **why)
{
	if (len > SIG_MAX) {
		*why = "longer than 255 bytes";
		return false;
	}
	if (single && len == 0) {
		*why = "empty where one type is needed";
		return false;
	}
	for (size_t i = 0; i < len;) {
		size_t n = sig_one(s + i, len - i, 0, 0, false, why);
		if (!n)
			return false;
		i += n;
		if (single && i != len) {
			*why = "more than one complete type";
			return false;
		}
	}
	return true;
}

/* The length of the complete type at s, of a signature already checked. */
static size_t type_len(const char *s)
{
	const char *why;
	return sig_one(s, strlen(s), 0, 0, true, &why);
}

/* ---- Writing ---- */

static int buf_reserve(struct buf *b, size_t n, cell_error **err)
{
	if (n > DBUS_MESSAGE_MAX - b->len)
		return cell_error_set(err, EMSGSIZE, "D-Bus: the message would be larger than %d bytes",
				      DBUS_MESSAGE_MAX);
	if (b->len + n <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + n)
		cap *= 2;
	uint8_t *p = realloc(b->p, cap);
	if (!p)
		return cell_error_set(err, ENOMEM, "out of memory");
	b->p = p;
	b->cap = cap;
	return 0;
}

static int buf_put(struct buf *b, const void *p, size_t n, cell_error **err)
{
	if (n == 0) /* p may be NULL then (an empty body) */
		return 0;
	int r = buf_reserve(b, n, err);
	if (r < 0)
		return r;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static int buf_pad(struct buf *b, size_t align, cell_error **err)
{
	size_t pad = (align - b->len % align) % align;
	if (pad == 0) /* b->p may still be NULL */
		return 0;
	int r = buf_reserve(b, pad, err);
	if (r < 0)
		return r;
	memset(b->p + b->len, 0, pad);
	b->len += pad;
	return 0;
}

static int buf_u32(struct buf *b, uint32_t v, cell_error **err)
{
	int r = buf_pad(b, 4, err);
	v = htole32(v);
	return r < 0 ? r : buf_put(b, &v, 4, err);
}

/* A basic value, aligned, in little-endian; strings checked. */
static int buf_basic(struct buf *b, char type, union dbus_value v, cell_error **err)
{
	int r = buf_pad(b, type_align(type), err);
	if (r < 0)
		return r;
	switch (type) {
	case 'y':
		return buf_put(b, &v.y, 1, err);
	case 'b':
		return buf_u32(b, v.b ? 1 : 0, err);
	case 'n':
	case 'q': {
		uint16_t x = htole16(type == 'n' ? (uint16_t)v.n : v.q);
		return buf_put(b, &x, 2, err);
	}
	case 'i':
	case 'u':
		return buf_u32(b, type == 'i' ? (uint32_t)v.i : v.u, err);
	case 'x':
	case 't':
	case 'd': {
		uint64_t x = type == 'x' ? (uint64_t)v.x : v.t;
		if (type == 'd')
			memcpy(&x, &v.d, 8);
		x = htole64(x);
		return buf_put(b, &x, 8, err);
	}
	case 's':
	case 'o':
	case 'g': {
		const char *s = v.s ? v.s : "", *why = NULL;
		size_t n = strlen(s);
		if (!utf8_valid((const uint8_t *)s, n))
			return cell_error_set(err, EINVAL, "D-Bus: a string is not UTF-8");
		if (type == 'o' && !object_path_valid(s, n))
			return cell_error_set(err, EINVAL, "D-Bus: \"%s\" is not an object path", s);
		if (type == 'g' && !sig_valid(s, n, false, &why))
			return cell_error_set(err, EINVAL, "D-Bus: signature \"%s\": %s", s, why);
		if (type == 'g') {
			uint8_t len = (uint8_t)n;
			r = buf_put(b, &len, 1, err);
		} else {
			r = buf_u32(b, (uint32_t)n, err);
		}
		return r < 0 ? r : buf_put(b, s, n + 1, err);
	}
	default:
		return cell_error_set(err, EINVAL, "D-Bus: '%c' is not a basic type we write", type);
	}
}

static int msg_new(enum dbus_msg_type type, struct dbus_msg **out, cell_error **err)
{
	struct dbus_msg *m = calloc(1, sizeof(*m));
	if (!m)
		return cell_error_set(err, ENOMEM, "out of memory");
	m->type = type;
	*out = m;
	return 0;
}

static int msg_set_field(struct dbus_msg *m, enum field_code code, const char *value, cell_error **err)
{
	size_t n = value ? strlen(value) : 0;
	bool ok;
	switch (code) {
	case F_PATH:
		ok = object_path_valid(value, n);
		break;
	case F_INTERFACE:
	case F_ERROR_NAME:
		ok = dotted_name_valid(value, n, false);
		break;
	case F_MEMBER:
		ok = member_valid(value, n);
		break;
	case F_DESTINATION:
	case F_SENDER:
		ok = dotted_name_valid(value, n, true);
		break;
	case F_REPLY_SERIAL:
	case F_SIGNATURE:
	case F_UNIX_FDS:
	case F_COUNT:
	default:
		ok = false;
	}
	if (!ok)
		return cell_error_set(err, EINVAL, "D-Bus: \"%s\" is not a valid %s", value ? value : "",
				      field_name[code]);
	char *copy = strdup(value);
	if (!copy)
		return cell_error_set(err, ENOMEM, "out of memory");
	free(m->owned[code]);
	m->owned[code] = copy;
	m->field[code] = copy;
	return 0;
}

int dbus_msg_new_call(const char *dest, const char *path, const char *iface, const char *member,
		      struct dbus_msg **out, cell_error **err)
{
	struct dbus_msg *m = NULL;
	int r = msg_new(DBUS_METHOD_CALL, &m, err);
	if (r < 0)
		return r;
	if ((dest && (r = msg_set_field(m, F_DESTINATION, dest, err)) < 0) ||
	    (r = msg_set_field(m, F_PATH, path, err)) < 0 ||
	    (iface && (r = msg_set_field(m, F_INTERFACE, iface, err)) < 0) ||
	    (r = msg_set_field(m, F_MEMBER, member, err)) < 0) {
		dbus_msg_free(m);
		return r;
	}
	*out = m;
	return 0;
}

int dbus_msg_new_signal(const char *path, const char *iface, const char *member, struct dbus_msg **out,
			cell_error **err)
{
	struct dbus_msg *m = NULL;
	int r = msg_new(DBUS_SIGNAL, &m, err);
	if (r < 0)
		return r;
	if ((r = msg_set_field(m, F_PATH, path, err)) < 0 ||
	    (r = msg_set_field(m, F_INTERFACE, iface, err)) < 0 ||
	    (r = msg_set_field(m, F_MEMBER, member, err)) < 0) {
		dbus_msg_free(m);
		return r;
	}
	*out = m;
	return 0;
}

int dbus_msg_set_destination(struct dbus_msg *m, const char *dest, cell_error **err)
{
	return msg_set_field(m, F_DESTINATION, dest, err);
}

/* The next complete type written must be t[0..n): what the open container
 * expects next, or anything at the top of the body (which grows the body's
 * signature). */
static int expect_type(struct dbus_msg *m, const char *t, size_t n, cell_error **err)
{
	if (m->data)
		return cell_error_set(err, EINVAL, "D-Bus: a received message is read only");
	if (m->wdepth == 0) {
		const char *why;
		if (m->body_sig_len + n > SIG_MAX)
			return cell_error_set(err, EINVAL,
					      "D-Bus: the body's signature would be longer than 255");
		if (!sig_valid(t, n, true, &why))
			return cell_error_set(err, EINVAL, "D-Bus: type \"%.*s\": %s", (int)n, t, why);
		memcpy(m->body_sig + m->body_sig_len, t, n);
		m->body_sig_len += n;
		m->body_sig[m->body_sig_len] = '\0';
		return 0;
	}
	struct wlevel *l = &m->w[m->wdepth - 1];
	size_t len = strlen(l->sig);
	if (l->type == 'a' && l->at == len)
		l->at = 0;
	if (l->at >= len)
		return cell_error_set(err, EINVAL, "D-Bus: a value of type \"%.*s\" after the end of \"%s\"",
				      (int)n, t, l->sig);
	size_t want = type_len(l->sig + l->at);
	if (want != n || memcmp(l->sig + l->at, t, n) != 0)
		return cell_error_set(err, EINVAL, "D-Bus: a value of type \"%.*s\" where \"%.*s\" belongs",
				      (int)n, t, (int)want, l->sig + l->at);
	l->at += n;
	return 0;
}

/* Where a message being built stands, to go back to when a value fails
 * half way: a failed call leaves the message as it was. */
struct wmark {
	size_t body_len, sig_len, at;
};

static struct wmark wmark(const struct dbus_msg *m)
{
	return (struct wmark){m->body.len, m->body_sig_len, m->wdepth ? m->w[m->wdepth - 1].at : 0};
}

static int wback(struct dbus_msg *m, struct wmark k, int r)
{
	m->body.len = k.body_len;
	m->body_sig_len = k.sig_len;
	m->body_sig[k.sig_len] = '\0';
	if (m->wdepth)
		m->w[m->wdepth - 1].at = k.at;
	return r;
}

int dbus_msg_put(struct dbus_msg *m, char type, union dbus_value v, cell_error **err)
{
	if (!basic_type(type) || type == 'h')
		return cell_error_set(err, EINVAL, "D-Bus: '%c' is not a basic type we write", type);
	struct wmark k = wmark(m);
	int r = expect_type(m, &type, 1, err);
	if (r >= 0)
		r = buf_basic(&m->body, type, v, err);
	return r < 0 ? wback(m, k, r) : 0;
}

int dbus_msg_open(struct dbus_msg *m, char type, const char *contents, cell_error **err)
{
	char full[SIG_MAX + 3];
	size_t n = contents ? strlen(contents) : 0;
	const char *why;
	if (!contents || n > SIG_MAX)
		return cell_error_set(err, EINVAL,
				      "D-Bus: container '%c' without contents, or longer than 255", type);
	if (type == 'v') {
		if (!sig_valid(contents, n, true, &why))
			return cell_error_set(err, EINVAL, "D-Bus: variant of \"%s\": %s", contents, why);
		snprintf(full, sizeof(full), "v");
	} else if (type == 'a') {
		snprintf(full, sizeof(full), "a%s", contents);
	} else if (type == '(' || type == '{') {
		snprintf(full, sizeof(full), "%c%s%c", type, contents, type == '(' ? ')' : '}');
	} else {
		return cell_error_set(err, EINVAL, "D-Bus: '%c' is not a container type", type);
	}
	if (m->wdepth >= DEPTH_MAX)
		return cell_error_set(err, EINVAL, "D-Bus: more than %d nested containers", DEPTH_MAX);
	/* A dict entry stands only as an array's element: the enclosing
	 * array's signature (checked when it was opened) says so. */
	size_t flen = strlen(full);
	if (type != '{' && type != 'v' && !sig_valid(full, flen, true, &why))
		return cell_error_set(err, EINVAL, "D-Bus: type \"%s\": %s", full, why);
	struct wmark k = wmark(m);
	int r = expect_type(m, full, flen, err);
	if (r < 0)
		return r;
	struct wlevel l = {.type = type};
	if (type == 'v') {
		r = buf_basic(&m->body, 'g', (union dbus_value){.s = contents}, err);
	} else if (type == 'a') {
		if ((r = buf_u32(&m->body, 0, err)) >= 0) {
			l.len_pos = m->body.len - 4;
			r = buf_pad(&m->body, type_align(contents[0]), err);
			l.start = m->body.len;
		}
	} else {
		r = buf_pad(&m->body, 8, err);
	}
	if (r < 0)
		return wback(m, k, r);
	if (!(l.sig = strdup(contents)))
		return wback(m, k, cell_error_set(err, ENOMEM, "out of memory"));
	m->w[m->wdepth++] = l;
	return 0;
}

int dbus_msg_close(struct dbus_msg *m, cell_error **err)
{
	if (m->wdepth == 0)
		return cell_error_set(err, EINVAL, "D-Bus: no container to close");
	struct wlevel *l = &m->w[m->wdepth - 1];
	size_t len = strlen(l->sig);
	if (l->at != len && !(l->type == 'a' && l->at == 0))
		return cell_error_set(err, EINVAL, "D-Bus: container \"%s\" closed after \"%.*s\"", l->sig,
				      (int)l->at, l->sig);
	if (l->type == 'a') {
		size_t bytes = m->body.len - l->start;
		if (bytes > ARRAY_MAX)
			return cell_error_set(err, EMSGSIZE, "D-Bus: an array of more than 64 MiB");
		uint32_t v = htole32((uint32_t)bytes);
		memcpy(m->body.p + l->len_pos, &v, 4);
	}
	free(l->sig);
	m->wdepth--;
	return 0;
}

/* One complete type at *sig from the arguments; *sig moves past it. */
static int append_one(struct dbus_msg *m, const char **sig, va_list *ap, cell_error **err)
{
	char t = **sig;
	size_t n = type_len(*sig);
	int r;
	if (n == 0)
		return cell_error_set(err, EINVAL, "D-Bus: bad signature at \"%s\"", *sig);
	if (t == 'a' || t == '(' || t == '{') {
		char inner[SIG_MAX + 1];
		size_t ilen = t == 'a' ? n - 1 : n - 2;
		snprintf(inner, sizeof(inner), "%.*s", (int)ilen, *sig + 1);
		if ((r = dbus_msg_open(m, t, inner, err)) < 0)
			return r;
		if (t == 'a') {
			unsigned count = va_arg(*ap, unsigned);
			for (unsigned i = 0; i < count; i++) {
				const char *e = inner;
				if ((r = append_one(m, &e, ap, err)) < 0)
					return r;
			}
		} else {
			for (const char *f = inner; *f;)
				if ((r = append_one(m, &f, ap, err)) < 0)
					return r;
		}
		*sig += n;
		return dbus_msg_close(m, err);
	}
	*sig += 1;
	if (t == 'v') {
		const char *contents = va_arg(*ap, const char *);
		if ((r = dbus_msg_open(m, 'v', contents, err)) < 0)
			return r;
		for (const char *f = contents; *f;)
			if ((r = append_one(m, &f, ap, err)) < 0)
				return r;
		return dbus_msg_close(m, err);
	}
	union dbus_value v = {0};
	switch (t) {
	case 'y':
		v.y = (uint8_t)va_arg(*ap, int);
		break;
	case 'b':
		v.b = va_arg(*ap, int) != 0;
		break;
	case 'n':
		v.n = (int16_t)va_arg(*ap, int);
		break;
	case 'q':
		v.q = (uint16_t)va_arg(*ap, int);
		break;
	case 'i':
		v.i = va_arg(*ap, int32_t);
		break;
	case 'u':
		v.u = va_arg(*ap, uint32_t);
		break;
	case 'x':
		v.x = va_arg(*ap, int64_t);
		break;
	case 't':
		v.t = va_arg(*ap, uint64_t);
		break;
	case 'd':
		v.d = va_arg(*ap, double);
		break;
	case 's':
	case 'o':
	case 'g':
		v.s = va_arg(*ap, const char *);
		break;
	default:
		return cell_error_set(err, EINVAL, "D-Bus: '%c' is not a type we write", t);
	}
	return dbus_msg_put(m, t, v, err);
}

int dbus_msg_append(struct dbus_msg *m, cell_error **err, const char *sig, ...)
{
	const char *why;
	if (!sig_valid(sig, strlen(sig), false, &why))
		return cell_error_set(err, EINVAL, "D-Bus: signature \"%s\": %s", sig, why);
	va_list ap;
	va_start(ap, sig);
	int r = 0;
	while (*sig && r >= 0)
		r = append_one(m, &sig, &ap, err);
	va_end(ap);
	return r;
}

static int header_field(struct buf *h, enum field_code code, char type, union dbus_value v, cell_error **err)
{
	uint8_t c = (uint8_t)code;
	uint8_t sig[3] = {1, (uint8_t)type, 0};
	int r;
	if ((r = buf_pad(h, 8, err)) < 0 || (r = buf_put(h, &c, 1, err)) < 0 ||
	    (r = buf_put(h, sig, 3, err)) < 0)
		return r;
	return buf_basic(h, type, v, err);
}

int dbus_msg_serialize(struct dbus_msg *m, uint32_t serial, uint8_t **data, size_t *size, cell_error **err)
{
	struct buf h = {0};
	int r = 0;
	if (m->data)
		return cell_error_set(err, EINVAL, "D-Bus: a received message is not sent again");
	if (m->wdepth > 0)
		return cell_error_set(err, EINVAL, "D-Bus: container \"%s\" is still open",
				      m->w[m->wdepth - 1].sig);
	if (serial == 0)
		return cell_error_set(err, EINVAL, "D-Bus: serial 0");
	uint8_t fixed[4] = {'l', (uint8_t)m->type, m->flags, 1};
	r = buf_put(&h, fixed, 4, err);
	if (r >= 0)
		r = buf_u32(&h, (uint32_t)m->body.len, err);
	if (r >= 0)
		r = buf_u32(&h, serial, err);
	if (r >= 0)
		r = buf_u32(&h, 0, err);
	for (int code = F_PATH; code < F_COUNT && r >= 0; code++) {
		if (m->field[code])
			r = header_field(&h, code, field_type[code], (union dbus_value){.s = m->field[code]},
					 err);
		else if (code == F_REPLY_SERIAL && m->reply_serial)
			r = header_field(&h, code, 'u', (union dbus_value){.u = m->reply_serial}, err);
		else if (code == F_SIGNATURE && m->body_sig_len)
			r = header_field(&h, code, 'g', (union dbus_value){.s = m->body_sig}, err);
	}
	if (r >= 0) {
		uint32_t flen = htole32((uint32_t)(h.len - FIXED_HEADER));
		memcpy(h.p + 12, &flen, 4);
		r = buf_pad(&h, 8, err);
	}
	if (r >= 0)
		r = buf_put(&h, m->body.p, m->body.len, err);
	if (r < 0) {
		free(h.p);
		return r;
	}
	m->serial = serial;
	*data = h.p;
	*size = h.len;
	return 0;
}

/* ---- Reading ---- */

struct cur {
	const uint8_t *d;
	size_t pos;
	bool be;
};

static uint16_t get16(const struct cur *c)
{
	uint16_t v;
	memcpy(&v, c->d + c->pos, 2);
	return c->be ? be16toh(v) : le16toh(v);
}

static uint32_t get32(const uint8_t *p, bool be)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return be ? be32toh(v) : le32toh(v);
}

static uint64_t get64(const struct cur *c)
{
	uint64_t v;
	memcpy(&v, c->d + c->pos, 8);
	return c->be ? be64toh(v) : le64toh(v);
}

static int bad(cell_error **err, const struct cur *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(cell_error **err, const struct cur *c, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return cell_error_set(err, EBADMSG, "D-Bus message: at byte %zu: %s", c->pos, what);
}

static int cur_align(struct cur *c, size_t align, size_t end, cell_error **err)
{
	size_t pad = (align - c->pos % align) % align;
	if (pad > end - c->pos)
		return bad(err, c, "the padding to %zu bytes runs past the end", align);
	for (size_t i = 0; i < pad; i++)
		if (c->d[c->pos + i])
			return bad(err, c, "padding that is not zero");
	c->pos += pad;
	return 0;
}

static int cur_need(struct cur *c, size_t n, size_t end, cell_error **err)
{
	if (n > end - c->pos)
		return bad(err, c, "%zu bytes needed, %zu left", n, end - c->pos);
	return 0;
}

static int cur_basic(struct cur *c, char type, size_t end, union dbus_value *v, cell_error **err)
{
	size_t size = type_align(type);
	int r = cur_align(c, size, end, err);
	if (r < 0)
		return r;
	if (type == 'g')
		size = 1;
	if ((r = cur_need(c, size, end, err)) < 0)
		return r;
	*v = (union dbus_value){0};
	switch (type) {
	case 'y':
		v->y = c->d[c->pos];
		break;
	case 'b': {
		uint32_t b = get32(c->d + c->pos, c->be);
		if (b > 1)
			return bad(err, c, "boolean %u is neither 0 nor 1", b);
		v->b = b;
		break;
	}
	case 'n':
		v->n = (int16_t)get16(c);
		break;
	case 'q':
		v->q = get16(c);
		break;
	case 'i':
		v->i = (int32_t)get32(c->d + c->pos, c->be);
		break;
	case 'u':
	case 'h':
		v->u = get32(c->d + c->pos, c->be);
		break;
	case 'x':
	case 't':
	case 'd': {
		uint64_t x = get64(c);
		if (type == 'd')
			memcpy(&v->d, &x, 8);
		else if (type == 'x')
			v->x = (int64_t)x;
		else
			v->t = x;
		break;
	}
	case 's':
	case 'o':
	case 'g': {
		size_t n = type == 'g' ? c->d[c->pos] : get32(c->d + c->pos, c->be);
		size_t at = c->pos;
		c->pos += size;
		if (n >= end - c->pos)
			return bad(err, c, "a string of %zu bytes runs past the end", n);
		const char *s = (const char *)c->d + c->pos, *why;
		if (s[n] != '\0')
			return bad(err, c, "a string is not NUL terminated");
		if (memchr(s, '\0', n))
			return bad(err, c, "a string holds a NUL byte");
		if (!utf8_valid((const uint8_t *)s, n))
			return bad(err, c, "a string is not UTF-8");
		if (type == 'o' && !object_path_valid(s, n))
			return bad(err, c, "\"%.*s\" is not an object path", (int)(n > 64 ? 64 : n), s);
		if (type == 'g' && !sig_valid(s, n, false, &why))
			return bad(err, c, "signature \"%s\": %s", s, why);
		v->s = s;
		c->pos = at + size + n + 1;
		return 0;
	}
	default:
		return bad(err, c, "'%c' is not a basic type", type);
	}
	c->pos += size;
	return 0;
}

/* Check one value of the complete type at *t (a checked signature) and move
 * past both; depth counts the containers around the value. */
static int cur_value(struct cur *c, const char **t, size_t end, unsigned depth, cell_error **err)
{
	int r;
	char type = **t;
	if ((type == 'a' || type == '(' || type == '{' || type == 'v') && depth >= DEPTH_MAX)
		return bad(err, c, "more than %d nested containers", DEPTH_MAX);
	switch (type) {
	case 'a': {
		union dbus_value n;
		const char *elem = *t + 1;
		if ((r = cur_basic(c, 'u', end, &n, err)) < 0)
			return r;
		if (n.u > ARRAY_MAX)
			return bad(err, c, "an array of %u bytes, more than 64 MiB", n.u);
		if ((r = cur_align(c, type_align(elem[0]), end, err)) < 0)
			return r;
		if (n.u > end - c->pos)
			return bad(err, c, "an array of %u bytes runs past the end", n.u);
		size_t aend = c->pos + n.u;
		while (c->pos < aend) {
			const char *e = elem;
			if ((r = cur_value(c, &e, aend, depth + 1, err)) < 0)
				return r;
		}
		*t = elem + type_len(elem);
		return 0;
	}
	case '(':
	case '{': {
		if ((r = cur_align(c, 8, end, err)) < 0)
			return r;
		char close = type == '(' ? ')' : '}';
		const char *f = *t + 1;
		while (*f != close)
			if ((r = cur_value(c, &f, end, depth + 1, err)) < 0)
				return r;
		*t = f + 1;
		return 0;
	}
	case 'v': {
		union dbus_value sig;
		const char *why;
		if ((r = cur_basic(c, 'g', end, &sig, err)) < 0)
			return r;
		if (!sig_valid(sig.s, strlen(sig.s), true, &why))
			return bad(err, c, "variant of \"%s\": %s", sig.s, why);
		(*t)++;
		return cur_value(c, &sig.s, end, depth + 1, err);
	}
	default: {
		union dbus_value v;
		(*t)++;
		return cur_basic(c, type, end, &v, err);
	}
	}
}

int dbus_frame_size(const uint8_t *data, size_t avail, size_t *size, cell_error **err)
{
	*size = 0;
	if (avail < FIXED_HEADER)
		return 0;
	if (data[0] != 'l' && data[0] != 'B')
		return cell_error_set(err, EBADMSG,
				      "D-Bus message: byte order '\\x%02x' is neither 'l' nor 'B'", data[0]);
	if (data[3] != 1)
		return cell_error_set(err, EBADMSG, "D-Bus message: protocol version %u, not 1", data[3]);
	bool be = data[0] == 'B';
	uint64_t body = get32(data + 4, be), fields = get32(data + 12, be);
	uint64_t total = ((FIXED_HEADER + fields + 7) & ~(uint64_t)7) + body;
	if (total > DBUS_MESSAGE_MAX)
		return cell_error_set(err, EMSGSIZE,
				      "D-Bus message: %" PRIu64 " bytes, more than our limit of %d (1 MiB)",
				      total, DBUS_MESSAGE_MAX);
	*size = (size_t)total;
	return 0;
}

static int parse_fields(struct dbus_msg *m, struct cur *c, size_t fend, cell_error **err)
{
	bool seen[F_COUNT] = {0};
	int r;
	while (c->pos < fend) {
		if ((r = cur_align(c, 8, fend, err)) < 0 || (r = cur_need(c, 1, fend, err)) < 0)
			return r;
		uint8_t code = c->d[c->pos++];
		union dbus_value sig, v;
		const char *why;
		if ((r = cur_basic(c, 'g', fend, &sig, err)) < 0)
			return r;
		if (!sig_valid(sig.s, strlen(sig.s), true, &why))
			return bad(err, c, "header field %u: variant of \"%s\": %s", code, sig.s, why);
		if (code == 0)
			return bad(err, c, "header field 0");
		if (code >= F_COUNT) {
			/* Fields of later versions: checked, then ignored. */
			if ((r = cur_value(c, &sig.s, fend, 1, err)) < 0)
				return r;
			continue;
		}
		if (seen[code])
			return bad(err, c, "header field %s twice", field_name[code]);
		seen[code] = true;
		if (sig.s[0] != field_type[code] || sig.s[1])
			return bad(err, c, "header field %s of type \"%s\", not \"%c\"", field_name[code],
				   sig.s, field_type[code]);
		if ((r = cur_basic(c, field_type[code], fend, &v, err)) < 0)
			return r;
		size_t n = field_type[code] == 'u' ? 0 : strlen(v.s);
		bool ok = true;
		switch ((enum field_code)code) {
		case F_INTERFACE:
		case F_ERROR_NAME:
			ok = dotted_name_valid(v.s, n, false);
			break;
		case F_MEMBER:
			ok = member_valid(v.s, n);
			break;
		case F_DESTINATION:
		case F_SENDER:
			ok = dotted_name_valid(v.s, n, true);
			break;
		case F_REPLY_SERIAL:
			m->reply_serial = v.u;
			ok = v.u != 0;
			break;
		case F_UNIX_FDS:
			m->unix_fds = v.u;
			break;
		case F_PATH:
		case F_SIGNATURE:
		case F_COUNT:
		default:
			break;
		}
		if (!ok)
			return bad(err, c, "header field %s is not valid", field_name[code]);
		if (field_type[code] != 'u')
			m->field[code] = v.s;
	}
	return 0;
}

static int parse(struct dbus_msg *m, cell_error **err)
{
	struct cur c = {.d = m->data, .pos = 0, .be = m->data[0] == 'B'};
	int r;
	m->be = c.be;
	m->type = m->data[1];
	m->flags = m->data[2];
	m->serial = get32(m->data + 8, c.be);
	if (m->type == 0)
		return bad(err, &c, "message type 0");
	if (m->serial == 0)
		return bad(err, &c, "serial 0");
	size_t fend = FIXED_HEADER + get32(m->data + 12, c.be);
	c.pos = FIXED_HEADER;
	if ((r = parse_fields(m, &c, fend, err)) < 0 || (r = cur_align(&c, 8, m->size, err)) < 0)
		return r;
	static const struct {
		enum dbus_msg_type type;
		enum field_code field;
	} required[] = {
	    {DBUS_METHOD_CALL, F_PATH}, {DBUS_METHOD_CALL, F_MEMBER}, {DBUS_METHOD_RETURN, F_REPLY_SERIAL},
	    {DBUS_ERROR, F_ERROR_NAME}, {DBUS_ERROR, F_REPLY_SERIAL}, {DBUS_SIGNAL, F_PATH},
	    {DBUS_SIGNAL, F_INTERFACE}, {DBUS_SIGNAL, F_MEMBER},
	};
	for (size_t i = 0; i < ARRAY_SIZE(required); i++)
		if (m->type == required[i].type &&
		    !(required[i].field == F_REPLY_SERIAL ? m->reply_serial != 0
							  : m->field[required[i].field] != NULL))
			return bad(err, &c, "a message of type %d without header field %s", m->type,
				   field_name[required[i].field]);
	if (m->unix_fds)
		return bad(err, &c, "%u unix fds, which we did not ask for", m->unix_fds);
	const char *sig = m->field[F_SIGNATURE] ? m->field[F_SIGNATURE] : "";
	m->field[F_SIGNATURE] = sig;
	m->body_start = c.pos;
	for (const char *t = sig; *t;)
		if ((r = cur_value(&c, &t, m->size, 0, err)) < 0)
			return r;
	if (c.pos != m->size)
		return bad(err, &c, "%zu bytes after the last value of the body (signature \"%s\")",
			   m->size - c.pos, sig);
	m->pos = m->body_start;
	m->r[0] = (struct rlevel){.sig = sig, .sig_len = strlen(sig), .end = m->size};
	m->rdepth = 1;
	return 0;
}

int dbus_msg_parse(const uint8_t *data, size_t size, struct dbus_msg **out, cell_error **err)
{
	size_t want;
	int r = dbus_frame_size(data, size, &want, err);
	if (r < 0)
		return r;
	if (want == 0 || want > size)
		return cell_error_set(err, EBADMSG, "D-Bus message: truncated: %zu bytes of %zu", size,
				      want ? want : (size_t)FIXED_HEADER);
	if (want < size)
		return cell_error_set(err, EBADMSG, "D-Bus message: %zu bytes, its header says %zu", size,
				      want);
	struct dbus_msg *m = NULL;
	if ((r = msg_new(DBUS_METHOD_CALL, &m, err)) < 0)
		return r;
	if (!(m->data = malloc(size))) {
		dbus_msg_free(m);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	memcpy(m->data, data, size);
	m->size = size;
	if ((r = parse(m, err)) < 0) {
		dbus_msg_free(m);
		return r;
	}
	*out = m;
	return 0;
}

void dbus_msg_free(struct dbus_msg *m)
{
	if (!m)
		return;
	for (int i = 0; i < F_COUNT; i++)
		free(m->owned[i]);
	for (unsigned i = 0; i < m->wdepth; i++)
		free(m->w[i].sig);
	free(m->body.p);
	free(m->data);
	free(m);
}

enum dbus_msg_type dbus_msg_type(const struct dbus_msg *m)
{
	return m->type;
}
uint32_t dbus_msg_serial(const struct dbus_msg *m)
{
	return m->serial;
}
uint32_t dbus_msg_reply_serial(const struct dbus_msg *m)
{
	return m->reply_serial;
}
const char *dbus_msg_path(const struct dbus_msg *m)
{
	return m->field[F_PATH];
}
const char *dbus_msg_interface(const struct dbus_msg *m)
{
	return m->field[F_INTERFACE];
}
const char *dbus_msg_member(const struct dbus_msg *m)
{
	return m->field[F_MEMBER];
}
const char *dbus_msg_error_name(const struct dbus_msg *m)
{
	return m->field[F_ERROR_NAME];
}
const char *dbus_msg_destination(const struct dbus_msg *m)
{
	return m->field[F_DESTINATION];
}
const char *dbus_msg_sender(const struct dbus_msg *m)
{
	return m->field[F_SENDER];
}
const char *dbus_msg_signature(const struct dbus_msg *m)
{
	return m->field[F_SIGNATURE] ? m->field[F_SIGNATURE] : m->body_sig;
}

int dbus_msg_peek(struct dbus_msg *m, char *type, const char **contents, size_t *len)
{
	if (!m->data || m->rdepth == 0)
		return 0;
	struct rlevel *l = &m->r[m->rdepth - 1];
	if (l->type == 'a') {
		if (m->pos >= l->end)
			return 0;
		if (l->at == l->sig_len)
			l->at = 0;
	}
	if (l->at >= l->sig_len)
		return 0;
	const char *t = l->sig + l->at;
	size_t n = type_len(t);
	*type = t[0];
	if (contents && len) {
		*contents = NULL;
		*len = 0;
		if (t[0] == 'a') {
			*contents = t + 1;
			*len = n - 1;
		} else if (t[0] == '(' || t[0] == '{') {
			*contents = t + 1;
			*len = n - 2;
		} else if (t[0] == 'v') {
			/* The variant's signature is its first bytes. */
			struct cur c = {.d = m->data, .pos = m->pos, .be = m->be};
			union dbus_value sig;
			if (cur_basic(&c, 'g', l->end, &sig, NULL) == 0) {
				*contents = sig.s;
				*len = strlen(sig.s);
			}
		}
	}
	return 1;
}

static int expect_next(struct dbus_msg *m, char type, cell_error **err)
{
	char t;
	struct cur c = {.d = m->data, .pos = m->pos, .be = m->be};
	if (!m->data)
		return cell_error_set(err, EINVAL, "D-Bus: the message is not one received");
	if (dbus_msg_peek(m, &t, NULL, NULL) <= 0)
		return bad(err, &c, "no more values in the container where '%c' was expected", type);
	if (t != type)
		return bad(err, &c, "a value of type '%c' where '%c' was expected", t, type);
	return 0;
}

int dbus_msg_read_basic(struct dbus_msg *m, char type, union dbus_value *v, cell_error **err)
{
	int r = expect_next(m, type, err);
	if (r < 0)
		return r;
	struct rlevel *l = &m->r[m->rdepth - 1];
	struct cur c = {.d = m->data, .pos = m->pos, .be = m->be};
	if ((r = cur_basic(&c, type, l->end, v, err)) < 0)
		return r;
	m->pos = c.pos;
	l->at++;
	return 0;
}

int dbus_msg_enter(struct dbus_msg *m, char type, cell_error **err)
{
	int r = expect_next(m, type, err);
	if (r < 0)
		return r;
	if (type != 'a' && type != '(' && type != '{' && type != 'v')
		return cell_error_set(err, EINVAL, "D-Bus: '%c' is not a container", type);
	struct rlevel *l = &m->r[m->rdepth - 1];
	struct cur c = {.d = m->data, .pos = m->pos, .be = m->be};
	if (m->rdepth > DEPTH_MAX)
		return bad(err, &c, "more than %d nested containers", DEPTH_MAX);
	const char *t = l->sig + l->at;
	size_t n = type_len(t);
	struct rlevel in = {.type = type, .end = l->end};
	union dbus_value v;
	if (type == 'a') {
		if ((r = cur_basic(&c, 'u', l->end, &v, err)) < 0 ||
		    (r = cur_align(&c, type_align(t[1]), l->end, err)) < 0)
			return r;
		if (v.u > l->end - c.pos)
			return bad(err, &c, "an array of %u bytes runs past the end", v.u);
		in.end = c.pos + v.u;
		in.sig = t + 1;
		in.sig_len = n - 1;
	} else if (type == 'v') {
		const char *why;
		if ((r = cur_basic(&c, 'g', l->end, &v, err)) < 0)
			return r;
		if (!sig_valid(v.s, strlen(v.s), true, &why))
			return bad(err, &c, "variant of \"%s\": %s", v.s, why);
		in.sig = v.s;
		in.sig_len = strlen(v.s);
	} else {
		if ((r = cur_align(&c, 8, l->end, err)) < 0)
			return r;
		in.sig = t + 1;
		in.sig_len = n - 2;
	}
	l->at += n;
	m->pos = c.pos;
	m->r[m->rdepth++] = in;
	return 0;
}

int dbus_msg_skip(struct dbus_msg *m, cell_error **err)
{
	char t;
	struct cur c = {.d = m->data, .pos = m->pos, .be = m->be};
	if (!m->data || dbus_msg_peek(m, &t, NULL, NULL) <= 0)
		return bad(err, &c, "no value to skip");
	struct rlevel *l = &m->r[m->rdepth - 1];
	const char *type = l->sig + l->at;
	int r = cur_value(&c, &type, l->end, m->rdepth - 1, err);
	if (r < 0)
		return r;
	l->at = (size_t)(type - l->sig);
	m->pos = c.pos;
	return 0;
}

int dbus_msg_exit(struct dbus_msg *m, cell_error **err)
{
	struct cur c = {.d = m->data, .pos = m->pos, .be = m->be};
	if (m->rdepth <= 1)
		return bad(err, &c, "no container to leave");
	struct rlevel *l = &m->r[m->rdepth - 1];
	if (l->type == 'a') {
		m->pos = l->end;
	} else {
		char t;
		int r;
		while (dbus_msg_peek(m, &t, NULL, NULL) > 0)
			if ((r = dbus_msg_skip(m, err)) < 0)
				return r;
	}
	m->rdepth--;
	return 0;
}

int dbus_msg_read(struct dbus_msg *m, cell_error **err, const char *sig, ...)
{
	va_list ap;
	int r = 0;
	va_start(ap, sig);
	for (; *sig && r >= 0; sig++) {
		union dbus_value v;
		if (!basic_type(*sig)) {
			r = cell_error_set(err, EINVAL, "D-Bus: dbus_msg_read reads basic types, not '%c'",
					   *sig);
			break;
		}
		if ((r = dbus_msg_read_basic(m, *sig, &v, err)) < 0)
			break;
		void *p = va_arg(ap, void *);
		switch (*sig) {
		case 'y':
			*(uint8_t *)p = v.y;
			break;
		case 'b':
			*(bool *)p = v.b;
			break;
		case 'n':
			*(int16_t *)p = v.n;
			break;
		case 'q':
			*(uint16_t *)p = v.q;
			break;
		case 'i':
			*(int32_t *)p = v.i;
			break;
		case 'u':
		case 'h':
			*(uint32_t *)p = v.u;
			break;
		case 'x':
			*(int64_t *)p = v.x;
			break;
		case 't':
			*(uint64_t *)p = v.t;
			break;
		case 'd':
			*(double *)p = v.d;
			break;
		default:
			*(const char **)p = v.s;
			break;
		}
	}
	va_end(ap);
	return r;
}

void dbus_msg_rewind(struct dbus_msg *m)
{
	if (!m->data)
		return;
	m->rdepth = 1;
	m->r[0].at = 0;
	m->pos = m->body_start;
}
