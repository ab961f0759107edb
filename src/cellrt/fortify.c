/* The static cellrt links musl with Debian's libjansson.a, which was built
 * against glibc with _FORTIFY_SOURCE: its object code calls glibc's checked
 * variants of three functions, which musl does not have. They are written
 * here with glibc's meaning: a call whose length exceeds the object the
 * compiler knew the destination to be is a buffer overflow, and stops the
 * process. Not part of the glibc builds, which have the real ones. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((format(printf, 5, 6))) int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen,
							 const char *fmt, ...);
__attribute__((format(printf, 5, 0))) int __vsnprintf_chk(char *s, size_t maxlen, int flag, size_t slen,
							  const char *fmt, va_list ap);
char *__strncpy_chk(char *dst, const char *src, size_t n, size_t dstlen);

static _Noreturn void overflow(void)
{
	static const char msg[] = "*** buffer overflow detected ***: terminated\n";
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	abort();
}

int __vsnprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, va_list ap)
{
	(void)flag;
	if (maxlen > slen)
		overflow();
	return vsnprintf(s, maxlen, fmt, ap);
}

int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = __vsnprintf_chk(s, maxlen, flag, slen, fmt, ap);
	va_end(ap);
	return r;
}

char *__strncpy_chk(char *dst, const char *src, size_t n, size_t dstlen)
{
	if (n > dstlen)
		overflow();
	return strncpy(dst, src, n);
}
