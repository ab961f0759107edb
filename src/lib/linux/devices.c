#include "devices.h"

#include "syscalls.h"
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/path.h"
#include "mounts.h"
#include "userns.h"

static const struct oci_device default_devices[] = {
    {.path = "/dev/null", .type = 'c', .major = 1, .minor = 3},
    {.path = "/dev/zero", .type = 'c', .major = 1, .minor = 5},
    {.path = "/dev/full", .type = 'c', .major = 1, .minor = 7},
    {.path = "/dev/random", .type = 'c', .major = 1, .minor = 8},
    {.path = "/dev/urandom", .type = 'c', .major = 1, .minor = 9},
    {.path = "/dev/tty", .type = 'c', .major = 5, .minor = 0},
};

static const char *const links[][2] = {
    {"/proc/self/fd", "/dev/fd"},       {"/proc/self/fd/0", "/dev/stdin"}, {"/proc/self/fd/1", "/dev/stdout"},
    {"/proc/self/fd/2", "/dev/stderr"}, {"pts/ptmx", "/dev/ptmx"},
};

/* Split path into a parent fd (created as needed) and the last component. */
static int open_parent(int rootfd, const char *path, char *base, size_t len, struct init_error *e)
{
	char dir[4096];
	if (strlen(path) >= sizeof(dir))
		return init_fail(e, ENAMETOOLONG, "device %s", path);
	strcpy(dir, path);
	char *slash = strrchr(dir, '/');
	if (!slash || !slash[1])
		return init_fail(e, EINVAL, "device %s: not a file path", path);
	snprintf(base, len, "%s", slash + 1);
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	int fd = path_open_in_root(rootfd, dir, O_PATH | O_DIRECTORY, PATH_CREATE_DIRS, 0755);
	if (fd < 0)
		return init_fail(e, fd, "device %s: create %s", path, dir);
	return fd;
}

static int create_node(int rootfd, const struct oci_device *d, mode_t perm, bool in_userns, bool is_default,
		       struct init_error *e)
{
	char base[256];
	_cleanup_close_ int dfd = open_parent(rootfd, d->path, base, sizeof(base), e);
	if (dfd < 0)
		return dfd;
	mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
	dev_t dev = makedev((unsigned)d->major, (unsigned)d->minor);

	struct stat st;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		bool same = (st.st_mode & S_IFMT) == type && (type == S_IFIFO || st.st_rdev == dev);
		/* The spec: a file already at the path that is not the requested
		 * device is an error. (The default devices replace what an image
		 * left in /dev.) */
		if (!same && !is_default)
			return init_fail(e, EEXIST, "linux.devices: %s exists and is not %c %lld:%lld",
					 d->path, d->type, (long long)d->major, (long long)d->minor);
		if (same && !in_userns)
			goto attributes;
		if (unlinkat(dfd, base, 0) < 0)
			return init_fail(e, errno, "device %s: replace", d->path);
	}
	if (in_userns && type != S_IFIFO) {
		/* No mknod here: an empty file, with the host's node bound on it. */
		_cleanup_close_ int f =
		    openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (f < 0)
			return init_fail(e, errno, "device %s: create mount point", d->path);
		_cleanup_close_ int target = openat(dfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (target < 0)
			return init_fail(e, errno, "device %s: open mount point", d->path);
		return mount_bind_at(AT_FDCWD, d->path, target, false, 0, d->path, e);
	}
	if (mknodat(dfd, base, type | perm, dev) < 0)
		return init_fail(e, errno, "device %s: mknod %c %lld:%lld", d->path, d->type,
				 (long long)d->major, (long long)d->minor);
attributes:
	if (fchmodat(dfd, base, perm, 0) < 0)
		return init_fail(e, errno, "device %s: chmod %o", d->path, perm);
	if ((d->has_uid || d->has_gid) && fchownat(dfd, base, d->has_uid ? d->uid : (uid_t)-1,
						   d->has_gid ? d->gid : (gid_t)-1, AT_SYMLINK_NOFOLLOW) < 0)
		return init_fail(e, errno, "device %s: chown %u:%u", d->path, d->uid, d->gid);
	return 0;
}

