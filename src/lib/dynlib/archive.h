/* libarchive: loaded on first use (dynlib/dynlib.h says why). Include this
 * instead of the library's own headers; calls read as usual. */
#pragma once

#include <archive.h>
#include <archive_entry.h>

#define DYNLIB_ARCHIVE_FUNCS(X)                                                                              \
	X(archive_errno)                                                                                     \
	X(archive_error_string)                                                                              \
	X(archive_set_error)                                                                                 \
	X(archive_read_new)                                                                                  \
	X(archive_read_free)                                                                                 \
	X(archive_read_support_format_tar)                                                                   \
	X(archive_read_support_format_raw)                                                                   \
	X(archive_read_support_format_empty)                                                                 \
	X(archive_read_support_filter_all)                                                                   \
	X(archive_read_open)                                                                                 \
	X(archive_read_open_fd)                                                                              \
	X(archive_read_next_header)                                                                          \
	X(archive_read_data)                                                                                 \
	X(archive_read_data_block)                                                                           \
	X(archive_write_new)                                                                                 \
	X(archive_write_free)                                                                                \
	X(archive_write_set_format_pax_restricted)                                                           \
	X(archive_write_open_fd)                                                                             \
	X(archive_write_open2)                                                                               \
	X(archive_write_header)                                                                              \
	X(archive_write_data)                                                                                \
	X(archive_write_close)                                                                               \
	X(archive_entry_new)                                                                                 \
	X(archive_entry_free)                                                                                \
	X(archive_entry_pathname)                                                                            \
	X(archive_entry_symlink)                                                                             \
	X(archive_entry_hardlink)                                                                            \
	X(archive_entry_filetype)                                                                            \
	X(archive_entry_perm)                                                                                \
	X(archive_entry_size)                                                                                \
	X(archive_entry_uid)                                                                                 \
	X(archive_entry_gid)                                                                                 \
	X(archive_entry_rdevmajor)                                                                           \
	X(archive_entry_rdevminor)                                                                           \
	X(archive_entry_mtime)                                                                               \
	X(archive_entry_mtime_nsec)                                                                          \
	X(archive_entry_atime)                                                                               \
	X(archive_entry_atime_nsec)                                                                          \
	X(archive_entry_atime_is_set)                                                                        \
	X(archive_entry_set_pathname)                                                                        \
	X(archive_entry_copy_pathname)                                                                       \
	X(archive_entry_copy_symlink)                                                                        \
	X(archive_entry_copy_hardlink)                                                                       \
	X(archive_entry_set_filetype)                                                                        \
	X(archive_entry_set_perm)                                                                            \
	X(archive_entry_set_size)                                                                            \
	X(archive_entry_set_mtime)                                                                           \
	X(archive_entry_set_uname)                                                                           \
	X(archive_entry_set_gname)                                                                           \
	X(archive_entry_copy_stat)                                                                           \
	X(archive_entry_xattr_reset)                                                                         \
	X(archive_entry_xattr_next)                                                                          \
	X(archive_entry_xattr_add_entry)

struct dynlib_archive {
#define DYNLIB_SLOT(f) __typeof__(f) *f;
	DYNLIB_ARCHIVE_FUNCS(DYNLIB_SLOT)
#undef DYNLIB_SLOT
};

/* The loaded table; the first call loads libarchive.so.13. */
const struct dynlib_archive *dynlib_archive(void);

