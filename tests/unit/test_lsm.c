#include <errno.h>
#include <stdlib.h>

#include "base/json.h"
#include "linux/lsm.h"
#include "spec/config.h"
#include "tap.h"

TEST(mount_data_quotes_the_label)
{
	char buf[128];
	ASSERT_STREQ(
	    "mode=755,context=\"system_u:object_r:container_file_t:s0:c1,c2\"",
	    lsm_mount_data("mode=755", "system_u:object_r:container_file_t:s0:c1,c2", buf, sizeof(buf)));
	ASSERT_STREQ("context=\"x\"", lsm_mount_data(NULL, "x", buf, sizeof(buf)));
	ASSERT_TRUE(lsm_mount_data("a", "b", buf, 8) == NULL);
}

TEST(kernel_views_take_no_label)
{
	ASSERT_FALSE(lsm_type_takes_mount_label("proc"));
	ASSERT_FALSE(lsm_type_takes_mount_label("sysfs"));
	ASSERT_FALSE(lsm_type_takes_mount_label("cgroup2"));
	ASSERT_TRUE(lsm_type_takes_mount_label("tmpfs"));
	ASSERT_TRUE(lsm_type_takes_mount_label("mqueue"));
}

static int plan_for(const char *process, const char *mount_label, struct lsm_plan *out, char *msg, size_t len)
{
	char text[1024];
	snprintf(
	    text, sizeof(text),
	    "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},\"process\":%s,\"linux\":{\"mountLabel\":"
	    "\"%s\"}}",
	    process, mount_label);
	json_t *j = NULL;
	_cleanup_error_ cell_error *err = NULL;
	ASSERT_EQ(0, json_load_buffer(text, strlen(text), "t", &j, &err));
	_cleanup_config_ struct oci_config *c = NULL;
	ASSERT_EQ(0, oci_config_parse(j, &c, &err));
	json_decref(j);
	msg[0] = '\0';
	int r = lsm_plan_build(c, c->process, "process", out, &err);
	if (r < 0)
		snprintf(msg, len, "%s", err->msg);
	return r;
}

/* What runc does where the module is off: the profile and the label are
 * errors, the mount label is ignored. */
TEST(inactive_modules_behave_as_runc)
{
	struct lsm_plan plan;
	char msg[512];
	if (lsm_apparmor_active())
		TAP_SKIP("AppArmor is active on this host");
	ASSERT_EQ(-ENOTSUP, plan_for("{\"args\":[\"x\"],\"cwd\":\"/\",\"apparmorProfile\":\"p\"}", "", &plan,
				     msg, sizeof(msg)));
	ASSERT_CONTAINS(msg, "process.apparmorProfile: \"p\": AppArmor is not enabled on this host");
	if (lsm_selinux_active())
		TAP_SKIP("SELinux is active on this host");
	ASSERT_EQ(-ENOTSUP, plan_for("{\"args\":[\"x\"],\"cwd\":\"/\",\"selinuxLabel\":\"l\"}", "", &plan,
				     msg, sizeof(msg)));
	ASSERT_CONTAINS(msg, "process.selinuxLabel: \"l\": SELinux is disabled or not supported");
	ASSERT_EQ(0, plan_for("{\"args\":[\"x\"],\"cwd\":\"/\"}", "system_u:object_r:x:s0", &plan, msg,
			      sizeof(msg)));
	ASSERT_TRUE(plan.mount_label == NULL && plan.apparmor_profile == NULL && plan.selinux_label == NULL);
}
