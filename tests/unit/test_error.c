#include <errno.h>
#include <stdlib.h>

#include "base/error.h"
#include "tap.h"

TEST(set_returns_negative_code_and_message)
{
	_cleanup_error_ cell_error *err = NULL;
	ASSERT_EQ(-ENOENT, cell_error_set(&err, ENOENT, "open %s", "x"));
	ASSERT_EQ(ENOENT, err->code);
	ASSERT_STREQ("open x", err->msg);
}

TEST(errno_appends_strerror)
{
	_cleanup_error_ cell_error *err = NULL;
	ASSERT_EQ(-EPERM, cell_error_errno(&err, EPERM, "mount /proc"));
	ASSERT_STREQ("mount /proc: Operation not permitted", err->msg);
	/* a negative errno is accepted as well */
	ASSERT_EQ(-EACCES, cell_error_errno(&err, -EACCES, "open"));
	ASSERT_STREQ("open: Permission denied", err->msg);
}

TEST(prefix_adds_context)
{
	_cleanup_error_ cell_error *err = NULL;
	cell_error_set(&err, EINVAL, "bad");
	ASSERT_EQ(-EINVAL, cell_error_prefix(&err, "container %s", "web"));
	ASSERT_STREQ("container web: bad", err->msg);
}

TEST(null_error_pointer_only_returns_code)
{
	ASSERT_EQ(-EBUSY, cell_error_set(NULL, EBUSY, "x"));
	ASSERT_EQ(-EIO, cell_error_set(NULL, 0, "zero code becomes EIO"));
	ASSERT_EQ(-EIO, cell_error_prefix(NULL, "nothing"));
}
