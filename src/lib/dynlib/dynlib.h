/* Libraries loaded on first use instead of at exec.
 *
 * Every `cell` command pays at exec for each shared library it links:
 * libcurl alone (with GnuTLS, Kerberos, LDAP, ...) costs about 3 ms, and
 * libarchive (with libxml2 and ICU) 1.5 ms, on a `cell run` that should take
 * 15. Most commands never touch either, so they are dlopen()ed by the
 * modules that need them (dynlib/archive.h, crypto.h, curl.h).
 *
 * Each of those headers includes the library's own header, declares a table
 * of pointers typed after the library's declarations (__typeof__), and then
 * redefines each function's name to go through the table, so the code that
 * calls them reads as ordinary libarchive/libcurl code. */
#pragma once

#include <stddef.h>

/* Open soname and resolve names[0..n) into slots[0..n). Returns 0, or
 * -ELIBACC with a message naming the library (and the missing symbol) in
 * why. Loading is idempotent per table: callers guard it with dynlib_once. */
int dynlib_load(const char *soname, const char *const *names, void **slots, size_t n, char *why,
		size_t why_len);

/* The table of one library, loaded once per process (thread-safe). A
 * library that cannot be loaded is a broken installation, as a missing
 * DT_NEEDED library would be: the process stops with a message naming it
 * and exit status 125 (cell's own failure), as ld.so would have at exec. */
void dynlib_once(const char *soname, const char *const *names, void **slots, size_t n, int *state);

/* The body of dynlib/NAME.c: the accessor dynlib_NAME() of struct
 * dynlib_NAME, whose members FUNCS (an X-macro list) names, filled from
 * SONAME on the first call. The table is a union so that dlsym()'s void
 * pointers go in through slots and the typed pointers come out of fns. */
#define DYNLIB_DEFINE(NAME, SONAME, FUNCS)                                                                   \
	static const char *const NAME##_names[] = {FUNCS(DYNLIB_NAME_)};                                     \
	static union {                                                                                       \
		struct dynlib_##NAME fns;                                                                    \
		void *slots[sizeof(NAME##_names) / sizeof(NAME##_names[0])];                                 \
	} NAME##_table;                                                                                      \
	_Static_assert(sizeof(NAME##_table.fns) == sizeof(NAME##_table.slots), "one pointer per name");      \
	const struct dynlib_##NAME *dynlib_##NAME(void)                                                      \
	{                                                                                                    \
		static int loaded;                                                                           \
		dynlib_once(SONAME, NAME##_names, NAME##_table.slots,                                        \
			    sizeof(NAME##_names) / sizeof(NAME##_names[0]), &loaded);                        \
		return &NAME##_table.fns;                                                                    \
	}
#define DYNLIB_NAME_(f) #f,
