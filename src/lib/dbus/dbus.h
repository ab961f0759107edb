/* A small D-Bus client, enough for cgroup/systemd.c to ask systemd for
 * transient units without libsystemd (which a static binary cannot load):
 * connect to a bus over a unix socket (SASL EXTERNAL), marshal method calls,
 * read replies, errors and signals. Wire protocol version 1 of the D-Bus
 * specification; we write little-endian and read both byte orders. No unix
 * fd passing, no threads.
 *
 * Everything a peer sends is checked before it is used: lengths, alignment
 * and zero padding, signatures, nesting depth (32 arrays and 32 structs per
 * signature, 64 containers in all, across variants), booleans, strings (NUL
 * terminated, no NUL inside, UTF-8), object paths, names and the header
 * fields each message type needs. A message that fails is refused whole,
 * with a message that says what and where. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* The largest message we send or accept, header and body. The specification
 * allows 128 MiB; what we ask for and wait on is a few hundred bytes, and a
 * low bound keeps a peer from making us allocate much. */
#define DBUS_MESSAGE_MAX (1024 * 1024)

/* Where the system bus is when DBUS_SYSTEM_BUS_ADDRESS is not set. */
#define DBUS_SYSTEM_BUS_DEFAULT "unix:path=/run/dbus/system_bus_socket"

enum dbus_msg_type {
	DBUS_METHOD_CALL = 1,
	DBUS_METHOD_RETURN = 2,
	DBUS_ERROR = 3,
	DBUS_SIGNAL = 4,
};

struct dbus_msg;
struct dbus_conn;

/* One value of a basic type: y b n q i u x t d, and s o g as a string. */
union dbus_value {
	uint8_t y;
	bool b;
	int16_t n;
	uint16_t q;
	int32_t i;
	uint32_t u;
	int64_t x;
	uint64_t t;
	double d;
	const char *s;
};

/* ---- Addresses ---- */

/* One unix socket of a bus address: a path (NUL terminated), or a name in
 * the abstract namespace (name[0..len), without the leading NUL). */
struct dbus_address {
	bool abstract;
	char name[108];
	size_t len;
};

/* Parse a bus address ("unix:path=/run/bus;unix:abstract=x", values with
 * %XX escapes) into its unix sockets, in order, at most max of them into
 * out[]; *n is how many. Other transports (tcp, …) are skipped. Fails on a
 * malformed address or when no unix socket is named. */
int dbus_address_parse(const char *address, struct dbus_address *out, size_t max, size_t *n,
		       cell_error **err);

/* The system bus's address: $DBUS_SYSTEM_BUS_ADDRESS, or the default. */
const char *dbus_system_bus_address(void);

/* True for a bus name: unique (":1.42") or well-known ("org.a.B"). */
bool dbus_bus_name_valid(const char *name);

/* ---- Building messages ---- */

/* A method call to dest (NULL: none, on a peer connection) at path. Names
 * are checked. The message is freed with dbus_msg_free(). */
int dbus_msg_new_call(const char *dest, const char *path, const char *iface, const char *member,
		      struct dbus_msg **out, cell_error **err);

/* A signal from path. */
int dbus_msg_new_signal(const char *path, const char *iface, const char *member, struct dbus_msg **out,
			cell_error **err);

/* Set the destination (a signal sent to one peer). */
int dbus_msg_set_destination(struct dbus_msg *m, const char *dest, cell_error **err);

/* Append a value of basic type (y b n q i u x t d s o g) to the body. The
 * value must be what the enclosing container expects. A failed call (here
 * and in dbus_msg_open) leaves the message as it was. */
int dbus_msg_put(struct dbus_msg *m, char type, union dbus_value v, cell_error **err);

/* Open a container: 'a' with the element type as contents ("(sv)"), '('
 * or '{' with the fields ("sv"), 'v' with the one complete type it holds.
 * Each open is matched by a dbus_msg_close(). */
int dbus_msg_open(struct dbus_msg *m, char type, const char *contents, cell_error **err);
int dbus_msg_close(struct dbus_msg *m, cell_error **err);

/* Append values by signature, sd-bus's way: a basic type takes its C value
 * (y b n q i as int, u as uint32_t, x int64_t, t uint64_t, d double, s o g
 * const char *), 'a' an unsigned count then that many elements, 'v' the
 * contents' signature then the values, '(' and '{' their fields in turn.
 * It stops at the first value that fails; those before it stay appended. */
int dbus_msg_append(struct dbus_msg *m, cell_error **err, const char *sig, ...);

/* The message as bytes, with this serial (not 0). *data is the caller's. */
int dbus_msg_serialize(struct dbus_msg *m, uint32_t serial, uint8_t **data, size_t *size, cell_error **err);

/* ---- Reading messages ---- */

/* The size of the message that starts data (given avail bytes), from its
 * fixed header: 0 when fewer than 16 bytes are there. Fails when the header
 * is not D-Bus's or the size is above DBUS_MESSAGE_MAX. */
