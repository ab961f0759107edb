/* User namespaces from the runtime's side: the id maps of a new one, written
 * directly or, for the /etc/subuid and /etc/subgid ranges of an unprivileged
 * user, through newuidmap/newgidmap (package uidmap); and user namespaces
 * that exist only to carry a mapping, for idmapped mounts. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"
#include "spec/config.h"

/* True when the runtime is root of the host: euid 0 in the initial user
 * namespace. Root inside someone's user namespace (rootless podman runs
 * its runtime that way) is unprivileged on the host, and is treated as
 * rootless: state under $XDG_RUNTIME_DIR, cgroups only where delegated. */
bool userns_host_root(void);

/* Write /proc/PID/uid_map and gid_map for pid's new user namespace. An
 * unprivileged caller maps its own ids itself (denying setgroups, as the
 * kernel requires) and anything more through the setuid helpers. An empty
 * list leaves that map unwritten. */
int userns_set_maps(pid_t pid, const struct oci_id_mapping *uids, size_t n_uids,
		    const struct oci_id_mapping *gids, size_t n_gids, cell_error **err);

/* A new user namespace with these mappings, as an fd (for mount_setattr's
 * MOUNT_ATTR_IDMAP). No process is left in it. */
int userns_open_mapped(const struct oci_id_mapping *uids, size_t n_uids, const struct oci_id_mapping *gids,
		       size_t n_gids, int *out, cell_error **err);

/* crun's mount option "idmap=uids=A-B-N[#A-B-N…];gids=…": A the id on the
 * file system, B the id the mount shows, N the count; "@" before a triplet
 * makes B relative to the container's own mapping (l). *uids and *gids are
 * new arrays; a list not given is left empty. where names the option. */
int userns_parse_idmap_option(const char *value, const struct oci_linux *l, struct oci_id_mapping **uids,
			      size_t *n_uids, struct oci_id_mapping **gids, size_t *n_gids, const char *where,
			      cell_error **err);
