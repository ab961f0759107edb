#include "dynlib/curl.h"

#include "dynlib/dynlib.h"

DYNLIB_DEFINE(curl, "libcurl.so.4", DYNLIB_CURL_FUNCS)
