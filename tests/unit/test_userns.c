#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "linux/userns.h"
#include "tap.h"

struct parsed {
	struct oci_id_mapping *u, *g;
	size_t nu, ng;
	cell_error *err;
	int r;
};

static struct parsed parse(const char *value, const struct oci_linux *l)
{
	struct parsed p = {0};
	static const struct oci_linux none = {0};
	p.r = userns_parse_idmap_option(value, l ? l : &none, &p.u, &p.nu, &p.g, &p.ng, "mounts[3].options",
					&p.err);
	return p;
}

static void release(struct parsed *p)
{
	free(p->u);
	free(p->g);
	cell_error_free(p->err);
}

TEST(idmap_option_triplets_and_lists)
{
	struct parsed p = parse("uids=0-1-10#10-100-5;gids=+0-2-3", NULL);
	ASSERT_EQ(0, p.r);
	ASSERT_EQ(2, p.nu);
	ASSERT_EQ(0, p.u[0].container_id);
	ASSERT_EQ(1, p.u[0].host_id);
	ASSERT_EQ(10, p.u[0].size);
	ASSERT_EQ(10, p.u[1].container_id);
	ASSERT_EQ(100, p.u[1].host_id);
	ASSERT_EQ(5, p.u[1].size);
	ASSERT_EQ(1, p.ng);
	ASSERT_EQ(2, p.g[0].host_id);
	release(&p);
	/* only one of the two lists */
	p = parse("gids=5-6-7", NULL);
	ASSERT_EQ(0, p.r);
	ASSERT_EQ(0, p.nu);
	ASSERT_EQ(1, p.ng);
	release(&p);
}

TEST(idmap_option_relative_to_the_container)
{
	struct oci_id_mapping m[] = {{0, 100000, 1000}, {1000, 200000, 10}};
	struct oci_linux l = {.uid_mappings = m, .n_uid_mappings = 2};
	struct parsed p = parse("uids=@0-1005-2", &l);
	ASSERT_EQ(0, p.r);
	/* the container's 1005 is the host's 200005 */
	ASSERT_EQ(200005, p.u[0].host_id);
	ASSERT_EQ(0, p.u[0].container_id);
	release(&p);
	p = parse("uids=@0-2000-1", &l);
	ASSERT_EQ(-EINVAL, p.r);
	ASSERT_CONTAINS(p.err->msg, "id 2000 is not in the container's linux.uidMappings");
	release(&p);
	/* no gid mapping at all */
	p = parse("gids=@0-0-1", &l);
	ASSERT_EQ(-EINVAL, p.r);
	release(&p);
}

TEST(idmap_option_mistakes_are_named)
{
	static const char *const bad[][2] = {
	    {"uids=0-1", "\"0-1\" is not a mapping"},    {"uids=0-1-0", "is not a mapping"},
	    {"uids=a-b-c", "is not a mapping"},          {"uids=0-1-2x", "is not a mapping"},
	    {"uids=0-4294967296-1", "is not a mapping"}, {"uids=", "expected uids="},
	    {"users=0-1-1", "expected uids="},           {"uids=#", "no mapping given"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct parsed p = parse(bad[i][0], NULL);
		ASSERT_EQ(-EINVAL, p.r);
		ASSERT_CONTAINS(p.err->msg, "mounts[3].options");
		ASSERT_CONTAINS(p.err->msg, bad[i][1]);
		ASSERT_TRUE(p.u == NULL && p.g == NULL);
		release(&p);
	}
}

TEST(a_user_namespace_that_carries_a_mapping)
{
	if (geteuid() != 0)
		TAP_SKIP("needs root to map ids beyond its own");
	struct oci_id_mapping m[] = {{0, 100000, 65536}};
	cell_error *err = NULL;
	_cleanup_close_ int fd = -1;
	ASSERT_EQ(0, userns_open_mapped(m, 1, m, 1, &fd, &err));
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(CLONE_NEWUSER, ioctl(fd, NS_GET_NSTYPE));
	/* its owner is us; nobody is left inside it */
	uid_t owner = 1;
	ASSERT_EQ(0, ioctl(fd, NS_GET_OWNER_UID, &owner));
	ASSERT_EQ(0, owner);
}
