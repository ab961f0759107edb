/* The OCI runtime config of an engine container, built from its record
 * (container.json: Config, HostConfig and Mounts, Docker's shapes) with
 * Podman's defaults: private namespaces (the network one unless --network
 * host), the default capability set, the default seccomp profile, masked
 * and read-only /proc and /sys paths, /etc/hosts, /etc/hostname and
 * /etc/resolv.conf of the engine, and the container's cgroup under /cell. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"

struct spec_input {
	const char *id;
	const char *rootfs;    /* absolute host path of the root file system */
	const char *ctr_dir;   /* absolute path of ROOT/containers/ID */
	json_t *record;        /* container.json; Mounts carry host paths in Source */
	json_t *user;          /* process.user: {"uid", "gid", "additionalGids"?} */
	json_t *seccomp;       /* linux.seccomp, or NULL for none */
	const char *init_path; /* the host's cell-init, for HostConfig.Init */
};

int engine_spec_build(const struct spec_input *in, json_t **out, cell_error **err);

/* The capabilities a container gets: Podman's default set (or every one
 * with privileged), with cap_add and cap_drop (arrays of canonical names or
 * "ALL") applied as Docker does. NULL-terminated, sorted. */
int engine_caps(bool privileged, json_t *cap_add, json_t *cap_drop, char ***out, cell_error **err);

/* Where --init's program appears in the container. */
#define ENGINE_INIT_PATH "/run/cell-init"
