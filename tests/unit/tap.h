/* A tiny self-registering unit test harness that prints TAP.
 *
 *   TEST(parses_empty) { ASSERT_EQ(0, parse("")); }
 *
 * Each test_MODULE.c links tap.c, which provides main(). A failed assertion
 * ends the current test; the others still run. A test calls TAP_SKIP("why")
 * to skip itself. The exit status is 0 when nothing failed. */
#pragma once

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef void (*tap_fn)(void);
void tap_register(const char *name, tap_fn fn);
void tap_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
void tap_skip(const char *why) __attribute__((noreturn));

#define TEST(name)                                                                                           \
	static void test_##name(void);                                                                       \
	__attribute__((constructor)) static void register_##name(void)                                       \
	{                                                                                                    \
		tap_register(#name, test_##name);                                                            \
	}                                                                                                    \
	static void test_##name(void)

#define ASSERT_TRUE(x)                                                                                       \
	do {                                                                                                 \
		if (!(x))                                                                                    \
			tap_fail(__FILE__, __LINE__, "expected true: %s", #x);                               \
	} while (0)

#define ASSERT_FALSE(x) ASSERT_TRUE(!(x))

#define ASSERT_EQ(expected, actual)                                                                          \
	do {                                                                                                 \
		intmax_t e_ = (intmax_t)(expected), a_ = (intmax_t)(actual);                                 \
		if (e_ != a_)                                                                                \
			tap_fail(__FILE__, __LINE__, "%s: expected %jd, got %jd", #actual, e_, a_);          \
	} while (0)

#define ASSERT_STREQ(expected, actual)                                                                       \
	do {                                                                                                 \
		const char *e_ = (expected), *a_ = (actual);                                                 \
		if (!e_ || !a_ || strcmp(e_, a_) != 0)                                                       \
			tap_fail(__FILE__, __LINE__, "%s: expected \"%s\", got \"%s\"", #actual,             \
				 e_ ? e_ : "(null)", a_ ? a_ : "(null)");                                    \
	} while (0)

#define ASSERT_CONTAINS(haystack, needle)                                                                    \
	do {                                                                                                 \
		const char *h_ = (haystack), *n_ = (needle);                                                 \
		if (!h_ || !strstr(h_, n_))                                                                  \
			tap_fail(__FILE__, __LINE__, "%s: \"%s\" does not contain \"%s\"", #haystack,        \
				 h_ ? h_ : "(null)", n_);                                                    \
	} while (0)

#define TAP_SKIP(why) tap_skip(why)
