/* libcurl: loaded on first use (dynlib/dynlib.h says why). Include this
 * instead of <curl/curl.h>; calls read as usual. curl's compile-time type
 * checks of setopt/getinfo (typecheck-gcc.h) work on the function names we
 * redefine, so they are off here: the registry tests exercise every option. */
#pragma once

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#define DYNLIB_CURL_FUNCS(X)                                                                                 \
	X(curl_global_init)                                                                                  \
	X(curl_free)                                                                                         \
	X(curl_slist_append)                                                                                 \
	X(curl_slist_free_all)                                                                               \
	X(curl_easy_init)                                                                                    \
	X(curl_easy_cleanup)                                                                                 \
	X(curl_easy_reset)                                                                                   \
	X(curl_easy_setopt)                                                                                  \
	X(curl_easy_getinfo)                                                                                 \
	X(curl_easy_perform)                                                                                 \
	X(curl_easy_pause)                                                                                   \
	X(curl_easy_strerror)                                                                                \
	X(curl_easy_escape)                                                                                  \
	X(curl_multi_init)                                                                                   \
	X(curl_multi_cleanup)                                                                                \
	X(curl_multi_add_handle)                                                                             \
	X(curl_multi_remove_handle)                                                                          \
	X(curl_multi_perform)                                                                                \
	X(curl_multi_poll)                                                                                   \
	X(curl_multi_info_read)

struct dynlib_curl {
#define DYNLIB_SLOT(f) __typeof__(f) *f;
	DYNLIB_CURL_FUNCS(DYNLIB_SLOT)
#undef DYNLIB_SLOT
};

/* The loaded table; the first call loads libcurl.so.4. */
const struct dynlib_curl *dynlib_curl(void);

/* In case <curl/curl.h> came in earlier with its checking macros. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init         (dynlib_curl()->curl_global_init)
#define curl_free                (dynlib_curl()->curl_free)
#define curl_slist_append        (dynlib_curl()->curl_slist_append)
#define curl_slist_free_all      (dynlib_curl()->curl_slist_free_all)
#define curl_easy_init           (dynlib_curl()->curl_easy_init)
#define curl_easy_cleanup        (dynlib_curl()->curl_easy_cleanup)
#define curl_easy_reset          (dynlib_curl()->curl_easy_reset)
#define curl_easy_setopt         (dynlib_curl()->curl_easy_setopt)
#define curl_easy_getinfo        (dynlib_curl()->curl_easy_getinfo)
#define curl_easy_perform        (dynlib_curl()->curl_easy_perform)
#define curl_easy_pause          (dynlib_curl()->curl_easy_pause)
#define curl_easy_strerror       (dynlib_curl()->curl_easy_strerror)
#define curl_easy_escape         (dynlib_curl()->curl_easy_escape)
#define curl_multi_init          (dynlib_curl()->curl_multi_init)
#define curl_multi_cleanup       (dynlib_curl()->curl_multi_cleanup)
#define curl_multi_add_handle    (dynlib_curl()->curl_multi_add_handle)
#define curl_multi_remove_handle (dynlib_curl()->curl_multi_remove_handle)
#define curl_multi_perform       (dynlib_curl()->curl_multi_perform)
#define curl_multi_poll          (dynlib_curl()->curl_multi_poll)
#define curl_multi_info_read     (dynlib_curl()->curl_multi_info_read)
