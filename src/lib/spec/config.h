/* The OCI runtime configuration (config.json, runtime-spec 1.2, Linux) as a
 * typed model. Strings point into the JSON document, which the model owns, so
 * nothing is copied; everything is freed by oci_config_free(). Parsing checks
 * types and shapes and names the JSON path of every mistake; cross-field rules
 * live in validate.h. Unknown fields are ignored, as the spec asks. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"

struct oci_id_mapping {
	uint32_t container_id;
	uint32_t host_id;
	uint32_t size;
};

struct oci_mount {
	const char *destination;
	const char *type;     /* NULL when absent */
	const char *source;   /* NULL when absent */
	const char **options; /* NULL-terminated, never NULL */
	struct oci_id_mapping *uid_mappings;
	size_t n_uid_mappings;
	struct oci_id_mapping *gid_mappings;
	size_t n_gid_mappings;
};

struct oci_hook {
	const char *path;
	const char **args; /* NULL when absent */
	const char **env;  /* NULL when absent */
	int timeout;       /* seconds; 0 means none */
};

enum oci_hook_kind {
	OCI_HOOK_PRESTART,
	OCI_HOOK_CREATE_RUNTIME,
	OCI_HOOK_CREATE_CONTAINER,
	OCI_HOOK_START_CONTAINER,
	OCI_HOOK_POSTSTART,
	OCI_HOOK_POSTSTOP,
	OCI_HOOK_KINDS
};

/* The JSON names of the hook kinds, indexed by enum oci_hook_kind. */
extern const char *const oci_hook_names[OCI_HOOK_KINDS];

struct oci_hooks {
	struct oci_hook *list[OCI_HOOK_KINDS];
	size_t n[OCI_HOOK_KINDS];
};

struct oci_rlimit {
	const char *type; /* "RLIMIT_NOFILE" … */
	int resource;     /* RLIMIT_* */
	uint64_t soft;
	uint64_t hard;
};

enum oci_cap_set {
	OCI_CAP_BOUNDING,
	OCI_CAP_EFFECTIVE,
	OCI_CAP_INHERITABLE,
	OCI_CAP_PERMITTED,
	OCI_CAP_AMBIENT,
	OCI_CAP_SETS
};

extern const char *const oci_cap_set_names[OCI_CAP_SETS];

struct oci_process {
	bool terminal;
	bool has_console_size;
	uint32_t console_height, console_width;
	uint32_t uid, gid;
	bool has_umask;
	uint32_t umask;
	gid_t *additional_gids;
	size_t n_additional_gids;
	const char **args; /* NULL-terminated, non-empty */
	const char **env;  /* NULL-terminated, never NULL */
	const char *cwd;
	/* Capability names per set; has_capabilities false when the whole
	 * object is absent, a NULL set when that set is absent. */
	bool has_capabilities;
	const char **capabilities[OCI_CAP_SETS];
	struct oci_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	const char *apparmor_profile;
	const char *selinux_label;
	bool has_oom_score_adj;
	int oom_score_adj;
	bool has_io_priority;
	int io_priority_class; /* IOPRIO_CLASS_* */
	int io_priority_level;
	bool has_scheduler;
	int sched_policy; /* SCHED_* */
	int sched_nice;
	int sched_priority;
	uint64_t sched_flags; /* SCHED_FLAG_* */
	uint64_t sched_runtime, sched_deadline, sched_period;
	const char *exec_cpu_affinity_initial;
	const char *exec_cpu_affinity_final;
};

enum oci_ns_type {
	OCI_NS_PID,
	OCI_NS_NETWORK,
	OCI_NS_MOUNT,
	OCI_NS_IPC,
	OCI_NS_UTS,
	OCI_NS_USER,
	OCI_NS_CGROUP,
	OCI_NS_TIME,
	OCI_NS_TYPES
};

/* JSON names ("pid", "network", …) and the CLONE_NEW* flags of each type. */
extern const char *const oci_ns_names[OCI_NS_TYPES];
extern const int oci_ns_clone_flags[OCI_NS_TYPES];
/* Names under /proc/PID/ns/ of each type. */
extern const char *const oci_ns_proc_names[OCI_NS_TYPES];

struct oci_namespace {
	bool present;
	const char *path; /* NULL: a new namespace */
};

struct oci_device {
	const char *path;
	char type; /* 'c', 'b', 'p' ('u' is stored as 'c') */
	int64_t major, minor;
	bool has_file_mode;
	uint32_t file_mode;
	bool has_uid, has_gid;
	uint32_t uid, gid;
};

struct oci_kv {
	const char *key;
	const char *value;
};

struct oci_time_offset {
	bool present;
	int64_t secs;
	uint32_t nanosecs;
};

struct oci_linux {
	struct oci_namespace namespaces[OCI_NS_TYPES];
	struct oci_id_mapping *uid_mappings;
	size_t n_uid_mappings;
	struct oci_id_mapping *gid_mappings;
	size_t n_gid_mappings;
	struct oci_time_offset time_boottime, time_monotonic;
	struct oci_device *devices;
	size_t n_devices;
	const char *cgroups_path;
	json_t *resources; /* borrowed; interpreted by the cgroup drivers */
	const char *rootfs_propagation;
	const char **masked_paths;   /* NULL-terminated, never NULL */
	const char **readonly_paths; /* NULL-terminated, never NULL */
	const char *mount_label;
	struct oci_kv *sysctl;
	size_t n_sysctl;
	json_t *seccomp; /* borrowed; interpreted by linux/seccomp */
	bool has_personality;
	unsigned long personality;
};

struct oci_config {
	json_t *json; /* owns every string in the model */
	const char *oci_version;
	const char *root_path;
	bool root_readonly;
	const char *hostname;
	const char *domainname;
	struct oci_process *process; /* NULL when absent */
	struct oci_mount *mounts;
	size_t n_mounts;
	struct oci_hooks hooks;
	struct oci_kv *annotations;
	size_t n_annotations;
	bool has_linux;
	struct oci_linux linux_;
};

/* Parse a config document. Takes a reference of json (the caller keeps its
 * own). On success *out is a new config. */
int oci_config_parse(json_t *json, struct oci_config **out, cell_error **err);

/* Read, parse and validate a config file (dirfd/path). */
int oci_config_load(int dirfd, const char *path, struct oci_config **out, cell_error **err);

/* Parse only a process object (as given to `exec --process`); where names it
 * in messages. The process keeps a reference to json. */
int oci_process_parse(json_t *json, const char *where, struct oci_process **out, cell_error **err);

void oci_process_free(struct oci_process *p);
void oci_config_free(struct oci_config *c);

static inline void oci_config_freep(struct oci_config **c)
{
	oci_config_free(*c);
	*c = NULL;
}
#define _cleanup_config_ _cleanup_(oci_config_freep)

/* Lookups. */
const char *oci_annotation(const struct oci_config *c, const char *key);
bool oci_has_namespace(const struct oci_config *c, enum oci_ns_type t);
/* A namespace the container gets fresh (present without a path). */
bool oci_new_namespace(const struct oci_config *c, enum oci_ns_type t);

/* Name ↔ number tables shared with the CLI and the features document. */
int oci_rlimit_from_name(const char *name);
const char *oci_rlimit_name(int resource);
