/* The overlay driver: each layer's directory holds only its changes, with
 * whiteouts as overlayfs expects them, and a root file system is an
 * overlayfs mount of the layers (plus a container's upper and work dirs).
 *
 * Long chains: the classic mount(2) takes all options in one page, which 60
 * layers of absolute paths overflow. The fd-based API passes each lower dir
 * on its own ("lowerdir+", Linux 6.8); where that is missing, a child process
 * changes into the store and mounts with short relative names from
 * layers/l/, symlinks to the layers' trees. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/file.h"
#include "base/path.h"
#include "driver.h"
#include "storage.h"

static int sys_fsopen(const char *fs, unsigned int flags)
{
	return (int)syscall(SYS_fsopen, fs, flags);
}

static int sys_fsconfig(int fd, unsigned int cmd, const char *key, const void *value, int aux)
{
	return (int)syscall(SYS_fsconfig, fd, cmd, key, value, aux);
}

static int sys_fsmount(int fd, unsigned int flags, unsigned int attrs)
{
	return (int)syscall(SYS_fsmount, fd, flags, attrs);
}

static int sys_move_mount(int from, const char *from_path, int to, const char *to_path, unsigned int flags)
{
	return (int)syscall(SYS_move_mount, from, from_path, to, to_path, flags);
}

/* The kernel's own words for a failed fsconfig, when it left some. */
static void fs_context_message(int fsfd, char *buf, size_t len)
{
	buf[0] = '\0';
	ssize_t n = read(fsfd, buf, len - 1);
	if (n > 0)
		buf[n > 0 && buf[n - 1] == '\n' ? n - 1 : n] = '\0';
}

static bool fd_api_disabled(void)
{
	return getenv("CELL_OVERLAY_CLASSIC_MOUNT") != NULL;
}

