#include "tap.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>

struct tap_test {
	const char *name;
	tap_fn fn;
};

static struct tap_test *tests;
static size_t n_tests, cap_tests;
static jmp_buf env;
static const char *skip_reason;

void tap_register(const char *name, tap_fn fn)
{
	if (n_tests == cap_tests) {
		cap_tests = cap_tests ? cap_tests * 2 : 32;
		tests = realloc(tests, cap_tests * sizeof(*tests));
		if (!tests)
			abort();
	}
	tests[n_tests++] = (struct tap_test){name, fn};
}

void tap_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stdout, "# %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	longjmp(env, 1);
}

void tap_skip(const char *why)
{
	skip_reason = why;
	longjmp(env, 2);
}

int main(void)
{
	volatile int failed = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("1..%zu\n", n_tests);
	for (volatile size_t i = 0; i < n_tests; i++) {
		int r = setjmp(env);
		if (r == 0) {
			tests[i].fn();
			printf("ok %zu - %s\n", i + 1, tests[i].name);
		} else if (r == 2) {
			printf("ok %zu - %s # SKIP %s\n", i + 1, tests[i].name, skip_reason);
		} else {
			printf("not ok %zu - %s\n", i + 1, tests[i].name);
			failed++;
		}
	}
	free(tests);
	return failed ? 1 : 0;
}
