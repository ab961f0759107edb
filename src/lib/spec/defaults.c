#include "defaults.h"

#include <errno.h>
#include <string.h>

#include "base/json.h"
#include "cell-config.h"

/* Kept as JSON text so that the default reads like the file it produces. */
static const char default_spec[] =
    "{"
    "  \"ociVersion\": \"" CELL_OCI_VERSION "\","
    "  \"process\": {"
    "    \"terminal\": true,"
    "    \"user\": {\"uid\": 0, \"gid\": 0},"
    "    \"args\": [\"sh\"],"
    "    \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
    "            \"TERM=xterm\"],"
    "    \"cwd\": \"/\","
    "    \"capabilities\": {"
    "      \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
    "      \"effective\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
    "      \"permitted\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"]"
    "    },"
    "    \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024}],"
    "    \"noNewPrivileges\": true"
    "  },"
    "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},"
    "  \"hostname\": \"cell\","
    "  \"mounts\": ["
    "    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
    "    {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
    "     \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},"
    "    {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\","
    "     \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\","
    "                 \"gid=5\"]},"
    "    {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\","
    "     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]},"
    "    {\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\","
    "     \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},"
    "    {\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\","
    "     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]},"
    "    {\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\","
    "     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\"]}"
    "  ],"
    "  \"linux\": {"
    "    \"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]},"
    "    \"namespaces\": ["
    "      {\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"},"
    "      {\"type\": \"uts\"}, {\"type\": \"mount\"}, {\"type\": \"cgroup\"}"
    "    ],"
    "    \"maskedPaths\": ["
    "      \"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\","
    "      \"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\","
    "      \"/proc/sched_debug\", \"/sys/firmware\", \"/sys/devices/virtual/powercap\","
    "      \"/proc/scsi\""
    "    ],"
    "    \"readonlyPaths\": ["
    "      \"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\", \"/proc/sysrq-trigger\""
    "    ]"
    "  }"
    "}";

static int make_rootless(json_t *spec, uid_t uid, gid_t gid)
{
	json_t *lnx = json_object_get(spec, "linux");
	json_t *nss = json_object_get(lnx, "namespaces");
	size_t i;
	json_t *v;

	/* No network namespace: an unprivileged user could not configure one. */
	json_array_foreach (nss, i, v) {
		if (strcmp(json_string_value(json_object_get(v, "type")), "network") == 0) {
			json_array_remove(nss, i);
			break;
		}
	}
	json_array_append_new(nss, json_pack("{s:s}", "type", "user"));
	json_object_set_new(
	    lnx, "uidMappings",
	    json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID", (json_int_t)uid, "size", 1));
	json_object_set_new(
	    lnx, "gidMappings",
	    json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID", (json_int_t)gid, "size", 1));
	json_object_del(lnx, "resources");

	json_t *mounts = json_object_get(spec, "mounts");
	for (i = 0; i < json_array_size(mounts);) {
		json_t *m = json_array_get(mounts, i);
		const char *dest = json_string_value(json_object_get(m, "destination"));
		if (strcmp(dest, "/sys/fs/cgroup") == 0) {
			json_array_remove(mounts, i);
			continue;
		}
		if (strcmp(dest, "/sys") == 0) {
			/* sysfs cannot be mounted without a network namespace we own. */
			json_object_set_new(m, "type", json_string("none"));
			json_object_set_new(m, "source", json_string("/sys"));
			json_object_set_new(
			    m, "options",
			    json_pack("[s,s,s,s,s]", "rbind", "nosuid", "noexec", "nodev", "ro"));
		}
		if (strcmp(dest, "/dev/pts") == 0) {
			/* gid 5 does not exist in a single-id mapping. */
			json_t *opts = json_object_get(m, "options");
			size_t j;
			json_t *o;
			json_array_foreach (opts, j, o) {
				if (strcmp(json_string_value(o), "gid=5") == 0) {
					json_array_remove(opts, j);
					break;
				}
			}
		}
		i++;
	}
	return 0;
}

int oci_spec_default(bool rootless, uid_t uid, gid_t gid, json_t **out, cell_error **err)
{
	json_t *spec = NULL;
	int r = json_load_buffer(default_spec, sizeof(default_spec) - 1, "default spec", &spec, err);
	if (r < 0)
		return r;
	if (rootless)
		make_rootless(spec, uid, gid);
	*out = spec;
	return 0;
}
