/* The mounts of a container. The parent turns each config mount into a plan
 * (options parsed, bind sources opened as detached mount trees with
 * open_tree(), so that a source the container's user could not reach still
 * mounts); the child attaches each plan onto a target it resolved inside the
 * root filesystem, by fd, with the new mount API (fsopen/fsmount/move_mount/
 * mount_setattr) and falls back to mount(2) on "/proc/self/fd/N" targets
 * where the kernel lacks it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "spec/config.h"
#include "sync.h"

enum mount_kind {
	MOUNT_KIND_FS,     /* a new file system instance (tmpfs, proc, …) */
	MOUNT_KIND_BIND,   /* bind or rbind of a source path */
	MOUNT_KIND_CGROUP, /* the container's cgroups, as the host layout needs */
};

struct mount_plan {
	const char *destination;
	const char *source;
	const char *type;
	enum mount_kind kind;
	bool recursive;                /* rbind */
	uint64_t attr_set, attr_clr;   /* MOUNT_ATTR_* for the mount itself */
	uint64_t rattr_set, rattr_clr; /* from "r…" options, for the whole tree */
	unsigned long sb_flags;        /* MS_SYNCHRONOUS, MS_DIRSYNC, MS_LAZYTIME, MS_MANDLOCK, MS_SILENT */
	unsigned long propagation;     /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC), or 0 */
	char *data;                    /* file-system options, comma separated */
	bool tmpcopyup;                /* tmpfs: copy what was under the mount point into it */
	int tree_fd;                   /* bind: detached tree from open_tree(), or -1 */
	char *source_abs;              /* bind: the source as an absolute path on the host */
	bool source_is_dir;
	bool idmap, ridmap;      /* id-mapped (the whole tree with ridmap) */
	const char *idmap_value; /* "uids=…;gids=…" of idmap=…, or NULL */
};

/* One hierarchy to show under /sys/fs/cgroup. */
struct cgroup_mount_source {
	const char *name;        /* directory under /sys/fs/cgroup; "" for the unified one */
	const char *host_dir;    /* the container's cgroup directory on the host */
	const char *controllers; /* v1: options for a cgroup mount ("memory", "name=systemd") */
	bool unified;
};

struct cgroup_mount_info {
	struct cgroup_mount_source *sources;
	size_t n_sources;
	bool v2_only; /* pure v2: /sys/fs/cgroup is the unified hierarchy itself */
};

/* Parent side: build the plan for m (index i names it in messages). bundle_fd
 * anchors relative bind sources. */
int mount_plan_build(const struct oci_mount *m, size_t i, int bundle_fd, struct mount_plan *out,
		     cell_error **err);
void mount_plan_release(struct mount_plan *p);

/* Parent side, after mount_plan_build() for c->mounts[i]: make the bind an
 * id-mapped mount (uidMappings/gidMappings, or the "idmap" option: crun's
 * "idmap=uids=…;gids=…", or the container's own mappings). A no-op for
 * other mounts. */
int mount_plan_idmap(const struct oci_config *c, size_t i, struct mount_plan *p, cell_error **err);

/* The mount options this build knows, by index; NULL past the last. */
const char *mount_option_name(size_t i);

/* What the child knows while it mounts. */
struct mount_ctx {
	int rootfd; /* the root file system, as the container will see it */
	const struct cgroup_mount_info *cg;
	bool in_userns;                 /* some mounts need a fallback there */
	bool cgroupns;                  /* the container has its own cgroup namespace */
	unsigned long bind_propagation; /* for binds that name none: MS_SLAVE or MS_PRIVATE, | MS_REC */
	const char *mount_label;        /* SELinux context for new file systems, or NULL */
};

/* Child side: attach plan p (config mount i) inside the root file system. */
int mount_plan_apply(const struct mount_plan *p, const struct mount_ctx *ctx, struct init_error *e);

/* Mount a fresh file system of type on the directory target_fd. Used for the
 * pieces the runtime adds itself (masked paths, /sys/fs/cgroup's tmpfs). */
int mount_fs_at(const char *type, const char *source, uint64_t attrs, const char *data, int target_fd,
		const char *what, struct init_error *e);

/* Bind src_dirfd/src_path (src_path "" for src_dirfd itself) onto target_fd,
 * recursively when rec, with attrs set on the new mount. */
int mount_bind_at(int src_dirfd, const char *src_path, int target_fd, bool rec, uint64_t attrs,
		  const char *what, struct init_error *e);

/* Set MOUNT_ATTR_* on the mount at fd (recursively when rec). */
int mount_setattr_fd(int fd, bool rec, uint64_t set, uint64_t clr, unsigned long propagation);

/* True if the kernel has the new mount API (cached; CELL_NO_NEW_MOUNT_API
 * forces the fallback for tests). */
bool mount_have_new_api(void);
