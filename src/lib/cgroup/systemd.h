/* systemd as the cgroup manager (--systemd-cgroup, --cgroup-manager systemd):
 * the container's cgroup is a transient scope unit that systemd creates
 * through its D-Bus API (org.freedesktop.systemd1.Manager.StartTransientUnit,
 * over our own client, dbus/dbus.h)
 * with Delegate=yes, so that the limits are then written by the cgroupfs
 * drivers as for any other cgroup. linux.cgroupsPath is "slice:prefix:name":
 * the scope prefix-name.scope in slice (system.slice when empty). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "base/error.h"
#include "cgroup.h"
#include "resources.h"

/* True when systemd runs as the init of this host (sd_booted(3): the
 * directory /run/systemd/system exists). */
bool cgroup_systemd_running(void);

/* Compute the cgroup of a systemd-managed container from cgroupsPath
 * ("slice:prefix:name"; NULL or empty: "system.slice:cellrt:ID"). Fails with
 * a clear message when systemd does not run. */
int cgroup_systemd_resolve(const char *cgroups_path, const char *id, struct cgroup **out, cell_error **err);

/* Ask systemd to create the scope with pid in it, and wait for the job. The
 * limits in r that systemd knows as unit properties are passed too, so that
 * systemd's view of the unit matches the files. */
int cgroup_systemd_start(const struct cgroup *cg, pid_t pid, const struct cgroup_resources *r, const char *id,
			 cell_error **err);

/* Set the unit properties for r on the running scope (update). */
int cgroup_systemd_set(const struct cgroup *cg, const struct cgroup_resources *r, cell_error **err);

/* Stop the scope (delete); a unit systemd no longer knows is fine. */
int cgroup_systemd_stop(const struct cgroup *cg, cell_error **err);
