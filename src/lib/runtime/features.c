#include "features.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "cell-config.h"
#include "linux/caps.h"
#include "linux/lsm.h"
#include "linux/mounts.h"
#include "linux/seccomp.h"
#include "spec/config.h"

int runtime_criu_binary(const struct runtime_opts *g, char *buf, size_t len)
{
	const char *want = g && g->criu_path && *g->criu_path ? g->criu_path : "criu";
	if (strchr(want, '/')) {
		if (access(want, X_OK) < 0)
			return -ENOENT;
		snprintf(buf, len, "%s", want);
		return 0;
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (const char *s = path; *s;) {
		size_t n = strcspn(s, ":");
		if ((size_t)snprintf(buf, len, "%.*s/%s", (int)n, s, want) < len && access(buf, X_OK) == 0)
			return 0;
		s += n + (s[n] == ':');
	}
	return -ENOENT;
}

static json_t *string_array(const char *(*name)(size_t i))
{
	json_t *a = json_array();
	for (size_t i = 0; name(i); i++)
		json_array_append_new(a, json_string(name(i)));
	return a;
}

static const char *hook_name(size_t i)
{
	return i < OCI_HOOK_KINDS ? oci_hook_names[i] : NULL;
}

static const char *ns_name(size_t i)
{
	return i < OCI_NS_TYPES ? oci_ns_names[i] : NULL;
}

static const char *cap_name(size_t i)
{
	return i <= (size_t)caps_known_last() ? caps_name((int)i) : NULL;
}

static bool knows_mount_option(const char *opt)
{
	for (size_t i = 0; mount_option_name(i); i++)
		if (strcmp(mount_option_name(i), opt) == 0)
			return true;
	return false;
}

static json_t *supported_flags(void)
{
	json_t *a = json_array();
	for (size_t i = 0; seccomp_flag_name(i); i++)
		if (seccomp_flag_supported(seccomp_flag_name(i)))
			json_array_append_new(a, json_string(seccomp_flag_name(i)));
	return a;
}

json_t *runtime_features(const struct runtime_opts *g)
{
	char criu[4096];
	bool checkpoint = runtime_criu_binary(g, criu, sizeof(criu)) == 0;

	json_t *linux_ = json_pack(
	    "{s:o, s:o, s:{s:b, s:b, s:b, s:b, s:b}, s:{s:b, s:o, s:o, s:o, s:o, s:o}, s:{s:b}, s:{s:b}, "
	    "s:{s:b}, s:{s:{s:b}}}",
	    "namespaces", string_array(ns_name), "capabilities", string_array(cap_name),
	    /* systemd: the driver is built in (our own D-Bus client); whether
	     * systemd runs is checked when a container asks for it */
	    "cgroup", "v1", true, "v2", true, "systemd", true, "systemdUser", false, "rdma", true, "seccomp",
	    "enabled", true, "actions", string_array(seccomp_action_name), "operators",
	    string_array(seccomp_operator_name), "archs", string_array(seccomp_arch_name), "knownFlags",
	    string_array(seccomp_flag_name), "supportedFlags", supported_flags(),
	    /* labels are applied where the LSM runs (linux/lsm.c) */
	    "apparmor", "enabled", true, "selinux", "enabled", true, "intelRdt", "enabled", false,
	    "mountExtensions", "idmap", "enabled", knows_mount_option("idmap"));
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:{s:s, s:s, s:s}}", "ociVersionMin", "1.0.0",
			 "ociVersionMax", CELL_OCI_VERSION, "hooks", string_array(hook_name), "mountOptions",
			 string_array(mount_option_name), "linux", linux_, "annotations",
			 "org.cell.cellrt.version", CELL_VERSION, "org.cell.cellrt.commit", CELL_COMMIT,
			 "org.cell.cellrt.checkpoint.enabled", checkpoint ? "true" : "false");
}
