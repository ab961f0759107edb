#include "dynlib.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int dynlib_load(const char *soname, const char *const *names, void **slots, size_t n, char *why,
		size_t why_len)
{
	/* RTLD_LOCAL: the library's symbols stay out of the global scope, where
	 * they could satisfy some other library's lookups by accident. */
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(why, why_len, "cannot load %s: %s", soname, dlerror());
		return -ELIBACC;
	}
	for (size_t i = 0; i < n; i++) {
		void *sym = dlsym(h, names[i]);
		if (!sym) {
			snprintf(why, why_len, "%s has no %s (a different version than cell was built for?)",
				 soname, names[i]);
			dlclose(h);
			return -ELIBACC;
		}
		slots[i] = sym;
	}
	/* The handle stays open for the life of the process: the pointers in
	 * slots point into it. */
	return 0;
}

void dynlib_once(const char *soname, const char *const *names, void **slots, size_t n, int *state)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

	/* 0: not loaded, 1: loaded. After the first call a single acquire load
	 * is the whole cost; the table is filled under the lock, once. */
	if (__atomic_load_n(state, __ATOMIC_ACQUIRE) == 1)
		return;
	pthread_mutex_lock(&lock);
	if (*state == 0) {
		char why[512];
		if (dynlib_load(soname, names, slots, n, why, sizeof(why)) < 0) {
			dprintf(STDERR_FILENO, "cell: %s\n", why);
			_exit(125);
		}
		__atomic_store_n(state, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&lock);
}
