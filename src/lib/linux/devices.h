/* /dev inside the container: the default device nodes, linux.devices, and
 * the standard links. In a user namespace, where mknod is refused, each node
 * is a bind mount of the host's node instead, as runc does. */
#pragma once

#include <stdbool.h>

#include "spec/config.h"
#include "sync.h"

/* Create the nodes and links under rootfd (before pivot_root). defaults is
 * false when /dev comes from the host (a bind mount) and must not be touched. */
int devices_setup(int rootfd, const struct oci_config *c, bool defaults, bool in_userns,
		  struct init_error *e);