#define archive_errno                           (dynlib_archive()->archive_errno)
#define archive_error_string                    (dynlib_archive()->archive_error_string)
#define archive_set_error                       (dynlib_archive()->archive_set_error)
#define archive_read_new                        (dynlib_archive()->archive_read_new)
#define archive_read_free                       (dynlib_archive()->archive_read_free)
#define archive_read_support_format_tar         (dynlib_archive()->archive_read_support_format_tar)
#define archive_read_support_format_raw         (dynlib_archive()->archive_read_support_format_raw)
#define archive_read_support_format_empty       (dynlib_archive()->archive_read_support_format_empty)
#define archive_read_support_filter_all         (dynlib_archive()->archive_read_support_filter_all)
#define archive_read_open                       (dynlib_archive()->archive_read_open)
#define archive_read_open_fd                    (dynlib_archive()->archive_read_open_fd)
#define archive_read_next_header                (dynlib_archive()->archive_read_next_header)
#define archive_read_data                       (dynlib_archive()->archive_read_data)
#define archive_read_data_block                 (dynlib_archive()->archive_read_data_block)
#define archive_write_new                       (dynlib_archive()->archive_write_new)
#define archive_write_free                      (dynlib_archive()->archive_write_free)
#define archive_write_set_format_pax_restricted (dynlib_archive()->archive_write_set_format_pax_restricted)
#define archive_write_open_fd                   (dynlib_archive()->archive_write_open_fd)
#define archive_write_open2                     (dynlib_archive()->archive_write_open2)
#define archive_write_header                    (dynlib_archive()->archive_write_header)
#define archive_write_data                      (dynlib_archive()->archive_write_data)
#define archive_write_close                     (dynlib_archive()->archive_write_close)
#define archive_entry_new                       (dynlib_archive()->archive_entry_new)
#define archive_entry_free                      (dynlib_archive()->archive_entry_free)
#define archive_entry_pathname                  (dynlib_archive()->archive_entry_pathname)
#define archive_entry_symlink                   (dynlib_archive()->archive_entry_symlink)
#define archive_entry_hardlink                  (dynlib_archive()->archive_entry_hardlink)
#define archive_entry_filetype                  (dynlib_archive()->archive_entry_filetype)
#define archive_entry_perm                      (dynlib_archive()->archive_entry_perm)
#define archive_entry_size                      (dynlib_archive()->archive_entry_size)
#define archive_entry_uid                       (dynlib_archive()->archive_entry_uid)
#define archive_entry_gid                       (dynlib_archive()->archive_entry_gid)
#define archive_entry_rdevmajor                 (dynlib_archive()->archive_entry_rdevmajor)
#define archive_entry_rdevminor                 (dynlib_archive()->archive_entry_rdevminor)
#define archive_entry_mtime                     (dynlib_archive()->archive_entry_mtime)
#define archive_entry_mtime_nsec                (dynlib_archive()->archive_entry_mtime_nsec)
#define archive_entry_atime                     (dynlib_archive()->archive_entry_atime)
#define archive_entry_atime_nsec                (dynlib_archive()->archive_entry_atime_nsec)
#define archive_entry_atime_is_set              (dynlib_archive()->archive_entry_atime_is_set)
#define archive_entry_set_pathname              (dynlib_archive()->archive_entry_set_pathname)
#define archive_entry_copy_pathname             (dynlib_archive()->archive_entry_copy_pathname)
#define archive_entry_copy_symlink              (dynlib_archive()->archive_entry_copy_symlink)
#define archive_entry_copy_hardlink             (dynlib_archive()->archive_entry_copy_hardlink)
#define archive_entry_set_filetype              (dynlib_archive()->archive_entry_set_filetype)
#define archive_entry_set_perm                  (dynlib_archive()->archive_entry_set_perm)
#define archive_entry_set_size                  (dynlib_archive()->archive_entry_set_size)
#define archive_entry_set_mtime                 (dynlib_archive()->archive_entry_set_mtime)
#define archive_entry_set_uname                 (dynlib_archive()->archive_entry_set_uname)
#define archive_entry_set_gname                 (dynlib_archive()->archive_entry_set_gname)
#define archive_entry_copy_stat                 (dynlib_archive()->archive_entry_copy_stat)
#define archive_entry_xattr_reset               (dynlib_archive()->archive_entry_xattr_reset)
#define archive_entry_xattr_next                (dynlib_archive()->archive_entry_xattr_next)
#define archive_entry_xattr_add_entry           (dynlib_archive()->archive_entry_xattr_add_entry)