/* 1: mounted; 0: this kernel lacks what we need (fall back); <0: error. */
static int mount_fd_api(size_t n, char *const *lowers, const char *cdir, const char *target, bool rootless,
			bool volatile_, cell_error **err)
{
	if (fd_api_disabled())
		return 0;
	_cleanup_close_ int fsfd = sys_fsopen("overlay", FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return errno == ENOSYS ? 0 : cell_error_errno(err, errno, "fsopen overlay");
	char msg[512];
	for (size_t i = 0; i < n; i++) {
		if (sys_fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir+", lowers[i], 0) < 0) {
			if (i == 0 && errno == EINVAL)
				return 0; /* no "lowerdir+" before Linux 6.8 */
			int e = errno;
			fs_context_message(fsfd, msg, sizeof(msg));
			return cell_error_errno(err, e, "overlay lower dir %s%s%s", lowers[i],
						*msg ? ": " : "", msg);
		}
	}
	if (cdir) {
		char upper[PATH_MAX], work[PATH_MAX];
		snprintf(upper, sizeof(upper), "%s/upper", cdir);
		snprintf(work, sizeof(work), "%s/work", cdir);
		if (sys_fsconfig(fsfd, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
		    sys_fsconfig(fsfd, FSCONFIG_SET_STRING, "workdir", work, 0) < 0) {
			int e = errno;
			fs_context_message(fsfd, msg, sizeof(msg));
			return cell_error_errno(err, e, "overlay upper dir %s%s%s", upper, *msg ? ": " : "",
						msg);
		}
	}
	if (rootless)
		sys_fsconfig(fsfd, FSCONFIG_SET_FLAG, "userxattr", NULL, 0);
	/* Before Linux 5.10 there is no "volatile": the mount is then only
	 * as slow to unmount as any other. */
	if (volatile_ && cdir)
		sys_fsconfig(fsfd, FSCONFIG_SET_FLAG, "volatile", NULL, 0);
	if (sys_fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		int e = errno;
		fs_context_message(fsfd, msg, sizeof(msg));
		return cell_error_errno(err, e, "create overlay of %zu layers%s%s", n, *msg ? ": " : "", msg);
	}
	_cleanup_close_ int mfd = sys_fsmount(fsfd, FSMOUNT_CLOEXEC, cdir ? 0 : MOUNT_ATTR_RDONLY);
	if (mfd < 0)
		return cell_error_errno(err, errno, "fsmount overlay");
	if (sys_move_mount(mfd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return cell_error_errno(err, errno, "mount overlay on %s", target);
	return 1;
}

/* layers/l/NAME -> ../HEX/diff, NAME the first 26 hex digits of the chainID:
 * short enough for 500 layers in a page, long enough not to collide. */
static int short_link(const char *root, const char *diff_path, char *name, size_t len, cell_error **err)
{
	const char *hex = strstr(diff_path, "/layers/");
	if (!hex)
		return cell_error_set(err, EINVAL, "%s: not a layer of %s", diff_path, root);
	hex += strlen("/layers/");
	snprintf(name, len, "%.26s", hex);
	char ldir[PATH_MAX], link[PATH_MAX], target[PATH_MAX];
	snprintf(ldir, sizeof(ldir), "%s/layers/l", root);
	snprintf(link, sizeof(link), "%s/%s", ldir, name);
	snprintf(target, sizeof(target), "../%.64s/diff", hex);
	if (mkdir(ldir, 0700) < 0 && errno != EEXIST)
		return cell_error_errno(err, errno, "create %s", ldir);
	if (symlink(target, link) < 0 && errno != EEXIST)
		return cell_error_errno(err, errno, "create %s", link);
	return 0;
}

static int mount_classic(struct storage *s, size_t n, char *const *lowers, const char *cdir,
			 const char *target, bool volatile_, cell_error **err)
{
	const char *root = storage_root_path(s);
	size_t cap = 64 + 2 * PATH_MAX + n * 32;
	_cleanup_free_ char *opts = malloc(cap);
	if (!opts)
		return cell_error_set(err, ENOMEM, "out of memory");
	size_t o = (size_t)snprintf(opts, cap, "lowerdir=");
	for (size_t i = 0; i < n; i++) {
		char name[32];
		int r = short_link(root, lowers[i], name, sizeof(name), err);
		if (r < 0)
			return r;
		o += (size_t)snprintf(opts + o, cap - o, "%sl/%s", i ? ":" : "", name);
	}
	if (cdir)
		o += (size_t)snprintf(opts + o, cap - o, ",upperdir=%s/upper,workdir=%s/work", cdir, cdir);
	if (s && storage_rootless(s))
		o += (size_t)snprintf(opts + o, cap - o, ",userxattr");
	if (volatile_ && cdir)
		o += (size_t)snprintf(opts + o, cap - o, ",volatile");
	if (o >= (size_t)sysconf(_SC_PAGESIZE))
		return cell_error_set(err, E2BIG, "overlay mount options for %zu layers exceed a page", n);

	/* Relative lower dirs are resolved from the mounting process's working
	 * directory: a child changes into layers/ so that we do not. */
	_cleanup_close_ int lfd = fcntl(storage_layers_fd(s), F_DUPFD_CLOEXEC, 3);
	int p[2];
	if (lfd < 0 || pipe2(p, O_CLOEXEC) < 0)
		return cell_error_errno(err, errno, "mount overlay");
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return cell_error_errno(err, errno, "fork");
	}
	if (pid == 0) {
		close(p[0]);
		int e = 0;
		if (fchdir(lfd) < 0 || mount("overlay", target, "overlay", cdir ? 0 : MS_RDONLY, opts) < 0)
			e = errno;
		write_all(p[1], &e, sizeof(e));
		_exit(e ? 1 : 0);
	}
	close(p[1]);
	int e = EIO;
	ssize_t got = read(p[0], &e, sizeof(e));
	close(p[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got != (ssize_t)sizeof(e))
		e = EIO;
	if (e)
		return cell_error_errno(err, e, "mount overlay of %zu layers on %s", n, target);
	return 0;
}

static int overlay_mount(struct storage *s, size_t n, char *const *lowers, const char *cdir,
			 const char *target, unsigned flags, cell_error **err)
{
	bool volatile_ = flags & STORAGE_MOUNT_VOLATILE;
	if (volatile_ && cdir) {
		/* A volatile mount leaves work/work/incompat/volatile, and
		 * overlayfs refuses to mount over it again; we know this one
		 * was unmounted cleanly (or the container is thrown away). */
		char marker[PATH_MAX];
		snprintf(marker, sizeof(marker), "%s/work/work/incompat", cdir);
		remove_tree_at(AT_FDCWD, marker);
	}
	/* overlayfs needs two lower dirs without an upper one: an empty one
	 * under a single layer (or as the only one, for an image without any). */
	char empty[PATH_MAX];
	snprintf(empty, sizeof(empty), "%s/layers/empty", storage_root_path(s));
	if (mkdir(empty, 0755) < 0 && errno != EEXIST)
		return cell_error_errno(err, errno, "create %s", empty);
	char *two[2] = {NULL, empty};
	if (n == 0 && !cdir)
		return cell_error_set(err, EINVAL, "nothing to mount: no layers");
	if (n == 0) {
		two[0] = empty;
		lowers = two;
		n = 1;
	} else if (n == 1 && !cdir) {
		two[0] = lowers[0];
		lowers = two;
		n = 2;
	}
	int r = mount_fd_api(n, lowers, cdir, target, storage_rootless(s), volatile_, err);
	if (r != 0)
		return r < 0 ? r : 0;
	return mount_classic(s, n, lowers, cdir, target, volatile_, err);
}

static int overlay_probe(struct storage *s, cell_error **err)
{
	if (storage_rootless(s))
		return cell_error_set(err, EPERM, "needs root (rootless stores use vfs)");
	_cleanup_fclose_ FILE *f = fopen("/proc/filesystems", "re");
	char line[256];
	bool found = false;
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "\toverlay\n"))
			found = true;
	if (!found)
		return cell_error_set(err, ENODEV, "the kernel has no overlayfs");
	/* The store's own file system must be able to serve as upper dir. */
	char base[PATH_MAX];
	snprintf(base, sizeof(base), "%s/layers/.tmp-probe", storage_root_path(s));
	remove_tree_at(AT_FDCWD, base);
	static const char *const dirs[] = {"", "/l1", "/l2", "/upper", "/work", "/merged"};
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char d[PATH_MAX + 16];
		snprintf(d, sizeof(d), "%s%s", base, dirs[i]);
		if (mkdir(d, 0700) < 0)
			return cell_error_errno(err, errno, "create %s", d);
	}
	char l1[PATH_MAX + 8], l2[PATH_MAX + 8], merged[PATH_MAX + 16];
	snprintf(l1, sizeof(l1), "%s/l1", base);
	snprintf(l2, sizeof(l2), "%s/l2", base);
	snprintf(merged, sizeof(merged), "%s/merged", base);
	/* "volatile": unmounting a writable overlay otherwise flushes the whole
	 * file system below it, which can take a while on a busy disk. */
	char opts[4 * PATH_MAX + 64];
	snprintf(opts, sizeof(opts), "lowerdir=%s:%s,upperdir=%s/upper,workdir=%s/work,volatile", l1, l2,
		 base, base);
	int r = 0;
	if (mount("overlay", merged, "overlay", 0, opts) < 0) {
		/* Before Linux 5.10 there is no "volatile". */
		char *v = strstr(opts, ",volatile");
		*v = '\0';
		if (mount("overlay", merged, "overlay", 0, opts) < 0)
			r = cell_error_errno(err, errno, "mount overlay in %s", base);
	}
	if (r == 0)
		umount2(merged, MNT_DETACH);
	remove_tree_at(AT_FDCWD, base);
	return r < 0 ? r : 0;
}

static int overlay_prepare_layer(struct storage *s, int parent_diff_fd, int diff_fd, cell_error **err)
{
	return 0;
}

static int overlay_create_rw(struct storage *s, int top_diff_fd, int cdir_fd, cell_error **err)
{
	static const char *const dirs[] = {"upper", "work", "merged"};
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		if (mkdirat(cdir_fd, dirs[i], i == 0 ? 0755 : 0700) < 0)
			return cell_error_errno(err, errno, "create %s", dirs[i]);
	return 0;
}

const struct storage_driver storage_driver_overlay = {
    .name = "overlay",
    .whiteouts = WHITEOUT_OVERLAY,
    .independent_layers = true,
    .probe = overlay_probe,
    .prepare_layer = overlay_prepare_layer,
    .create_rw = overlay_create_rw,
    .mount = overlay_mount,
    .rootfs_name = "merged",
};
