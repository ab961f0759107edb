/* The allocator of the static cellrt (musl builds only).
 *
 * musl's own (mallocng) hands every group of small blocks back to the kernel
 * as soon as its last block is freed: a `cellrt run` made some forty mmap and
 * munmap pairs, each new mapping faulting its page in again, more than the
 * start-up that linking against musl saves. cellrt allocates a few hundred
 * KiB over its life, nearly all while it starts a container, so it keeps
 * what it frees instead: blocks of power-of-two sizes, on one free list per
 * size, carved from chunks that are never returned. Requests above the
 * largest class get a mapping of their own, unmapped when freed.
 *
 * One lock guards the lists: cellrt has no threads, but the container's init
 * may run a helper that shares its memory (linux/seccomp.c), and a lock that
 * is never contended costs one atomic exchange. */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MIN_SHIFT  4  /* 16 bytes */
#define MAX_SHIFT  16 /* 64 KiB */
#define CLASSES    (MAX_SHIFT - MIN_SHIFT + 1)
#define CHUNK_SIZE ((size_t)256 << 10) /* what the arena grows by */

/* In front of every block, keeping the payload 16-byte aligned. */
struct header {
	size_t size;   /* the payload's capacity */
	size_t mapped; /* nonzero: the block is its own mapping of this length */
};

struct free_block {
	struct free_block *next;
};

static struct free_block *free_lists[CLASSES];
static char *arena, *arena_end;
static atomic_flag lock = ATOMIC_FLAG_INIT;

static void lock_take(void)
{
	while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire))
		;
}

static void lock_give(void)
{
	atomic_flag_clear_explicit(&lock, memory_order_release);
}

static unsigned int class_of(size_t n)
{
	unsigned int c = 0;
	while (((size_t)1 << (MIN_SHIFT + c)) < n)
		c++;
	return c;
}

static void *map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* A block of class c from the arena, with the lock held. */
static struct header *carve(unsigned int c)
{
	size_t need = sizeof(struct header) + ((size_t)1 << (MIN_SHIFT + c));
	if ((size_t)(arena_end - arena) < need) {
		char *chunk = map(CHUNK_SIZE);
		if (!chunk)
			return NULL;
		arena = chunk;
		arena_end = chunk + CHUNK_SIZE;
	}
	struct header *h = (struct header *)arena;
	arena += need;
	h->size = (size_t)1 << (MIN_SHIFT + c);
	h->mapped = 0;
	return h;
}

void *malloc(size_t n)
{
	if (n > ((size_t)1 << MAX_SHIFT)) {
		if (n > PTRDIFF_MAX - sizeof(struct header) - 4096) {
			errno = ENOMEM;
			return NULL;
		}
		size_t len = (sizeof(struct header) + n + 4095) & ~(size_t)4095;
		struct header *h = map(len);
		if (!h) {
			errno = ENOMEM;
			return NULL;
		}
		h->size = len - sizeof(struct header);
		h->mapped = len;
		return h + 1;
	}
	unsigned int c = class_of(n ? n : 1);
	lock_take();
	struct header *h;
	struct free_block *b = free_lists[c];
	if (b) {
		free_lists[c] = b->next;
		h = (struct header *)b - 1;
	} else {
		h = carve(c);
	}
	lock_give();
	if (!h) {
		errno = ENOMEM;
		return NULL;
	}
	return h + 1;
}

void free(void *p)
{
	if (!p)
		return;
	struct header *h = (struct header *)p - 1;
	if (h->mapped) {
		munmap(h, h->mapped);
		return;
	}
	unsigned int c = class_of(h->size);
	struct free_block *b = p;
	lock_take();
	b->next = free_lists[c];
	free_lists[c] = b;
	lock_give();
}

void *calloc(size_t count, size_t size)
{
	size_t n;
	if (__builtin_mul_overflow(count, size, &n)) {
		errno = ENOMEM;
		return NULL;
	}
	void *p = malloc(n);
	if (p)
		memset(p, 0, n);
	return p;
}

void *realloc(void *p, size_t n)
{
	if (!p)
		return malloc(n);
	struct header *h = (struct header *)p - 1;
	if (n <= h->size)
		return p;
	void *q = malloc(n);
	if (!q)
		return NULL;
	memcpy(q, p, h->size);
	free(p);
	return q;
}
