#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/mountinfo.h"
#include "tap.h"

static char file[64];

static const char *write_mountinfo(const char *text)
{
	strcpy(file, "/tmp/cell-test-mountinfo-XXXXXX");
	int fd = mkstemp(file);
	if (fd < 0)
		return NULL;
	size_t len = strlen(text);
	bool ok = write(fd, text, len) == (ssize_t)len;
	close(fd);
	return ok ? file : NULL;
}

struct seen {
	int n;
	struct mountinfo_entry last;
	char mountpoint[256], root[256], fstype[32], source[64], super[64];
};

static int record(const struct mountinfo_entry *m, void *data)
{
	struct seen *s = data;
	s->n++;
	s->last = *m;
	snprintf(s->mountpoint, sizeof(s->mountpoint), "%s", m->mountpoint);
	snprintf(s->root, sizeof(s->root), "%s", m->root);
	snprintf(s->fstype, sizeof(s->fstype), "%s", m->fstype);
	snprintf(s->source, sizeof(s->source), "%s", m->source);
	snprintf(s->super, sizeof(s->super), "%s", m->super_options);
	return 0;
}

TEST(fields_with_optional_ones_and_escapes)
{
	const char *p = write_mountinfo(
	    "36 35 98:0 /mnt/a\\040dir /with\\040space\\011tab rw,noatime master:1 shared:7 - ext3 "
	    "/dev/root rw,errors=continue\n");
	ASSERT_TRUE(p != NULL);
	struct seen s = {0};
	ASSERT_EQ(0, mountinfo_foreach(p, record, &s));
	unlink(p);
	ASSERT_EQ(1, s.n);
	ASSERT_EQ(36, s.last.id);
	ASSERT_EQ(35, s.last.parent);
	ASSERT_EQ(98, s.last.major);
	ASSERT_EQ(0, s.last.minor);
	ASSERT_STREQ("/mnt/a dir", s.root);
	ASSERT_STREQ("/with space\ttab", s.mountpoint);
	ASSERT_STREQ("ext3", s.fstype);
	ASSERT_STREQ("/dev/root", s.source);
	ASSERT_STREQ("rw,errors=continue", s.super);
}

TEST(broken_lines_are_passed_over)
{
	const char *p = write_mountinfo("garbage\n"
					"1 2 3:4 / /x rw\n"              /* no separator */
					"x 2 3:4 / /x rw - tmpfs t rw\n" /* id not a number */
					"1 2 3 / /x rw - tmpfs t rw\n"   /* no minor */
					"1 2 3:4 / /x rw -\n"            /* nothing after it */
					"\n"
					"7 1 0:5 / /ok rw - tmpfs tmpfs rw\n");
	ASSERT_TRUE(p != NULL);
	struct seen s = {0};
	ASSERT_EQ(0, mountinfo_foreach(p, record, &s));
	unlink(p);
	ASSERT_EQ(1, s.n);
	ASSERT_STREQ("/ok", s.mountpoint);
	ASSERT_STREQ("rw", s.super);
}

static int stop_at_second(const struct mountinfo_entry *m, void *data)
{
	int *n = data;
	return ++*n == 2 ? m->id : 0;
}

TEST(the_callback_stops_the_walk)
{
	const char *p = write_mountinfo("1 0 0:1 / / rw - ext4 a rw\n"
					"2 1 0:2 / /b rw - ext4 b rw\n"
					"3 1 0:3 / /c rw - ext4 c rw\n");
	ASSERT_TRUE(p != NULL);
	int n = 0;
	ASSERT_EQ(2, mountinfo_foreach(p, stop_at_second, &n));
	unlink(p);
	ASSERT_EQ(2, n);
}

TEST(our_own_mountinfo_has_a_root)
{
	struct seen s = {0};
	ASSERT_EQ(0, mountinfo_foreach("/proc/self/mountinfo", record, &s));
	ASSERT_TRUE(s.n > 0);
	ASSERT_EQ(-ENOENT, mountinfo_foreach("/nonexistent/mountinfo", record, &s));
}
