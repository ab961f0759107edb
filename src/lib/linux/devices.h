/* /dev inside the container: the default device nodes, linux.devices, and
 * the standard links. In a user namespace, where mknod is refused, each node
 * is a bind mount of the host's node instead, as runc does. */
#pragma once

#include <stdbool.h>

#include "spec/config.h"
#include "sync.h"

/* Parent, for a container in a new user namespace when the runtime is real
 * root: the nodes of linux.devices, made on a tmpfs of ours (mknod is
 * refused inside a user namespace, and the host may not have the node to
 * bind), owned by the host ids their uid and gid map to, each handed out as
 * a detached bind mount: fds[i] for linux.devices[i]. */
int devices_prepare_detached(const struct oci_config *c, int *fds, cell_error **err);

/* Create the nodes and links under rootfd (before pivot_root). defaults is
 * false when /dev comes from the host (a bind mount) and must not be touched.
 * detached (NULL, or one fd per linux.devices entry, -1 for none) holds
 * nodes made by devices_prepare_detached(), attached instead of made. */
int devices_setup(int rootfd, const struct oci_config *c, bool defaults, bool in_userns, const int *detached,
		  struct init_error *e);
