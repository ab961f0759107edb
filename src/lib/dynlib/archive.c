#include "dynlib/archive.h"

#include "dynlib/dynlib.h"

DYNLIB_DEFINE(archive, "libarchive.so.13", DYNLIB_ARCHIVE_FUNCS)
