/* linux.sysctl, written through the container's own procfs after pivot_root.
 * Each write goes through an fd checked to be on a real procfs, resolved
 * beneath /proc/sys without symlinks, so a rootfs cannot redirect it. */
#pragma once

#include "spec/config.h"
#include "sync.h"

int sysctl_apply(const struct oci_linux *l, struct init_error *e);
