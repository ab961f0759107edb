/* The static cellrt's allocator (src/cellrt/malloc.c), built here under
 * other names beside the C library's own malloc. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#define malloc  cellrt_malloc
#define free    cellrt_free
#define calloc  cellrt_calloc
#define realloc cellrt_realloc
#include "../../src/cellrt/malloc.c"
#undef malloc
#undef free
#undef calloc
#undef realloc

#include "tap.h"

TEST(every_size_is_aligned_and_usable)
{
	for (size_t n = 0; n <= 70000; n += n < 300 ? 1 : 97) {
		unsigned char *p = cellrt_malloc(n);
		ASSERT_TRUE(p != NULL);
		ASSERT_EQ(0, (int)((uintptr_t)p % 16));
		memset(p, 0xa5, n);
		cellrt_free(p);
	}
	cellrt_free(NULL);
}

TEST(a_freed_block_is_reused_not_returned)
{
	void *a = cellrt_malloc(100);
	cellrt_free(a);
	void *b = cellrt_malloc(120); /* the same class, 128 bytes */
	ASSERT_TRUE(a == b);
	cellrt_free(b);
}

TEST(blocks_do_not_overlap)
{
	enum { N = 2000 };
	static unsigned char *p[N];
	for (size_t i = 0; i < N; i++) {
		size_t n = 1 + (i * 37) % 5000;
		p[i] = cellrt_malloc(n);
		ASSERT_TRUE(p[i] != NULL);
		memset(p[i], (int)(i & 0xff), n);
	}
	for (size_t i = 0; i < N; i++) {
		size_t n = 1 + (i * 37) % 5000;
		for (size_t k = 0; k < n; k++)
			if (p[i][k] != (unsigned char)(i & 0xff))
				tap_fail(__FILE__, __LINE__, "block %zu byte %zu was overwritten", i, k);
		cellrt_free(p[i]);
	}
}

TEST(realloc_keeps_the_bytes)
{
	char *p = cellrt_realloc(NULL, 10);
	memcpy(p, "0123456789", 10);
	ASSERT_TRUE(cellrt_realloc(p, 5) == p); /* shrinking keeps the block */
	p = cellrt_realloc(p, 100000);          /* into a mapping of its own */
	ASSERT_TRUE(p != NULL);
	ASSERT_EQ(0, memcmp(p, "0123456789", 10));
	memset(p + 10, 'x', 100000 - 10);
	p = cellrt_realloc(p, 300000);
	ASSERT_EQ(0, memcmp(p, "0123456789", 10));
	ASSERT_EQ('x', p[99999]);
	cellrt_free(p);
}

TEST(calloc_zeroes_recycled_memory_and_checks_overflow)
{
	unsigned char *p = cellrt_malloc(64);
	memset(p, 0xff, 64);
	cellrt_free(p);
	unsigned char *q = cellrt_calloc(8, 8);
	ASSERT_TRUE(q == p);
	for (size_t i = 0; i < 64; i++)
		ASSERT_EQ(0, q[i]);
	cellrt_free(q);
	errno = 0;
	ASSERT_TRUE(cellrt_calloc(SIZE_MAX / 2, 3) == NULL);
	ASSERT_EQ(ENOMEM, errno);
}

TEST(impossible_sizes_fail_with_enomem)
{
	errno = 0;
	ASSERT_TRUE(cellrt_malloc(SIZE_MAX) == NULL);
	ASSERT_EQ(ENOMEM, errno);
	errno = 0;
	ASSERT_TRUE(cellrt_malloc(PTRDIFF_MAX) == NULL);
	ASSERT_EQ(ENOMEM, errno);
}
