/* linux.sysctl, written through the init's verified procfs (procfs.h): a
 * private procfs instance, or the container's /proc after checks. The
 * values land in the namespaces the init sits in, and nothing mounted or
 * linked in the container can redirect a write. */
#pragma once

#include "spec/config.h"
#include "sync.h"

int sysctl_apply(const struct oci_linux *l, int procfd, struct init_error *e);
