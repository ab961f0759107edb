/* Scope-bound cleanup helpers (systemd style): a variable declared with one of
 * these attributes is released when it leaves scope. Ownership leaves a scope
 * with TAKE_PTR()/TAKE_FD(). Every destructor accepts an already released value. */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
	*fd = -EBADF;
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
	*f = NULL;
}

static inline void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
	*d = NULL;
}

/* Frees a NULL-terminated array of strings and the array itself. */
void strv_free(char **v);
static inline void strv_freep(char ***v)
{
	strv_free(*v);
	*v = NULL;
}

#define _cleanup_free_     _cleanup_(freep)
#define _cleanup_close_    _cleanup_(closep)
#define _cleanup_fclose_   _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)
#define _cleanup_strv_     _cleanup_(strv_freep)

/* Hand a pointer out of a cleanup scope: returns it and leaves NULL behind. */
#define TAKE_PTR(p)                                                                                          \
	({                                                                                                   \
		__typeof__(p) _p_ = (p);                                                                     \
		(p) = NULL;                                                                                  \
		_p_;                                                                                         \
	})

/* Hand an fd out of a cleanup scope: returns it and leaves -EBADF behind. */
#define TAKE_FD(fd)                                                                                          \
	({                                                                                                   \
		int _fd_ = (fd);                                                                             \
		(fd) = -EBADF;                                                                               \
		_fd_;                                                                                        \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
