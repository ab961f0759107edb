#include <errno.h>
#include <stdlib.h>
#include <sys/prctl.h>

#include "base/json.h"
#include "linux/caps.h"
#include "spec/config.h"
#include "tap.h"

/* Build a caps plan from a process.capabilities object given as JSON. */
static int plan_for(const char *caps, struct caps_plan *out, char *msg, size_t len)
{
	char text[2048];
	snprintf(text, sizeof(text), "{\"args\":[\"x\"],\"cwd\":\"/\",\"capabilities\":%s}", caps);
	json_t *j = NULL;
	_cleanup_error_ cell_error *err = NULL;
	msg[0] = '\0';
	if (json_load_buffer(text, strlen(text), "test", &j, &err) < 0) {
		snprintf(msg, len, "%s", err->msg);
		return -EINVAL;
	}
	struct oci_process *p = NULL;
	int r = oci_process_parse(j, "process", &p, &err);
	if (r == 0)
		r = caps_plan_build(p, "process", out, &err);
	if (r < 0)
		snprintf(msg, len, "%s", err->msg);
	oci_process_free(p);
	json_decref(j);
	return r;
}

TEST(names_and_numbers)
{
	ASSERT_EQ(21, caps_from_name("CAP_SYS_ADMIN"));
	ASSERT_EQ(21, caps_from_name("SYS_ADMIN"));
	ASSERT_EQ(0, caps_from_name("CAP_CHOWN"));
	ASSERT_EQ(-1, caps_from_name("CAP_UNKNOWN"));
	ASSERT_STREQ("CAP_CHECKPOINT_RESTORE", caps_name(40));
	ASSERT_TRUE(caps_name(caps_known_last() + 1) == NULL);
	ASSERT_TRUE(caps_kernel_last() > 30);
}

TEST(unknown_names_are_errors_naming_them)
{
	struct caps_plan c;
	char msg[512];
	ASSERT_EQ(-EINVAL, plan_for("{\"bounding\":[\"CAP_CHOWN\",\"CAP_UNKNOWN\"]}", &c, msg, sizeof(msg)));
	ASSERT_CONTAINS(msg, "process.capabilities.bounding[1]: unknown capability \"CAP_UNKNOWN\"");
}

TEST(sets_are_bitmasks)
{
	struct caps_plan c;
	char msg[512];
	ASSERT_EQ(
	    0, plan_for(
		   "{\"bounding\":[\"CAP_KILL\",\"CAP_CHOWN\"],\"permitted\":[\"CAP_KILL\"],"
		   "\"effective\":[\"CAP_KILL\"],\"inheritable\":[\"CAP_KILL\"],\"ambient\":[\"CAP_KILL\"]}",
		   &c, msg, sizeof(msg)));
	ASSERT_TRUE(c.set);
	ASSERT_TRUE(c.sets[OCI_CAP_BOUNDING] == ((1ULL << 5) | 1ULL));
	ASSERT_TRUE(c.sets[OCI_CAP_AMBIENT] == (1ULL << 5));
	ASSERT_EQ(0, plan_for("{}", &c, msg, sizeof(msg)));
	ASSERT_TRUE(c.set);
	for (int s = 0; s < OCI_CAP_SETS; s++)
		ASSERT_TRUE(c.sets[s] == 0);
}

TEST(inconsistent_sets_are_named)
{
	struct caps_plan c;
	char msg[512];
	ASSERT_EQ(-EINVAL,
		  plan_for("{\"bounding\":[],\"inheritable\":[\"CAP_KILL\"]}", &c, msg, sizeof(msg)));
	ASSERT_CONTAINS(msg, "process.capabilities.inheritable: CAP_KILL is not in the bounding set");
	ASSERT_EQ(-EINVAL, plan_for("{\"bounding\":[\"CAP_KILL\"],\"inheritable\":[\"CAP_KILL\"],"
				    "\"ambient\":[\"CAP_KILL\"]}",
				    &c, msg, sizeof(msg)));
	ASSERT_CONTAINS(msg, "process.capabilities.ambient: CAP_KILL must also be permitted and inheritable");
	ASSERT_EQ(-EINVAL, plan_for("{\"effective\":[\"CAP_KILL\"]}", &c, msg, sizeof(msg)));
	ASSERT_CONTAINS(msg, "process.capabilities.effective: CAP_KILL must also be permitted");
}

TEST(capabilities_the_runtime_lacks_are_dropped)
{
	int missing = -1;
	for (int n = 0; n <= caps_kernel_last(); n++)
		if (prctl(PR_CAPBSET_READ, n, 0, 0, 0) == 0) {
			missing = n;
			break;
		}
	if (missing < 0)
		TAP_SKIP("this runtime has every capability in its bounding set");
	char caps[256], msg[512];
	snprintf(caps, sizeof(caps), "{\"bounding\":[\"%s\"],\"permitted\":[\"%s\"],\"effective\":[\"%s\"]}",
		 caps_name(missing), caps_name(missing), caps_name(missing));
	struct caps_plan c;
	ASSERT_EQ(0, plan_for(caps, &c, msg, sizeof(msg)));
	ASSERT_TRUE(c.sets[OCI_CAP_PERMITTED] == 0 && c.sets[OCI_CAP_BOUNDING] == 0);
}
