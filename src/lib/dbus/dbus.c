/* The bus side of the D-Bus client (dbus.h): addresses, the socket, the
 * authentication, and matching replies to calls; the wire format is in
 * message.c. */
#include "dbus.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"

#define CONNECT_USEC  (25ULL * 1000000ULL)
#define SIGNALS_MAX   1024
#define ADDRESSES_MAX 16
#define AUTH_LINE_MAX 512

struct dbus_conn {
	int fd;
	uint32_t serial;
	char *unique_name;
	uint8_t *in; /* read, not yet a whole message */
	size_t in_len, in_cap;
	struct dbus_msg **signals;
	size_t n_signals, first_signal;
};

/* ---- Addresses ---- */

static bool address_plain(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-_/\\*.", c));
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode the value at v[0..n) (%XX escapes) into out (room bytes). */
static int address_value(const char *address, const char *v, size_t n, char *out, size_t room, size_t *len,
			 cell_error **err)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = v[i];
		if (ch == '%') {
			int hi = i + 2 < n ? hex_digit(v[i + 1]) : -1;
			int lo = i + 2 < n ? hex_digit(v[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return cell_error_set(
				    err, EINVAL,
				    "D-Bus address \"%s\": '%%' at byte %zu is not followed by two "
				    "hex digits",
				    address, (size_t)(v - address) + i);
			ch = (char)(hi * 16 + lo);
			i += 2;
		} else if (!address_plain(ch)) {
			return cell_error_set(err, EINVAL,
					      "D-Bus address \"%s\": byte %zu ('%c') must be escaped",
					      address, (size_t)(v - address) + i, ch);
		}
		if (o >= room)
			return cell_error_set(err, ENAMETOOLONG,
					      "D-Bus address \"%s\": a socket name is too long", address);
		out[o++] = ch;
	}
	*len = o;
	return 0;
}

/* One "transport:key=value,…" entry, e[0..n); a unix socket into *a
 * (returns 1), or 0 for a transport we do not speak. */
static int address_entry(const char *address, const char *e, size_t n, struct dbus_address *a,
			 cell_error **err)
{
	const char *colon = memchr(e, ':', n);
	if (!colon || colon == e)
		return cell_error_set(err, EINVAL, "D-Bus address \"%s\": \"%.*s\" has no transport name",
				      address, (int)n, e);
	bool unix_ = (size_t)(colon - e) == 4 && memcmp(e, "unix", 4) == 0;
	bool have = false;
	*a = (struct dbus_address){0};
	for (const char *p = colon + 1, *end = e + n; p < end;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *pe = comma ? comma : end;
		const char *eq = memchr(p, '=', (size_t)(pe - p));
		if (!eq || eq == p)
			return cell_error_set(err, EINVAL, "D-Bus address \"%s\": \"%.*s\" is not key=value",
					      address, (int)(pe - p), p);
		size_t klen = (size_t)(eq - p);
		char value[sizeof(a->name)];
		size_t vlen = 0;
		/* sun_path keeps a NUL after a path, and a NUL before an abstract name. */
		int r = address_value(address, eq + 1, (size_t)(pe - eq - 1), value, sizeof(value) - 1, &vlen,
				      err);
		if (r < 0)
			return r;
		bool path = klen == 4 && memcmp(p, "path", 4) == 0;
		bool abstract = klen == 8 && memcmp(p, "abstract", 8) == 0;
		if (unix_ && (path || abstract)) {
			if (have)
				return cell_error_set(
				    err, EINVAL,
				    "D-Bus address \"%s\": more than one path= or abstract=", address);
			if (vlen == 0 || (path && memchr(value, '\0', vlen)))
				return cell_error_set(err, EINVAL,
						      "D-Bus address \"%s\": an empty or NUL-holding %.*s",
						      address, (int)klen, p);
			memcpy(a->name, value, vlen);
			a->len = vlen;
			a->abstract = abstract;
			have = true;
		}
		p = comma ? comma + 1 : end;
		if (comma && p == end)
			return cell_error_set(err, EINVAL, "D-Bus address \"%s\": a trailing ','", address);
	}
	if (unix_ && !have)
		return cell_error_set(
		    err, EINVAL,
		    "D-Bus address \"%s\": a unix address without path= or abstract= (the others "
		    "are for servers)",
		    address);
	return unix_ ? 1 : 0;
}

int dbus_address_parse(const char *address, struct dbus_address *out, size_t max, size_t *n, cell_error **err)
{
	*n = 0;
	for (const char *p = address; *p;) {
		const char *semi = strchr(p, ';');
		size_t len = semi ? (size_t)(semi - p) : strlen(p);
		if (len > 0) {
			struct dbus_address a;
			int r = address_entry(address, p, len, &a, err);
			if (r < 0)
				return r;
			if (r > 0 && *n < max)
				out[(*n)++] = a;
		}
		p += len + (semi ? 1 : 0);
	}
	if (*n == 0)
		return cell_error_set(err, EPROTONOSUPPORT, "D-Bus address \"%s\": no unix socket in it",
				      address);
	return 0;
}

const char *dbus_system_bus_address(void)
{
	const char *a = getenv("DBUS_SYSTEM_BUS_ADDRESS");
	return a && *a ? a : DBUS_SYSTEM_BUS_DEFAULT;
}

/* ---- Connections ---- */

static uint64_t now_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t dbus_deadline_after(uint64_t usec)
{
	uint64_t now = now_usec();
	return usec > UINT64_MAX - now ? UINT64_MAX : now + usec;
}

/* Wait for events on the socket until deadline: -ETIMEDOUT when it passes. */
static int conn_poll(struct dbus_conn *c, short events, uint64_t deadline, cell_error **err)
{
	for (;;) {
		uint64_t now = now_usec();
		if (now >= deadline)
			return -ETIMEDOUT;
		uint64_t ms = (deadline - now + 999) / 1000;
		struct pollfd p = {.fd = c->fd, .events = events};
		int r = poll(&p, 1, ms > 60000 ? 60000 : (int)ms);
		if (r < 0 && errno != EINTR)
			return cell_error_errno(err, errno, "D-Bus: poll the bus socket");
		if (r > 0)
			return 0;
	}
}

static int conn_write(struct dbus_conn *c, const void *p, size_t n, uint64_t deadline, cell_error **err)
{
	const uint8_t *b = p;
	while (n > 0) {
		ssize_t w = send(c->fd, b, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			int r = conn_poll(c, POLLOUT, deadline, err);
			if (r == -ETIMEDOUT)
				return cell_error_set(err, ETIMEDOUT,
						      "D-Bus: the bus does not take our message");
			if (r < 0)
				return r;
			continue;
		}
		if (w < 0)
			return cell_error_errno(err, errno, "D-Bus: write to the bus");
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read what the socket has into c->in (at least one byte). */
static int conn_fill(struct dbus_conn *c, uint64_t deadline, cell_error **err)
{
	const size_t chunk = 65536;
	if (c->in_cap - c->in_len < chunk) {
		if (c->in_len + chunk > DBUS_MESSAGE_MAX + chunk)
			return cell_error_set(err, EMSGSIZE,
					      "D-Bus: more than 1 MiB from the bus without a message");
		uint8_t *p = realloc(c->in, c->in_len + chunk);
		if (!p)
			return cell_error_set(err, ENOMEM, "out of memory");
		c->in = p;
		c->in_cap = c->in_len + chunk;
	}
	for (;;) {
		ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
		if (n > 0) {
			c->in_len += (size_t)n;
			return 0;
		}
		if (n == 0)
			return cell_error_set(err, ECONNRESET, "D-Bus: the bus closed the connection");
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return cell_error_errno(err, errno, "D-Bus: read from the bus");
		int r = conn_poll(c, POLLIN, deadline, err);
		if (r == -ETIMEDOUT)
			return cell_error_set(err, ETIMEDOUT, "D-Bus: nothing from the bus in time");
		if (r < 0)
			return r;
	}
}

/* The next whole message from the bus. */
static int conn_next(struct dbus_conn *c, uint64_t deadline, struct dbus_msg **out, cell_error **err)
{
	for (;;) {
		size_t size = 0;
		int r = dbus_frame_size(c->in, c->in_len, &size, err);
		if (r < 0)
			return r;
		if (size && c->in_len >= size) {
			r = dbus_msg_parse(c->in, size, out, err);
			if (r < 0)
				return r;
			memmove(c->in, c->in + size, c->in_len - size);
			c->in_len -= size;
			return 0;
		}
		if ((r = conn_fill(c, deadline, err)) < 0)
			return r;
	}
}

static int conn_send(struct dbus_conn *c, struct dbus_msg *m, uint64_t deadline, uint32_t *serial,
		     cell_error **err)
{
	_cleanup_free_ uint8_t *data = NULL;
	size_t size;
	if (++c->serial == 0)
		c->serial = 1;
	int r = dbus_msg_serialize(m, c->serial, &data, &size, err);
	if (r < 0)
		return r;
	if (serial)
		*serial = c->serial;
	return conn_write(c, data, size, deadline, err);
}

int dbus_send(struct dbus_conn *c, struct dbus_msg *m, uint32_t *serial, cell_error **err)
{
	return conn_send(c, m, dbus_deadline_after(CONNECT_USEC), serial, err);
}

static int keep_signal(struct dbus_conn *c, struct dbus_msg *m, cell_error **err)
{
	/* Those read are gone: move the rest to the front. */
	if (c->first_signal > 0) {
		memmove(c->signals, c->signals + c->first_signal,
			(c->n_signals - c->first_signal) * sizeof(*c->signals));
		c->n_signals -= c->first_signal;
		c->first_signal = 0;
	}
	if (c->n_signals >= SIGNALS_MAX) {
		dbus_msg_free(m);
		return cell_error_set(err, ENOBUFS, "D-Bus: more than %d signals unread", SIGNALS_MAX);
	}
	if (c->n_signals % 16 == 0) {
		struct dbus_msg **p = realloc(c->signals, (c->n_signals + 16) * sizeof(*p));
		if (!p) {
			dbus_msg_free(m);
			return cell_error_set(err, ENOMEM, "out of memory");
		}
		c->signals = p;
	}
	c->signals[c->n_signals++] = m;
	return 0;
}

/* errno-like codes for the errors of the bus itself. */
static int error_code(const char *name)
{
	static const struct {
		const char *name;
		int code;
	} map[] = {
	    {"org.freedesktop.DBus.Error.AccessDenied", EACCES},
	    {"org.freedesktop.DBus.Error.AuthFailed", EACCES},
	    {"org.freedesktop.DBus.Error.NoMemory", ENOMEM},
	    {"org.freedesktop.DBus.Error.ServiceUnknown", EHOSTUNREACH},
	    {"org.freedesktop.DBus.Error.NameHasNoOwner", ENXIO},
	    {"org.freedesktop.DBus.Error.NoReply", ETIMEDOUT},
	    {"org.freedesktop.DBus.Error.Timeout", ETIMEDOUT},
	    {"org.freedesktop.DBus.Error.InvalidArgs", EINVAL},
	    {"org.freedesktop.DBus.Error.UnknownMethod", EBADR},
	    {"org.freedesktop.DBus.Error.UnknownObject", EBADR},
	    {"org.freedesktop.DBus.Error.UnknownInterface", EBADR},
	    {"org.freedesktop.DBus.Error.LimitsExceeded", ENOBUFS},
	};
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (strcmp(name, map[i].name) == 0)
			return map[i].code;
	return EREMOTEIO;
}

/* "NAME: text" for an error reply; the text (the first string of the body,
 * when there is one) is cut and stripped of control characters, as it
 * reaches terminals. */
static int error_reply(struct dbus_msg *m, cell_error **err)
{
	const char *name = dbus_msg_error_name(m);
	char text[512] = "";
	union dbus_value v;
	if (dbus_msg_signature(m)[0] == 's' && dbus_msg_read_basic(m, 's', &v, NULL) == 0) {
		snprintf(text, sizeof(text), "%s", v.s);
		for (char *p = text; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
	}
	dbus_msg_rewind(m);
	return cell_error_set(err, error_code(name), "%s%s%s", name, *text ? ": " : "", text);
}

static int call_until(struct dbus_conn *c, struct dbus_msg *call, uint64_t deadline, struct dbus_msg **reply,
		      cell_error **err)
{
	uint32_t serial;
	if (reply)
		*reply = NULL;
	int r = conn_send(c, call, deadline, &serial, err);
	if (r < 0)
		return r;
	for (;;) {
		struct dbus_msg *m = NULL;
		if ((r = conn_next(c, deadline, &m, err)) < 0) {
			if (r == -ETIMEDOUT)
				return cell_error_set(err, ETIMEDOUT, "D-Bus: no reply to %s in time",
						      dbus_msg_member(call));
			return r;
		}
		enum dbus_msg_type t = dbus_msg_type(m);
		if ((t == DBUS_METHOD_RETURN || t == DBUS_ERROR) && dbus_msg_reply_serial(m) == serial) {
			r = t == DBUS_ERROR ? error_reply(m, err) : 0;
			if (reply)
				*reply = m;
			else
				dbus_msg_free(m);
			return r;
		}
		if (t == DBUS_SIGNAL) {
			if ((r = keep_signal(c, m, err)) < 0)
				return r;
			continue;
		}
		/* Calls to us, replies to calls we gave up on, types of later
		 * versions: nothing we answer. */
		dbus_msg_free(m);
	}
}

int dbus_call(struct dbus_conn *c, struct dbus_msg *call, uint64_t timeout_usec, struct dbus_msg **reply,
	      cell_error **err)
{
	if (dbus_msg_type(call) != DBUS_METHOD_CALL)
		return cell_error_set(err, EINVAL, "D-Bus: only a method call has a reply");
	return call_until(c, call, dbus_deadline_after(timeout_usec), reply, err);
}

int dbus_wait_signal(struct dbus_conn *c, uint64_t deadline, struct dbus_msg **out, cell_error **err)
{
	if (c->first_signal < c->n_signals) {
		*out = c->signals[c->first_signal++];
		return 0;
	}
	for (;;) {
		struct dbus_msg *m = NULL;
		int r = conn_next(c, deadline, &m, err);
		if (r == -ETIMEDOUT)
			return cell_error_set(err, ETIMEDOUT, "D-Bus: no signal in time");
		if (r < 0)
			return r;
		if (dbus_msg_type(m) == DBUS_SIGNAL) {
			*out = m;
			return 0;
		}
		dbus_msg_free(m);
	}
}

/* A bus method of org.freedesktop.DBus, with one string argument or none. */
static int bus_method(struct dbus_conn *c, const char *member, const char *arg, uint64_t deadline,
		      struct dbus_msg **reply, cell_error **err)
{
	_cleanup_dbus_msg_ struct dbus_msg *m = NULL;
	int r = dbus_msg_new_call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
				  member, &m, err);
	if (r >= 0 && arg)
		r = dbus_msg_append(m, err, "s", arg);
	return r < 0 ? r : call_until(c, m, deadline, reply, err);
}

int dbus_add_match(struct dbus_conn *c, const char *rule, cell_error **err)
{
	int r = bus_method(c, "AddMatch", rule, dbus_deadline_after(CONNECT_USEC), NULL, err);
	return r < 0 ? cell_error_prefix(err, "D-Bus: AddMatch(\"%s\")", rule) : 0;
}

/* One line of the authentication ("OK 1234…"), without its CR LF. */
static int auth_line(struct dbus_conn *c, uint64_t deadline, char *line, size_t room, cell_error **err)
{
	for (;;) {
		uint8_t *nl = c->in_len ? memchr(c->in, '\n', c->in_len) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - c->in);
			if (n == 0 || c->in[n - 1] != '\r' || n - 1 >= room)
				return cell_error_set(err, EPROTO,
						      "D-Bus: a malformed line from the bus in the "
						      "authentication");
			memcpy(line, c->in, n - 1);
			line[n - 1] = '\0';
			for (size_t i = 0; i < n - 1; i++)
				if (line[i] < 0x20 || line[i] > 0x7e)
					return cell_error_set(
					    err, EPROTO,
					    "D-Bus: a line with a control byte in the authentication");
			memmove(c->in, nl + 1, c->in_len - n - 1);
			c->in_len -= n + 1;
			return 0;
		}
		if (c->in_len >= AUTH_LINE_MAX)
			return cell_error_set(
			    err, EPROTO, "D-Bus: an authentication line longer than %d bytes", AUTH_LINE_MAX);
		int r = conn_fill(c, deadline, err);
		if (r < 0)
			return r;
	}
}

/* SASL EXTERNAL as our uid (its decimal digits, hex encoded), then BEGIN
 * and Hello, which gives us our name on the bus. */
static int conn_hello(struct dbus_conn *c, cell_error **err)
{
	uint64_t deadline = dbus_deadline_after(CONNECT_USEC);
	char uid[16], hex[40], req[80], line[AUTH_LINE_MAX];
	snprintf(uid, sizeof(uid), "%u", (unsigned)geteuid());
	for (size_t i = 0; uid[i]; i++)
		snprintf(hex + 2 * i, 3, "%02x", (unsigned char)uid[i]);
	int n = snprintf(req, sizeof(req), "%cAUTH EXTERNAL %s\r\n", '\0', hex);
	int r = conn_write(c, req, (size_t)n, deadline, err);
	if (r >= 0)
		r = auth_line(c, deadline, line, sizeof(line), err);
	if (r < 0)
		return r;
	if (strncmp(line, "OK ", 3) != 0)
		return cell_error_set(err, EACCES, "D-Bus: the bus refused us (uid %s) with \"%s\"", uid,
				      line);
	if ((r = conn_write(c, "BEGIN\r\n", 7, deadline, err)) < 0)
		return r;
	_cleanup_dbus_msg_ struct dbus_msg *reply = NULL;
	const char *name;
	if ((r = bus_method(c, "Hello", NULL, deadline, &reply, err)) < 0 ||
	    (r = dbus_msg_read(reply, err, "s", &name)) < 0)
		return cell_error_prefix(err, "D-Bus: Hello");
	if (name[0] != ':' || !dbus_bus_name_valid(name))
		return cell_error_set(err, EPROTO, "D-Bus: Hello gave \"%s\", not a unique name", name);
	if (!(c->unique_name = strdup(name)))
		return cell_error_set(err, ENOMEM, "out of memory");
	return 0;
}

static int connect_one(const struct dbus_address *a, int *fd, cell_error **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	socklen_t len = offsetof(struct sockaddr_un, sun_path) + a->len + (a->abstract ? 1 : 0);
	memcpy(sa.sun_path + (a->abstract ? 1 : 0), a->name, a->len);
	_cleanup_close_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return cell_error_errno(err, errno, "D-Bus: socket");
	int r;
	do
		r = connect(s, (struct sockaddr *)&sa, len);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return cell_error_errno(err, errno, "D-Bus: connect to %s%.*s", a->abstract ? "@" : "",
					(int)a->len, a->name);
	*fd = TAKE_FD(s);
	return 0;
}

int dbus_connect(const char *address, struct dbus_conn **out, cell_error **err)
{
	struct dbus_address a[ADDRESSES_MAX];
	size_t n;
	int r = dbus_address_parse(address, a, ADDRESSES_MAX, &n, err);
	if (r < 0)
		return r;
	/* The first that accepts; the last failure when none does. */
	_cleanup_error_ cell_error *last = NULL;
	int fd = -EBADF;
	for (size_t i = 0; i < n && fd < 0; i++)
		r = connect_one(&a[i], &fd, &last);
	if (fd < 0) {
		if (err) {
			cell_error_free(*err);
			*err = TAKE_PTR(last);
		}
		return r;
	}
	struct dbus_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	c->fd = fd;
	if ((r = conn_hello(c, err)) < 0) {
		dbus_conn_free(c);
		return r;
	}
	*out = c;
	return 0;
}

int dbus_connect_system(struct dbus_conn **out, cell_error **err)
{
	return dbus_connect(dbus_system_bus_address(), out, err);
}

void dbus_conn_free(struct dbus_conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	for (size_t i = c->first_signal; i < c->n_signals; i++)
		dbus_msg_free(c->signals[i]);
	free(c->signals);
	free(c->in);
	free(c->unique_name);
	free(c);
}

const char *dbus_conn_unique_name(const struct dbus_conn *c)
{
	return c->unique_name;
}
