#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/json.h"
#include "cgroup/cgroup.h"
#include "tap.h"

/* A hybrid-like record whose hierarchies live under a temporary directory. */
static struct cgroup *fake_cgroup(const char *top)
{
	char buf[2048];
	snprintf(buf, sizeof(buf),
		 "{\"layout\": \"hybrid\", \"dirs\": ["
		 "{\"name\": \"memory\", \"mountpoint\": \"%s/memory\", \"path\": \"/c\", \"controllers\": "
		 "\"memory\"},"
		 "{\"name\": \"cpu,cpuacct\", \"mountpoint\": \"%s/cpu,cpuacct\", \"path\": \"/c\","
		 " \"controllers\": \"cpu,cpuacct\"},"
		 "{\"name\": \"\", \"mountpoint\": \"%s/unified\", \"path\": \"/c\", \"unified\": true}]}",
		 top, top, top);
	json_t *j = NULL;
	struct cgroup *cg = NULL;
	if (json_load_buffer(buf, strlen(buf), "test", &j, NULL) < 0)
		return NULL;
	cgroup_from_json(j, &cg, NULL);
	json_decref(j);
	return cg;
}

static void mkdirs(const char *top, const char *const *rel)
{
	char p[1024];
	for (size_t i = 0; rel[i]; i++) {
		snprintf(p, sizeof(p), "%s/%s", top, rel[i]);
		mkdir(p, 0755);
	}
}

TEST(sub_cgroups_for_exec)
{
	char top[] = "/tmp/cell-test-cgroup-XXXXXX";
	ASSERT_TRUE(mkdtemp(top) != NULL);
	static const char *const dirs[] = {
	    "memory",  "memory/c",  "memory/c/foo",  "cpu,cpuacct", "cpu,cpuacct/c", "cpu,cpuacct/c/bar",
	    "unified", "unified/c", "unified/c/foo", NULL};
	mkdirs(top, dirs);
	struct cgroup *cg = fake_cgroup(top);
	ASSERT_TRUE(cg != NULL);

	struct cgroup *sub = NULL;
	_cleanup_error_ cell_error *err = NULL;
	const char *const one[] = {"memory:/foo", "cpuacct:bar", NULL};
	ASSERT_EQ(0, cgroup_sub(cg, one, &sub, &err));
	ASSERT_STREQ("/c/foo", sub->dirs[0].path);
	ASSERT_STREQ("/c/bar", sub->dirs[1].path);
	ASSERT_STREQ("/c", sub->dirs[2].path);
	cgroup_free(sub);
	sub = NULL;

	const char *const missing[] = {"foo", NULL};
	ASSERT_TRUE(cgroup_sub(cg, missing, &sub, &err) < 0);
	ASSERT_CONTAINS(err->msg, "--cgroup foo: ");
	ASSERT_CONTAINS(err->msg, "No such file or directory");

	const char *const up[] = {"../escape", NULL};
	ASSERT_TRUE(cgroup_sub(cg, up, &sub, &err) < 0);
	ASSERT_CONTAINS(err->msg, "--cgroup ../escape: must stay inside the container's cgroup");

	const char *const nohier[] = {"pids:foo", NULL};
	ASSERT_TRUE(cgroup_sub(cg, nohier, &sub, &err) < 0);
	ASSERT_CONTAINS(err->msg, "no hierarchy with pids");

	cgroup_free(cg);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	ASSERT_EQ(0, system(cmd));
}
