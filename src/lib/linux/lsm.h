/* Linux security modules: process.apparmorProfile, process.selinuxLabel and
 * linux.mountLabel.
 *
 * Where the module is active, the profile and label are set for the next
 * execve (AppArmor's "exec PROFILE", SELinux's exec context) through the
 * init's private procfs, and the mount label becomes the context= option of
 * the file systems the container mounts.
 *
 * Where it is not, cellrt does what runc does: a process.selinuxLabel is an
 * error (runc's config validation refuses it), a process.apparmorProfile is an
 * error (runc fails writing the profile), and linux.mountLabel is ignored
 * (runc formats mount options with it only when SELinux is enabled). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "spec/config.h"
#include "sync.h"

/* What the init applies; NULL where nothing is to be done. */
struct lsm_plan {
	const char *apparmor_profile;
	const char *selinux_label;
	const char *mount_label;
};

/* AppArmor is enabled on this host (runc's test: the securityfs directory
 * and the module's "enabled" parameter). */
bool lsm_apparmor_active(void);
/* SELinux is enabled: selinuxfs is mounted at /sys/fs/selinux. */
bool lsm_selinux_active(void);

/* Parent: check p (where names it) and c's mount label against the active
 * modules and fill out. */
int lsm_plan_build(const struct oci_config *c, const struct oci_process *p, const char *where,
		   struct lsm_plan *out, cell_error **err);

/* Child: set the exec labels of plan through the procfs procfd. */
int lsm_apply_exec(const struct lsm_plan *plan, int procfd, struct init_error *e);

/* Mount data with the SELinux context option added: data (may be NULL) and
 * context="label" joined by a comma, into buf. Returns buf, or NULL when it
 * does not fit. The label is quoted: MLS labels carry commas. */
const char *lsm_mount_data(const char *data, const char *label, char *buf, size_t len);

/* Whether a mount of this file system type takes the mount label: not the
 * kernel's own views (proc, sysfs, cgroup…), whose labels come from policy. */
bool lsm_type_takes_mount_label(const char *type);
