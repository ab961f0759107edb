#include "validate.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static const char *const ipc_sysctls[] = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

int oci_sysctl_namespace(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(ipc_sysctls); i++)
		if (strcmp(key, ipc_sysctls[i]) == 0)
			return OCI_NS_IPC;
	if (strncmp(key, "fs.mqueue.", 10) == 0)
		return OCI_NS_IPC;
	if (strncmp(key, "net.", 4) == 0)
		return OCI_NS_NETWORK;
	if (strcmp(key, "kernel.domainname") == 0)
		return OCI_NS_UTS;
	return -1;
}

static int validate_sysctl(const struct oci_config *c, cell_error **err)
{
	for (size_t i = 0; i < c->linux_.n_sysctl; i++) {
		const char *key = c->linux_.sysctl[i].key;
		if (strcmp(key, "kernel.hostname") == 0)
			return cell_error_set(
			    err, EINVAL, "linux.sysctl.%s: set the hostname with \"hostname\" instead", key);
		if (!*key || strstr(key, "..") || key[0] == '.' || key[0] == '/' || strchr(key, '/'))
			return cell_error_set(err, EINVAL, "linux.sysctl.%s: not a sysctl name", key);
		int ns = oci_sysctl_namespace(key);
		if (ns < 0)
			return cell_error_set(err, EINVAL,
					      "linux.sysctl.%s: not in a namespace the container can own; "
					      "it would change the host",
					      key);
		if (!oci_has_namespace(c, (enum oci_ns_type)ns))
			return cell_error_set(err, EINVAL,
					      "linux.sysctl.%s: needs the container's own %s namespace", key,
					      oci_ns_names[ns]);
	}
	return 0;
}

static int validate_userns(const struct oci_config *c, cell_error **err)
{
	const struct oci_linux *l = &c->linux_;
	bool mapped = l->n_uid_mappings || l->n_gid_mappings;
	if (oci_new_namespace(c, OCI_NS_USER)) {
		if (!l->n_uid_mappings)
			return cell_error_set(err, EINVAL,
					      "linux.uidMappings: required with a new user namespace");
		if (!l->n_gid_mappings)
			return cell_error_set(err, EINVAL,
					      "linux.gidMappings: required with a new user namespace");
		if (l->n_uid_mappings > 340 || l->n_gid_mappings > 340)
			return cell_error_set(err, E2BIG, "linux.uidMappings: at most 340 ranges");
	} else if (mapped) {
		return cell_error_set(err, EINVAL, "linux.%s: given without a new user namespace",
				      l->n_uid_mappings ? "uidMappings" : "gidMappings");
	}
	for (size_t i = 0; i < c->n_mounts; i++)
		if ((c->mounts[i].n_uid_mappings || c->mounts[i].n_gid_mappings) &&
		    !(c->mounts[i].n_uid_mappings && c->mounts[i].n_gid_mappings))
			return cell_error_set(err, EINVAL,
					      "mounts[%zu]: uidMappings and gidMappings go together", i);
	return 0;
}

static bool valid_propagation(const char *p)
{
	static const char *const ok[] = {"shared",  "slave",  "private",  "unbindable",
					 "rshared", "rslave", "rprivate", "runbindable"};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		if (strcmp(p, ok[i]) == 0)
			return true;
	return false;
}

/* What execve(2) takes: each string below MAX_ARG_STRLEN (32 pages), all of
 * them with their pointers within ARG_MAX. Checked here so that a config
 * that can never start fails its create, not its start. */
static int validate_exec_size(const struct oci_process *p, cell_error **err)
{
	const size_t max_string = 32 * 4096;
	long arg_max = sysconf(_SC_ARG_MAX);
	size_t total = 0;
	const char *const *lists[] = {p->args, p->env};
	const char *const names[] = {"process.args", "process.env"};
	for (size_t l = 0; l < ARRAY_SIZE(lists); l++) {
		for (size_t i = 0; lists[l][i]; i++) {
			size_t n = strlen(lists[l][i]) + 1;
			if (n > max_string)
				return cell_error_set(
				    err, E2BIG,
				    "%s[%zu]: %zu bytes, more than the %zu the kernel takes in "
				    "one argument or variable",
				    names[l], i, n - 1, max_string - 1);
			total += n + sizeof(char *);
		}
	}
	if (arg_max > 0 && total > (size_t)arg_max)
		return cell_error_set(
		    err, E2BIG,
		    "process.args and process.env: %zu bytes together, more than the %ld the "
		    "kernel takes for a program's arguments and environment",
		    total, arg_max);
	return 0;
}

int oci_config_validate(const struct oci_config *c, cell_error **err)
{
	int r;
	if (!c->root_path || !*c->root_path)
		return cell_error_set(err, EINVAL, "root.path: missing");
	if (!c->process)
		return cell_error_set(err, EINVAL, "process: missing");
	if (strncmp(c->oci_version, "1.", 2) != 0)
		return cell_error_set(err, EINVAL, "ociVersion: \"%s\" is not a version 1 runtime spec",
				      c->oci_version);
	for (size_t i = 0; i < c->n_mounts; i++) {
		const char *d = c->mounts[i].destination;
		if (d[0] != '/')
			return cell_error_set(err, EINVAL,
					      "mounts[%zu].destination: must be an absolute path, got \"%s\"",
					      i, d);
	}
	if (!oci_has_namespace(c, OCI_NS_MOUNT))
		return cell_error_set(err, EINVAL,
				      "linux.namespaces: a mount namespace is required to build the root "
				      "filesystem");
	if (c->linux_.namespaces[OCI_NS_MOUNT].path)
		return cell_error_set(err, EINVAL,
				      "linux.namespaces: joining an existing mount namespace (%s) is not "
				      "supported; the root filesystem needs a new one",
				      c->linux_.namespaces[OCI_NS_MOUNT].path);
	if (c->hostname && *c->hostname && !oci_new_namespace(c, OCI_NS_UTS))
		return cell_error_set(err, EINVAL, "hostname: needs a new uts namespace");
	if (c->domainname && *c->domainname && !oci_new_namespace(c, OCI_NS_UTS))
		return cell_error_set(err, EINVAL, "domainname: needs a new uts namespace");
	if ((c->linux_.time_boottime.present || c->linux_.time_monotonic.present) &&
	    !oci_new_namespace(c, OCI_NS_TIME))
		return cell_error_set(err, EINVAL, "linux.timeOffsets: needs a new time namespace");
	if (c->linux_.rootfs_propagation && !valid_propagation(c->linux_.rootfs_propagation))
		return cell_error_set(err, EINVAL, "linux.rootfsPropagation: unknown propagation \"%s\"",
				      c->linux_.rootfs_propagation);
	for (size_t i = 0; c->linux_.masked_paths[i]; i++)
		if (c->linux_.masked_paths[i][0] != '/')
			return cell_error_set(err, EINVAL,
					      "linux.maskedPaths[%zu]: must be an absolute path, got \"%s\"",
					      i, c->linux_.masked_paths[i]);
	for (size_t i = 0; c->linux_.readonly_paths[i]; i++)
		if (c->linux_.readonly_paths[i][0] != '/')
			return cell_error_set(
			    err, EINVAL, "linux.readonlyPaths[%zu]: must be an absolute path, got \"%s\"", i,
			    c->linux_.readonly_paths[i]);
	if ((r = validate_userns(c, err)) < 0 || (r = validate_sysctl(c, err)) < 0 ||
	    (r = validate_exec_size(c->process, err)) < 0)
		return r;
	return 0;
}
