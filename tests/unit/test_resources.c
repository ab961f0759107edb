#include <errno.h>
#include <stdlib.h>

#include "base/json.h"
#include "cgroup/resources.h"
#include "cgroup/v1.h"
#include "tap.h"

static json_t *parse_json(const char *s)
{
	json_t *j = NULL;
	_cleanup_error_ cell_error *err = NULL;
	if (json_load_buffer(s, strlen(s), "test", &j, &err) < 0)
		return NULL;
	return j;
}

/* Parse s as linux.resources; returns the error message or NULL. */
static char *parse_error(const char *s)
{
	_cleanup_json_ json_t *j = parse_json(s);
	struct cgroup_resources *r = NULL;
	cell_error *err = NULL;
	if (!j)
		return strdup("bad test JSON");
	if (cgroup_resources_parse(j, "linux.resources", &r, &err) == 0) {
		cgroup_resources_free(r);
		return NULL;
	}
	char *msg = strdup(err->msg);
	cell_error_free(err);
	return msg;
}

TEST(parses_every_section)
{
	_cleanup_json_ json_t *j = parse_json(
	    "{\"memory\": {\"limit\": 1048576, \"reservation\": 524288, \"swap\": -1, \"kernel\": 5,"
	    " \"swappiness\": 10, \"disableOOMKiller\": true, \"checkBeforeUpdate\": true},"
	    " \"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000, \"burst\": 10,"
	    " \"realtimeRuntime\": 950, \"realtimePeriod\": 1000000, \"cpus\": \"0-1\", \"mems\": \"0\", "
	    "\"idle\": 1},"
	    " \"pids\": {\"limit\": 64},"
	    " \"blockIO\": {\"weight\": 300, \"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": "
	    "50}],"
	    " \"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 1000}]},"
	    " \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}],"
	    " \"network\": {\"classID\": 1048577, \"priorities\": [{\"name\": \"eth0\", \"priority\": 5}]},"
	    " \"rdma\": {\"mlx5_1\": {\"hcaHandles\": 3, \"hcaObjects\": 10000}},"
	    " \"unified\": {\"memory.high\": \"1000000\"},"
	    " \"devices\": [{\"allow\": false, \"access\": \"rwm\"}, {\"allow\": true, \"type\": \"c\", "
	    "\"major\": 1,"
	    " \"minor\": 3, \"access\": \"rw\"}]}");
	ASSERT_TRUE(j != NULL);
	_cleanup_resources_ struct cgroup_resources *r = NULL;
	_cleanup_error_ cell_error *err = NULL;
	ASSERT_EQ(0, cgroup_resources_parse(j, "linux.resources", &r, &err));
	ASSERT_TRUE(r->has_memory_limit && r->memory_limit == 1048576);
	ASSERT_TRUE(r->has_memory_swap && r->memory_swap == -1);
	ASSERT_TRUE(r->has_swappiness && r->swappiness == 10);
	ASSERT_TRUE(r->has_disable_oom_killer && r->disable_oom_killer && r->check_before_update);
	ASSERT_TRUE(r->has_cpu_shares && r->cpu_shares == 512);
	ASSERT_EQ(50000, r->cpu_quota);
	ASSERT_EQ(950, r->rt_runtime);
	ASSERT_STREQ("0-1", r->cpus);
	ASSERT_TRUE(r->has_cpu_idle && r->cpu_idle == 1);
	ASSERT_EQ(64, r->pids_limit);
	ASSERT_EQ(300, r->blkio_weight);
	ASSERT_EQ(1, r->n_weight_devices);
	ASSERT_EQ(1, r->n_throttle[CGROUP_THROTTLE_READ_BPS]);
	ASSERT_EQ(1000, r->throttle[CGROUP_THROTTLE_READ_BPS][0].rate);
	ASSERT_EQ(1, r->n_hugepages);
	ASSERT_STREQ("2MB", r->hugepages[0].page_size);
	ASSERT_TRUE(r->has_class_id && r->class_id == 1048577);
	ASSERT_STREQ("eth0", r->net_priorities[0].name);
	ASSERT_TRUE(r->n_rdma == 1 && r->rdma[0].hca_objects == 10000);
	ASSERT_STREQ("memory.high", r->unified[0].key);
	ASSERT_EQ(2, r->n_devices);
	ASSERT_TRUE(!r->devices[0].allow && r->devices[0].type == 'a' &&
		    r->devices[0].access == CGROUP_DEV_ALL);
	ASSERT_TRUE(r->devices[1].allow && r->devices[1].major == 1 && r->devices[1].minor == 3);
	ASSERT_EQ(CGROUP_DEV_READ | CGROUP_DEV_WRITE, r->devices[1].access);
}

