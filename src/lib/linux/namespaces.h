/* Namespaces: which to create with clone3(), which to join by path (opened
 * by the parent, joined by the child in an order that works), and the id maps
 * of a new user namespace. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "base/error.h"
#include "spec/config.h"
#include "sync.h"

/* CLONE_NEW* flags for the namespaces created at clone time. The cgroup
 * namespace is not among them: it is unshared by the child once it sits in its
 * cgroup, so that the container's cgroup becomes the namespace's root. */
unsigned long ns_clone_flags(const struct oci_config *c);

/* True when the init cannot be cloned in one step: a joined user namespace
 * must own the new ones, a joined pid namespace or a new time namespace with
 * offsets only take effect for children. The first child then prepares and
 * clones the init (CLONE_PARENT) and exits. */
bool ns_needs_two_stages(const struct oci_config *c);

/* Open every namespace given by path; fds[t] is -1 for the others. Each fd is
 * checked to be a namespace of the right type. */
int ns_open_paths(const struct oci_config *c, int fds[OCI_NS_TYPES], cell_error **err);
void ns_close_fds(int fds[OCI_NS_TYPES]);

/* Child: join the opened namespaces except user and pid (stage one does those). */
int ns_join(const int fds[OCI_NS_TYPES], struct init_error *e);

/* Stage one of a two-stage start (after the parent's go, so a new user
 * namespace has its maps): join the user namespace, unshare the
 * namespaces the clone could not create, join the pid namespace, set up the
 * time namespace. The init cloned next inherits all of it. */
int ns_stage_one(const struct oci_config *c, const int fds[OCI_NS_TYPES], struct init_error *e);

/* Parent: write /proc/PID/{uid_map,gid_map} (and setgroups when the caller is
 * not privileged) for a child in a new user namespace. */
int userns_write_maps(pid_t pid, const struct oci_config *c, cell_error **err);