/* A node made by the runtime's parent: attach it over an empty file. */
static int attach_detached(int rootfd, const struct oci_device *d, int tree, struct init_error *e)
{
	char base[256];
	_cleanup_close_ int dfd = open_parent(rootfd, d->path, base, sizeof(base), e);
	if (dfd < 0)
		return dfd;
	struct stat st;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		mode_t type = d->type == 'b' ? S_IFBLK : S_IFCHR;
		if ((st.st_mode & S_IFMT) != type ||
		    st.st_rdev != makedev((unsigned)d->major, (unsigned)d->minor))
			return init_fail(e, EEXIST, "linux.devices: %s exists and is not %c %lld:%lld",
					 d->path, d->type, (long long)d->major, (long long)d->minor);
		if (unlinkat(dfd, base, 0) < 0)
			return init_fail(e, errno, "device %s: replace", d->path);
	}
	_cleanup_close_ int f = openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (f < 0)
		return init_fail(e, errno, "device %s: create mount point", d->path);
	_cleanup_close_ int target = openat(dfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (target < 0)
		return init_fail(e, errno, "device %s: open mount point", d->path);
	if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return init_fail(e, errno, "device %s: attach", d->path);
	return 0;
}

/* The host id an id of the container maps to; -1 when unmapped. */
static int64_t map_id(const struct oci_id_mapping *m, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (id >= m[i].container_id && (uint64_t)id < (uint64_t)m[i].container_id + m[i].size)
			return (int64_t)m[i].host_id + (id - m[i].container_id);
	return -1;
}

int devices_prepare_detached(const struct oci_config *c, int *fds, cell_error **err)
{
	const struct oci_linux *l = &c->linux_;
	for (size_t i = 0; i < l->n_devices; i++)
		fds[i] = -1;
	if (!l->n_devices || !oci_new_namespace(c, OCI_NS_USER) || !userns_host_root() ||
	    !mount_have_new_api())
		return 0;
	_cleanup_close_ int fsfd = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return cell_error_errno(err, errno, "linux.devices: a tmpfs for the device nodes");
	if (fsconfig(fsfd, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 ||
	    fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return cell_error_errno(err, errno, "linux.devices: a tmpfs for the device nodes");
	_cleanup_close_ int mnt = fsmount(fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSUID);
	if (mnt < 0)
		return cell_error_errno(err, errno, "linux.devices: mount a tmpfs for the device nodes");
	for (size_t i = 0; i < l->n_devices; i++) {
		const struct oci_device *d = &l->devices[i];
		if (d->type == 'p')
			continue; /* a fifo the container makes itself */
		int64_t uid = map_id(l->uid_mappings, l->n_uid_mappings, d->has_uid ? d->uid : 0);
		int64_t gid = map_id(l->gid_mappings, l->n_gid_mappings, d->has_gid ? d->gid : 0);
		if (uid < 0 || gid < 0)
			return cell_error_set(
			    err, EINVAL,
			    "linux.devices[%zu]: owner %u:%u of %s is not mapped in the user namespace", i,
			    d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0, d->path);
		char name[32];
		snprintf(name, sizeof(name), "%zu", i);
		mode_t type = d->type == 'b' ? S_IFBLK : S_IFCHR;
		mode_t perm = d->has_file_mode ? (d->file_mode & 07777) : 0666;
		if (mknodat(mnt, name, type, makedev((unsigned)d->major, (unsigned)d->minor)) < 0 ||
		    fchownat(mnt, name, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    fchmodat(mnt, name, perm, 0) < 0)
			return cell_error_errno(err, errno, "linux.devices[%zu]: make %s", i, d->path);
		fds[i] = open_tree(mnt, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (fds[i] < 0)
			return cell_error_errno(err, errno, "linux.devices[%zu]: hand over %s", i, d->path);
	}
	return 0;
}

static bool configured(const struct oci_config *c, const char *path)
{
	for (size_t i = 0; i < c->linux_.n_devices; i++)
		if (strcmp(c->linux_.devices[i].path, path) == 0)
			return true;
	return false;
}

int devices_setup(int rootfd, const struct oci_config *c, bool defaults, bool in_userns, const int *detached,
		  struct init_error *e)
{
	int r;
	if (defaults) {
		for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
			if (configured(c, default_devices[i].path))
				continue;
			if ((r = create_node(rootfd, &default_devices[i], 0666, in_userns, true, e)) < 0)
				return r;
		}
	}
	for (size_t i = 0; i < c->linux_.n_devices; i++) {
		const struct oci_device *d = &c->linux_.devices[i];
		mode_t perm = d->has_file_mode ? (d->file_mode & 07777) : 0666;
		if (detached && detached[i] >= 0)
			r = attach_detached(rootfd, d, detached[i], e);
		else
			r = create_node(rootfd, d, perm, in_userns, false, e);
		if (r < 0)
			return r;
	}
	if (!defaults)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		char base[256];
		_cleanup_close_ int dfd = open_parent(rootfd, links[i][1], base, sizeof(base), e);
		if (dfd < 0)
			return dfd;
		if (symlinkat(links[i][0], dfd, base) < 0 && errno != EEXIST)
			return init_fail(e, errno, "link %s -> %s", links[i][1], links[i][0]);
	}
	return 0;
}