TEST(zero_means_unset_as_in_runc)
{
	_cleanup_json_ json_t *j =
	    parse_json("{\"cpu\": {\"shares\": 0, \"quota\": 0}, \"pids\": {\"limit\": 0}}");
	_cleanup_resources_ struct cgroup_resources *r = NULL;
	ASSERT_EQ(0, cgroup_resources_parse(j, "x", &r, NULL));
	ASSERT_FALSE(r->has_cpu_shares);
	ASSERT_FALSE(r->has_cpu_quota);
	ASSERT_FALSE(r->has_pids_limit);
}

TEST(absent_resources_ask_nothing)
{
	_cleanup_resources_ struct cgroup_resources *r = NULL;
	ASSERT_EQ(0, cgroup_resources_parse(NULL, "linux.resources", &r, NULL));
	ASSERT_FALSE(r->has_memory_limit || r->has_devices || r->n_unified);
}

TEST(messages_name_the_field)
{
	struct {
		const char *json, *msg;
	} cases[] = {
	    {"{\"cpu\": {\"shares\": 1}}", "linux.resources.cpu.shares: must be from 2 to 262144, got 1"},
	    {"{\"cpu\": {\"period\": 10}}", "linux.resources.cpu.period: must be from 1000 to 1000000"},
	    {"{\"cpu\": {\"idle\": 2}}", "linux.resources.cpu.idle: must be an integer from 0 to 1"},
	    {"{\"memory\": {\"limit\": \"1g\"}}", "linux.resources.memory.limit: must be an integer"},
	    {"{\"memory\": {\"swappiness\": 101}}",
	     "linux.resources.memory.swappiness: must be from 0 to 100"},
	    {"{\"pids\": {}}", "linux.resources.pids.limit: missing"},
	    {"{\"blockIO\": {\"weight\": 5}}", "linux.resources.blockIO.weight: must be from 10 to 1000"},
	    {"{\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0}]}}",
	     "linux.resources.blockIO.throttleReadBpsDevice[0].rate: missing"},
	    {"{\"hugepageLimits\": [{\"pageSize\": \"2M\", \"limit\": 1}]}",
	     "linux.resources.hugepageLimits[0].pageSize: \"2M\" is not a page size"},
	    {"{\"devices\": [{\"allow\": true, \"type\": \"x\"}]}",
	     "linux.resources.devices[0].type: must be \"a\", \"c\" or \"b\""},
	    {"{\"devices\": [{\"access\": \"r\"}]}", "linux.resources.devices[0].allow: missing"},
	    {"{\"unified\": {\"memory.high\": 5}}", "linux.resources.unified.memory.high: must be a string"},
	    {"{\"network\": {\"priorities\": [{\"name\": \"a/b\", \"priority\": 1}]}}",
	     "linux.resources.network.priorities[0].name: \"a/b\" is not an interface name"},
	    {"[]", "linux.resources: must be an object"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *msg = parse_error(cases[i].json);
		ASSERT_CONTAINS(msg, cases[i].msg);
	}
}

TEST(swappiness_minus_one_is_unset)
{
	_cleanup_json_ json_t *j = parse_json("{\"memory\": {\"swappiness\": 18446744073709551615}}");
	_cleanup_resources_ struct cgroup_resources *r = NULL;
	ASSERT_EQ(0, cgroup_resources_parse(j, "x", &r, NULL));
	ASSERT_FALSE(r->has_swappiness);
}

TEST(shares_to_weight_matches_runc_and_systemd)
{
	ASSERT_EQ(1, cgroup_shares_to_weight(2));
	ASSERT_EQ(39, cgroup_shares_to_weight(1024));
	ASSERT_EQ(165, cgroup_shares_to_weight(4321));
	ASSERT_EQ(10000, cgroup_shares_to_weight(262144));
	ASSERT_EQ(0, cgroup_shares_to_weight(0));
}

TEST(blkio_weight_to_io_weight)
{
	ASSERT_EQ(1, cgroup_blkio_weight_to_io_weight(10));
	ASSERT_EQ(10000, cgroup_blkio_weight_to_io_weight(1000));
	ASSERT_EQ(4950, cgroup_blkio_weight_to_io_weight(500));
}

TEST(swap_to_v2_is_swap_alone)
{
	char buf[32];
	const char *why = NULL;
	ASSERT_TRUE(cgroup_swap_to_v2(100, 300, buf, sizeof(buf), &why));
	ASSERT_STREQ("200", buf);
	ASSERT_TRUE(cgroup_swap_to_v2(100, -1, buf, sizeof(buf), &why));
	ASSERT_STREQ("max", buf);
	ASSERT_TRUE(cgroup_swap_to_v2(100, 100, buf, sizeof(buf), &why));
	ASSERT_STREQ("0", buf);
	ASSERT_FALSE(cgroup_swap_to_v2(100, 50, buf, sizeof(buf), &why));
	ASSERT_CONTAINS(why, "must not be less than the memory limit");
	ASSERT_FALSE(cgroup_swap_to_v2(-1, 50, buf, sizeof(buf), &why));
	ASSERT_CONTAINS(why, "needs a memory limit");
}

TEST(sizes_with_units)
{
	int64_t v;
	ASSERT_TRUE(cgroup_parse_size("1024", &v) && v == 1024);
	ASSERT_TRUE(cgroup_parse_size("512m", &v) && v == 512LL << 20);
	ASSERT_TRUE(cgroup_parse_size("1G", &v) && v == 1LL << 30);
	ASSERT_TRUE(cgroup_parse_size("2kb", &v) && v == 2048);
	ASSERT_TRUE(cgroup_parse_size("1.5k", &v) && v == 1536);
	ASSERT_TRUE(cgroup_parse_size("-1", &v) && v == -1);
	ASSERT_FALSE(cgroup_parse_size("", &v));
	ASSERT_FALSE(cgroup_parse_size("lots", &v));
	ASSERT_FALSE(cgroup_parse_size("-5", &v));
	ASSERT_FALSE(cgroup_parse_size("5x", &v));
	ASSERT_FALSE(cgroup_parse_size("99999999999p", &v));
}

TEST(merge_keeps_what_the_patch_does_not_name)
{
	_cleanup_json_ json_t *base =
	    parse_json("{\"memory\": {\"limit\": 1, \"swap\": 2}, \"pids\": {\"limit\": 3}}");
	_cleanup_json_ json_t *patch = parse_json("{\"memory\": {\"limit\": 10}, \"cpu\": {\"shares\": 5}}");
	ASSERT_EQ(0, cgroup_resources_merge_json(base, patch));
	_cleanup_free_ char *s = json_dumps(base, JSON_SORT_KEYS | JSON_COMPACT);
	ASSERT_STREQ("{\"cpu\":{\"shares\":5},\"memory\":{\"limit\":10,\"swap\":2},\"pids\":{\"limit\":3}}",
		     s);
}

TEST(default_devices_follow_the_rules)
{
	_cleanup_json_ json_t *j = parse_json("{\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]}");
	_cleanup_resources_ struct cgroup_resources *r = NULL;
	ASSERT_EQ(0, cgroup_resources_parse(j, "x", &r, NULL));
	ASSERT_EQ(0, cgroup_resources_add_default_devices(r, NULL, NULL));
	ASSERT_TRUE(r->n_devices > 5);
	ASSERT_FALSE(r->devices[0].allow);
	bool null_allowed = false;
	for (size_t i = 1; i < r->n_devices; i++)
		if (r->devices[i].allow && r->devices[i].type == 'c' && r->devices[i].major == 1 &&
		    r->devices[i].minor == 3)
			null_allowed = true;
	ASSERT_TRUE(null_allowed);
}

TEST(v1_device_lines)
{
	struct cgroup_device_rule rules[] = {
	    {false, 'a', -1, -1, CGROUP_DEV_ALL},
	    {true, 'c', 1, 3, CGROUP_DEV_READ | CGROUP_DEV_WRITE},
	    {true, 'a', -1, -1, CGROUP_DEV_MKNOD},
	    {false, 'b', 8, -1, CGROUP_DEV_ALL},
	};
	_cleanup_free_ char *lines = NULL;
	ASSERT_EQ(0, cgroup_v1_device_lines(rules, ARRAY_SIZE(rules), &lines, NULL));
	ASSERT_STREQ("deny a\ndeny a\nallow c 1:3 rw\nallow c *:* m\nallow b *:* m\ndeny b 8:* rwm\n", lines);
}
