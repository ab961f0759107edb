/* libFuzzer target: bytes from a D-Bus peer, through the framing, the
 * message checks and every reading call (peek, enter, read, skip, exit,
 * rewind), and the same bytes as a bus address. Nothing may crash, read out
 * of bounds, hang or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dbus/dbus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every value of the current container, depth first. */
static void walk(struct dbus_msg *m, size_t size)
{
	char t;
	const char *contents;
	size_t len;
	while (dbus_msg_peek(m, &t, &contents, &len) > 0) {
		union dbus_value v;
		if (t == 'a' || t == '(' || t == '{' || t == 'v') {
			if (dbus_msg_enter(m, t, NULL) < 0)
				return;
			walk(m, size);
			if (dbus_msg_exit(m, NULL) < 0)
				return;
		} else if (dbus_msg_read_basic(m, t, &v, NULL) < 0) {
			return;
		} else if ((t == 's' || t == 'o' || t == 'g') && strlen(v.s) >= size) {
			abort(); /* a string longer than the message */
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t frame;
	if (dbus_frame_size(data, size, &frame, NULL) == 0 && frame > DBUS_MESSAGE_MAX)
		abort();
	struct dbus_msg *m = NULL;
	cell_error *err = NULL;
	if (dbus_msg_parse(data, size, &m, &err) == 0) {
		const char *fields[] = {dbus_msg_path(m),       dbus_msg_interface(m),   dbus_msg_member(m),
					dbus_msg_error_name(m), dbus_msg_destination(m), dbus_msg_sender(m),
					dbus_msg_signature(m)};
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (fields[i] && strlen(fields[i]) >= size)
				abort();
		walk(m, size);
		dbus_msg_rewind(m);
		char t;
		while (dbus_msg_peek(m, &t, NULL, NULL) > 0)
			if (dbus_msg_skip(m, NULL) < 0)
				break;
		dbus_msg_rewind(m);
		const char *s;
		uint32_t u;
		dbus_msg_read(m, NULL, "uoss", &u, &s, &s, &s);
		dbus_msg_free(m);
	} else {
		cell_error_free(err);
	}

	/* The bytes as an address. */
	char *address = malloc(size + 1);
	if (!address)
		return 0;
	memcpy(address, data, size);
	address[size] = '\0';
	struct dbus_address a[4];
	size_t n;
	err = NULL;
	if (dbus_address_parse(address, a, 4, &n, &err) == 0) {
		for (size_t i = 0; i < n; i++)
			if (a[i].len == 0 || a[i].len > sizeof(a[i].name) - 1)
				abort();
	} else {
		cell_error_free(err);
	}
	free(address);
	return 0;
}