int dbus_frame_size(const uint8_t *data, size_t avail, size_t *size, cell_error **err);

/* Check a whole message (size bytes) and make it a dbus_msg, copying data.
 * The read cursor starts at the first value of the body. */
int dbus_msg_parse(const uint8_t *data, size_t size, struct dbus_msg **out, cell_error **err);

void dbus_msg_free(struct dbus_msg *m);
static inline void dbus_msg_freep(struct dbus_msg **m)
{
	dbus_msg_free(*m);
	*m = NULL;
}
#define _cleanup_dbus_msg_ _cleanup_(dbus_msg_freep)

/* The header: absent fields are NULL (or 0). The signature is "" for no body. */
enum dbus_msg_type dbus_msg_type(const struct dbus_msg *m);
uint32_t dbus_msg_serial(const struct dbus_msg *m);
uint32_t dbus_msg_reply_serial(const struct dbus_msg *m);
const char *dbus_msg_path(const struct dbus_msg *m);
const char *dbus_msg_interface(const struct dbus_msg *m);
const char *dbus_msg_member(const struct dbus_msg *m);
const char *dbus_msg_error_name(const struct dbus_msg *m);
const char *dbus_msg_destination(const struct dbus_msg *m);
const char *dbus_msg_sender(const struct dbus_msg *m);
const char *dbus_msg_signature(const struct dbus_msg *m);

/* What comes next in the current container: 1 with its type code and, for
 * a container, its contents' signature (*contents, *len: not NUL
 * terminated) — the element type of 'a', the fields of '(' and '{', the
 * type inside 'v'; 0 at the end of the container. */
int dbus_msg_peek(struct dbus_msg *m, char *type, const char **contents, size_t *len);

/* Read the next value, which must be of basic type type; strings point into
 * the message. */
int dbus_msg_read_basic(struct dbus_msg *m, char type, union dbus_value *v, cell_error **err);

/* Enter the next value, a container of type type ('a', '(', '{', 'v'), or
 * leave the current one (skipping what is left of it). */
int dbus_msg_enter(struct dbus_msg *m, char type, cell_error **err);
int dbus_msg_exit(struct dbus_msg *m, cell_error **err);

/* Skip the next value, whatever it is. */
int dbus_msg_skip(struct dbus_msg *m, cell_error **err);

/* Read basic values by signature into pointers (y uint8_t *, b bool *, n
 * int16_t *, q uint16_t *, i int32_t *, u uint32_t *, x int64_t *, t
 * uint64_t *, d double *, s o g const char **). */
int dbus_msg_read(struct dbus_msg *m, cell_error **err, const char *sig, ...);

/* Back to the first value of the body. */
void dbus_msg_rewind(struct dbus_msg *m);

/* ---- Connections ---- */

/* Connect to the bus at address (the first of its unix sockets that
 * accepts), authenticate as our uid and say Hello. */
int dbus_connect(const char *address, struct dbus_conn **out, cell_error **err);
int dbus_connect_system(struct dbus_conn **out, cell_error **err);

void dbus_conn_free(struct dbus_conn *c);
static inline void dbus_conn_freep(struct dbus_conn **c)
{
	dbus_conn_free(*c);
	*c = NULL;
}
#define _cleanup_dbus_conn_ _cleanup_(dbus_conn_freep)

/* Our name on the bus (":1.42"). */
const char *dbus_conn_unique_name(const struct dbus_conn *c);

/* Send m with the next serial (*serial when not NULL); no reply is awaited. */
int dbus_send(struct dbus_conn *c, struct dbus_msg *m, uint32_t *serial, cell_error **err);

/* Send a method call and wait up to timeout_usec for its reply. A method
 * return lands in *reply (NULL: dropped). An error reply fails the call
 * with "ERROR.NAME: its text" and is also left in *reply, for callers that
 * accept some errors. Signals that arrive meanwhile are kept for
 * dbus_wait_signal(); anything else is skipped. */
int dbus_call(struct dbus_conn *c, struct dbus_msg *call, uint64_t timeout_usec, struct dbus_msg **reply,
	      cell_error **err);

/* The point on CLOCK_MONOTONIC (µs) usec from now, for dbus_wait_signal. */
uint64_t dbus_deadline_after(uint64_t usec);

/* The next signal (first those kept while waiting for replies), waiting
 * until deadline: -ETIMEDOUT when none comes. A deadline rather than a
 * timeout, so that a caller looking for one signal among others waits no
 * longer in all. */
int dbus_wait_signal(struct dbus_conn *c, uint64_t deadline, struct dbus_msg **out, cell_error **err);

/* org.freedesktop.DBus.AddMatch: have the bus send us the signals the rule
 * matches ("type='signal',interface='…',member='…'"). */
int dbus_add_match(struct dbus_conn *c, const char *rule, cell_error **err);
