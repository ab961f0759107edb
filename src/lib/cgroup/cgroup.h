/* Control groups for a container on v1, v2 and hybrid hosts. On a hybrid host
 * (v1 controllers plus a cgroup2 mount that holds no controllers) the
 * container is placed in every v1 hierarchy and in the unified one, as runc
 * does.
 *
 * A `struct cgroup` is a container's set of directories, one per hierarchy.
 * It is computed from linux.cgroupsPath (absolute, relative to the caller's
 * own cgroup, or the container id when absent), created before the init
 * runs, recorded in the state, and reloaded from the state by later
 * commands. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"

enum cgroup_layout {
	CGROUP_LAYOUT_V1,     /* only v1 hierarchies */
	CGROUP_LAYOUT_HYBRID, /* v1 hierarchies and a cgroup2 mount without controllers */
	CGROUP_LAYOUT_V2,     /* one unified hierarchy */
};

/* One hierarchy the container lives in. */
struct cgroup_dir {
	char *name;        /* v1: the mount's directory name ("memory", "cpu,cpuacct", "systemd");
			      v2 and hybrid's unified: "" */
	char *mountpoint;  /* where the hierarchy is mounted on the host */
	char *path;        /* the container's cgroup, relative to the hierarchy root ("/a/b") */
	char *controllers; /* v1 mount options naming its controllers ("memory", "name=systemd"); v2: NULL */
	bool unified;      /* a cgroup2 hierarchy */
};

struct cgroup {
	enum cgroup_layout layout;
	struct cgroup_dir *dirs;
	size_t n_dirs;
	char *systemd_unit;  /* the scope when systemd manages it (systemd.h), else NULL */
	char *systemd_slice; /* its slice */
};

/* The layout of this host, read once from /proc/self/mountinfo. */
int cgroup_detect_layout(enum cgroup_layout *out, cell_error **err);

/* Compute the container's cgroup from cgroupsPath (may be NULL) and id, without
 * touching the file system. */
int cgroup_resolve(const char *cgroups_path, const char *id, struct cgroup **out, cell_error **err);

/* Create every directory (mkdir -p); an existing one is fine. */
int cgroup_create(const struct cgroup *cg, cell_error **err);

/* Put pid into every directory of cg. */
int cgroup_enter(const struct cgroup *cg, pid_t pid, cell_error **err);

/* How a new process puts itself into cg, fast. Moving a process by pid (what
 * cgroup_enter does) takes a lock over every thread group of the system
 * whose first taker waits an RCU grace period: ten milliseconds and more on
 * an idle machine. Two ways skip it: a single-threaded process writing "0"
 * (itself) to a v1 hierarchy's `tasks` file, and clone3's CLONE_INTO_CGROUP
 * for the unified hierarchy. The files are opened here, by the runtime
 * (their opener's credentials are what the kernel checks), before the
 * clone; the new process writes to them. */
struct cgroup_join {
	int *tasks_fds; /* one per v1 hierarchy: its `tasks` file, open for writing */
	char **names;   /* the directory of each, for messages */
	size_t n;
	int unified_fd;     /* the unified directory (O_PATH), for CLONE_INTO_CGROUP; -1 if none */
	char *unified_path; /* its path, or NULL */
};

int cgroup_join_open(const struct cgroup *cg, struct cgroup_join *j, cell_error **err);
void cgroup_join_close(struct cgroup_join *j);

/* After a clone without CLONE_INTO_CGROUP: the runtime moves pid into the
 * unified directory the slow way. No-op without one. */
int cgroup_join_unified_by_pid(const struct cgroup_join *j, pid_t pid, cell_error **err);

/* A sub-cgroup of cg for a process that joins the container (exec
 * --cgroup, runc's flag): each spec is "PATH" (every hierarchy) or
 * "CONTROLLER[,CONTROLLER…]:PATH" (the v1 hierarchies of those controllers;
 * on v2 the unified one), PATH relative to the container's cgroup. The
 * directories must exist already (the container made them). */
int cgroup_sub(const struct cgroup *cg, const char *const *specs, struct cgroup **out, cell_error **err);

/* The directory of one hierarchy on the host, e.g. /sys/fs/cgroup/memory/a/b. */
char *cgroup_dir_path(const struct cgroup_dir *d);

/* The pids in the container's cgroup (from the first hierarchy, which holds
 * them all). *out is a malloc'd array. */
int cgroup_pids(const struct cgroup *cg, pid_t **out, size_t *n, cell_error **err);

/* Send sig to every process in the cgroup. */
int cgroup_kill_all(const struct cgroup *cg, int sig, cell_error **err);

/* Thaw whatever freezer holds pid (v1 freezer.state, v2 cgroup.freeze), wherever
 * it is: a frozen process cannot act on SIGKILL. Best effort. */
void cgroup_thaw_pid(pid_t pid);

/* Kill what is left and remove the directories, waiting (up to timeout_ms)
 * for exited processes to be reaped so that the cgroup can go. A missing
 * directory is not an error. */
int cgroup_destroy(const struct cgroup *cg, int timeout_ms, cell_error **err);

struct cgroup_resources;

/* Write the limits of r into cg's directories, through the driver of cg's
 * layout (driver.h). At create (update false) before the init runs; on
 * `update` only what r holds changes. */
int cgroup_apply(const struct cgroup *cg, const struct cgroup_resources *r, bool update, cell_error **err);

/* Freeze (pause) or thaw (resume) every process of cg; returns once the
 * kernel reports the new state. */
int cgroup_freeze(const struct cgroup *cg, bool frozen, cell_error **err);

/* True if cg is frozen or freezing. */
bool cgroup_is_frozen(const struct cgroup *cg);

/* Usage statistics in the shape of runc's `events --stats` "data" object. */
int cgroup_stats(const struct cgroup *cg, json_t **out, cell_error **err);

/* A watch for OOM kills in cg: poll cgroup_oom_fd() for POLLIN, then ask
 * cgroup_oom_read() how many happened. */
struct cgroup_oom;
int cgroup_oom_open(const struct cgroup *cg, struct cgroup_oom **out, cell_error **err);
int cgroup_oom_fd(const struct cgroup_oom *w);
int cgroup_oom_read(struct cgroup_oom *w, uint64_t *kills);
void cgroup_oom_close(struct cgroup_oom *w);

/* Record and reload: {"layout": "...", "dirs": [{"name", "mountpoint", "path", …}]} */
json_t *cgroup_to_json(const struct cgroup *cg);
int cgroup_from_json(json_t *j, struct cgroup **out, cell_error **err);

void cgroup_free(struct cgroup *cg);
static inline void cgroup_freep(struct cgroup **cg)
{
	cgroup_free(*cg);
	*cg = NULL;
}
#define _cleanup_cgroup_ _cleanup_(cgroup_freep)
