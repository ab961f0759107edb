#include "mounts.h"

#include "syscalls.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/path.h"
#include "lsm.h"
#include "userns.h"

#ifndef MOUNT_ATTR_NOSYMFOLLOW
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif
#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif
#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

/* How an option changes a mount: attributes of the mount itself, flags of
 * the super block, propagation, or the kind of mount. */
enum opt_what {
	OPT_ATTR,
	OPT_RATTR,
	OPT_SB,
	OPT_PROPAGATION,
	OPT_BIND,
	OPT_RBIND,
	OPT_TMPCOPYUP,
	OPT_IDMAP,
	OPT_RIDMAP,
	OPT_IGNORE
};

struct mount_option {
	const char *name;
	enum opt_what what;
	uint64_t set, clr; /* attributes, or super block flags in set */
};

#define ATIME(v) (v), MOUNT_ATTR__ATIME

static const struct mount_option options[] = {
    {"defaults", OPT_IGNORE, 0, 0},
    {"ro", OPT_ATTR, MOUNT_ATTR_RDONLY, 0},
    {"rw", OPT_ATTR, 0, MOUNT_ATTR_RDONLY},
    {"nosuid", OPT_ATTR, MOUNT_ATTR_NOSUID, 0},
    {"suid", OPT_ATTR, 0, MOUNT_ATTR_NOSUID},
    {"nodev", OPT_ATTR, MOUNT_ATTR_NODEV, 0},
    {"dev", OPT_ATTR, 0, MOUNT_ATTR_NODEV},
    {"noexec", OPT_ATTR, MOUNT_ATTR_NOEXEC, 0},
    {"exec", OPT_ATTR, 0, MOUNT_ATTR_NOEXEC},
    {"nosymfollow", OPT_ATTR, MOUNT_ATTR_NOSYMFOLLOW, 0},
    {"symfollow", OPT_ATTR, 0, MOUNT_ATTR_NOSYMFOLLOW},
    {"nodiratime", OPT_ATTR, MOUNT_ATTR_NODIRATIME, 0},
    {"diratime", OPT_ATTR, 0, MOUNT_ATTR_NODIRATIME},
    {"noatime", OPT_ATTR, ATIME(MOUNT_ATTR_NOATIME)},
    {"atime", OPT_ATTR, ATIME(MOUNT_ATTR_RELATIME)},
    {"relatime", OPT_ATTR, ATIME(MOUNT_ATTR_RELATIME)},
    {"norelatime", OPT_ATTR, ATIME(MOUNT_ATTR_STRICTATIME)},
    {"strictatime", OPT_ATTR, ATIME(MOUNT_ATTR_STRICTATIME)},
    {"nostrictatime", OPT_ATTR, ATIME(MOUNT_ATTR_RELATIME)},
    {"rro", OPT_RATTR, MOUNT_ATTR_RDONLY, 0},
    {"rrw", OPT_RATTR, 0, MOUNT_ATTR_RDONLY},
    {"rnosuid", OPT_RATTR, MOUNT_ATTR_NOSUID, 0},
    {"rsuid", OPT_RATTR, 0, MOUNT_ATTR_NOSUID},
    {"rnodev", OPT_RATTR, MOUNT_ATTR_NODEV, 0},
    {"rdev", OPT_RATTR, 0, MOUNT_ATTR_NODEV},
    {"rnoexec", OPT_RATTR, MOUNT_ATTR_NOEXEC, 0},
    {"rexec", OPT_RATTR, 0, MOUNT_ATTR_NOEXEC},
    {"rnosymfollow", OPT_RATTR, MOUNT_ATTR_NOSYMFOLLOW, 0},
    {"rsymfollow", OPT_RATTR, 0, MOUNT_ATTR_NOSYMFOLLOW},
    {"rnodiratime", OPT_RATTR, MOUNT_ATTR_NODIRATIME, 0},
    {"rdiratime", OPT_RATTR, 0, MOUNT_ATTR_NODIRATIME},
    {"rnoatime", OPT_RATTR, ATIME(MOUNT_ATTR_NOATIME)},
    {"ratime", OPT_RATTR, ATIME(MOUNT_ATTR_RELATIME)},
    {"rrelatime", OPT_RATTR, ATIME(MOUNT_ATTR_RELATIME)},
    {"rnorelatime", OPT_RATTR, ATIME(MOUNT_ATTR_STRICTATIME)},
    {"rstrictatime", OPT_RATTR, ATIME(MOUNT_ATTR_STRICTATIME)},
    {"rnostrictatime", OPT_RATTR, ATIME(MOUNT_ATTR_RELATIME)},
    {"sync", OPT_SB, MS_SYNCHRONOUS, 0},
    {"async", OPT_SB, 0, MS_SYNCHRONOUS},
    {"dirsync", OPT_SB, MS_DIRSYNC, 0},
    {"lazytime", OPT_SB, MS_LAZYTIME, 0},
    {"nolazytime", OPT_SB, 0, MS_LAZYTIME},
    {"mand", OPT_SB, MS_MANDLOCK, 0},
    {"nomand", OPT_SB, 0, MS_MANDLOCK},
    {"silent", OPT_SB, MS_SILENT, 0},
    {"loud", OPT_SB, 0, MS_SILENT},
    {"iversion", OPT_SB, MS_I_VERSION, 0},
    {"noiversion", OPT_SB, 0, MS_I_VERSION},
    {"shared", OPT_PROPAGATION, MS_SHARED, 0},
    {"rshared", OPT_PROPAGATION, MS_SHARED | MS_REC, 0},
    {"slave", OPT_PROPAGATION, MS_SLAVE, 0},
    {"rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC, 0},
    {"private", OPT_PROPAGATION, MS_PRIVATE, 0},
    {"rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC, 0},
    {"unbindable", OPT_PROPAGATION, MS_UNBINDABLE, 0},
    {"runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC, 0},
    {"bind", OPT_BIND, 0, 0},
    {"rbind", OPT_RBIND, 0, 0},
    {"tmpcopyup", OPT_TMPCOPYUP, 0, 0},
    /* Also as "idmap=uids=…;gids=…" (crun's syntax). */
    {"idmap", OPT_IDMAP, 0, 0},
    {"ridmap", OPT_RIDMAP, 0, 0},
    /* runc's extension: it changes how runc copies symlinks for tmpfs
     * copy-up; we copy symlinks as symlinks always. */
    {"copy-symlink", OPT_IGNORE, 0, 0},
    {"remount", OPT_IGNORE, 0, 0},
};

const char *mount_option_name(size_t i)
{
	return i < ARRAY_SIZE(options) ? options[i].name : NULL;
}

static int new_api_state; /* 0 unknown, 1 yes, -1 no */

bool mount_have_new_api(void)
{
	if (new_api_state == 0) {
		if (getenv("CELL_NO_NEW_MOUNT_API")) {
			new_api_state = -1;
		} else {
			int fd = (int)syscall(SYS_open_tree, -EBADF, "", 0);
			/* EBADF means the call exists and merely disliked the fd. */
			new_api_state = (fd < 0 && errno == ENOSYS) ? -1 : 1;
			if (fd >= 0)
				close(fd);
		}
	}
	return new_api_state > 0;
}

static int append_data(char **data, const char *opt)
{
	char *n = NULL;
	if (asprintf(&n, "%s%s%s", *data ? *data : "", *data ? "," : "", opt) < 0)
		return -ENOMEM;
	free(*data);
	*data = n;
	return 0;
}

/* Later options override earlier ones: "ro,rw" ends read-write. */
static void apply_attr(uint64_t *set, uint64_t *clr, const struct mount_option *mo)
{
	if (mo->clr & MOUNT_ATTR__ATIME) {
		*set = (*set & ~(uint64_t)MOUNT_ATTR__ATIME) | mo->set;
		*clr |= MOUNT_ATTR__ATIME;
		return;
	}
	*set = (*set & ~mo->clr) | mo->set;
	*clr = (*clr & ~mo->set) | mo->clr;
}

void mount_plan_release(struct mount_plan *p)
{
	free(p->data);
	p->data = NULL;
	free(p->source_abs);
	p->source_abs = NULL;
	if (p->tree_fd >= 0)
		close(p->tree_fd);
	p->tree_fd = -1;
}

int mount_plan_build(const struct oci_mount *m, size_t i, int bundle_fd, struct mount_plan *p,
		     cell_error **err)
{
	*p = (struct mount_plan){
	    .destination = m->destination, .source = m->source, .type = m->type, .tree_fd = -1};
	bool bind = m->type && strcmp(m->type, "bind") == 0;

	for (size_t k = 0; m->options[k]; k++) {
		const char *o = m->options[k];
		const struct mount_option *mo = NULL;
		const char *eq = strchr(o, '=');
		for (size_t j = 0; j < ARRAY_SIZE(options); j++) {
			if (strcmp(options[j].name, o) == 0)
				mo = &options[j];
			else if (eq && (options[j].what == OPT_IDMAP || options[j].what == OPT_RIDMAP) &&
				 strncmp(options[j].name, o, (size_t)(eq - o)) == 0 &&
				 !options[j].name[eq - o])
				mo = &options[j];
		}
		if (!mo) {
			if (append_data(&p->data, o) < 0)
				return cell_error_set(err, ENOMEM, "out of memory");
			continue;
		}
		switch (mo->what) {
		case OPT_ATTR:
			apply_attr(&p->attr_set, &p->attr_clr, mo);
			break;
		case OPT_RATTR:
			apply_attr(&p->rattr_set, &p->rattr_clr, mo);
			break;
		case OPT_SB:
			p->sb_flags = (p->sb_flags & ~(unsigned long)mo->clr) | (unsigned long)mo->set;
			break;
		case OPT_PROPAGATION:
			p->propagation = (unsigned long)mo->set;
			break;
		case OPT_BIND:
			bind = true;
			break;
		case OPT_RBIND:
			bind = true;
			p->recursive = true;
			break;
		case OPT_TMPCOPYUP:
			p->tmpcopyup = true;
			break;
		case OPT_IDMAP:
		case OPT_RIDMAP:
			p->idmap = true;
			p->ridmap = mo->what == OPT_RIDMAP;
			p->idmap_value = eq && eq[1] ? eq + 1 : NULL;
			break;
		case OPT_IGNORE:
			break;
		default:
			break;
		}
	}
	if (m->n_uid_mappings || m->n_gid_mappings)
		p->idmap = true;

	if (bind) {
		p->kind = MOUNT_KIND_BIND;
		if (!m->source || !*m->source)
			return cell_error_set(err, EINVAL,
					      "mounts[%zu].source: required for a bind mount of %s", i,
					      m->destination);
		struct stat st;
		if (fstatat(bundle_fd, m->source, &st, 0) < 0)
			return cell_error_errno(err, errno, "mounts[%zu]: bind source %s", i, m->source);
		p->source_is_dir = S_ISDIR(st.st_mode);
		char bundle[4096];
		int r = m->source[0] == '/' ? 0 : path_of_fd(bundle_fd, bundle, sizeof(bundle));
		if (r < 0)
			return cell_error_errno(err, r, "mounts[%zu]: bind source %s", i, m->source);
		if (asprintf(&p->source_abs, "%s%s%s", m->source[0] == '/' ? "" : bundle,
			     m->source[0] == '/' ? "" : "/", m->source) < 0) {
			p->source_abs = NULL;
			return cell_error_set(err, ENOMEM, "out of memory");
		}
		if (mount_have_new_api()) {
			unsigned flags =
			    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (p->recursive ? AT_RECURSIVE : 0);
			p->tree_fd = (int)syscall(SYS_open_tree, bundle_fd, m->source, flags);
			/* Unprivileged (rootless), we may not clone mounts here; the
			 * child can, in the mount namespace it owns. */
			if (p->tree_fd < 0 && errno == EPERM && !userns_host_root())
				return 0;
			if (p->tree_fd < 0)
				return cell_error_errno(err, errno, "mounts[%zu]: open bind source %s", i,
							m->source);
		}
		return 0;
	}
	if (m->type && (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0)) {
		p->kind = MOUNT_KIND_CGROUP;
		return 0;
	}
	if (!m->type || !*m->type)
		return cell_error_set(err, EINVAL,
				      "mounts[%zu].type: required for a mount of %s that is not a bind", i,
				      m->destination);
	p->kind = MOUNT_KIND_FS;
	return 0;
}

int mount_plan_idmap(const struct oci_config *c, size_t i, struct mount_plan *p, cell_error **err)
{
	const struct oci_mount *m = &c->mounts[i];
	if (!p->idmap)
		return 0;
	if (p->kind != MOUNT_KIND_BIND)
		return cell_error_set(err, EINVAL,
				      "mounts[%zu]: id-mapped mounts are only for bind mounts (%s)", i,
				      m->destination);
	if (p->tree_fd < 0)
		return cell_error_set(
		    err, ENOTSUP,
		    "mounts[%zu]: an id-mapped mount needs a privileged runtime and the new "
		    "mount API (open_tree, mount_setattr)",
		    i);
	const struct oci_linux *l = &c->linux_;
	struct oci_id_mapping *uids = m->uid_mappings, *gids = m->gid_mappings;
	size_t nu = m->n_uid_mappings, ng = m->n_gid_mappings;
	_cleanup_free_ struct oci_id_mapping *pu = NULL, *pg = NULL;
	int r;
	if (!nu && !ng && p->idmap_value) {
		char where[64];
		snprintf(where, sizeof(where), "mounts[%zu].options", i);
		if ((r = userns_parse_idmap_option(p->idmap_value, l, &pu, &nu, &pg, &ng, where, err)) < 0)
			return r;
		uids = pu;
		gids = pg;
	} else if (!nu && !ng) {
		/* Plain "idmap": the file system's ids as the container's own. */
		if (!l->n_uid_mappings)
			return cell_error_set(
			    err, EINVAL,
			    "mounts[%zu]: \"idmap\" without uidMappings needs the container's own "
			    "linux.uidMappings",
			    i);
		uids = l->uid_mappings;
		nu = l->n_uid_mappings;
		gids = l->gid_mappings;
		ng = l->n_gid_mappings;
	}
	_cleanup_close_ int userns = -EBADF;
	if ((r = userns_open_mapped(uids, nu, gids, ng, &userns, err)) < 0)
		return cell_error_prefix(err, "mounts[%zu]", i);
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns};
	unsigned flags = AT_EMPTY_PATH | (p->ridmap ? AT_RECURSIVE : 0);
	if (syscall(SYS_mount_setattr, p->tree_fd, "", flags, &attr, sizeof(attr)) < 0) {
		if (errno == EINVAL)
			return cell_error_set(
			    err, EINVAL, "mounts[%zu]: %s: the file system does not support id-mapped mounts",
			    i, m->source);
		return cell_error_errno(err, errno, "mounts[%zu]: id-map %s", i, m->source);
	}
	return 0;
}

/* Classic MS_* flags for the attributes, for mount(2). */
static unsigned long attrs_to_ms(uint64_t a)
{
	unsigned long f = 0;
	if (a & MOUNT_ATTR_RDONLY)
		f |= MS_RDONLY;
	if (a & MOUNT_ATTR_NOSUID)
		f |= MS_NOSUID;
	if (a & MOUNT_ATTR_NODEV)
		f |= MS_NODEV;
	if (a & MOUNT_ATTR_NOEXEC)
		f |= MS_NOEXEC;
	if (a & MOUNT_ATTR_NODIRATIME)
		f |= MS_NODIRATIME;
	if (a & MOUNT_ATTR_NOSYMFOLLOW)
		f |= MS_NOSYMFOLLOW;
	switch (a & MOUNT_ATTR__ATIME) {
	case MOUNT_ATTR_NOATIME:
		f |= MS_NOATIME;
		break;
	case MOUNT_ATTR_STRICTATIME:
		f |= MS_STRICTATIME;
		break;
	default:
		break;
	}
	return f;
}

int mount_setattr_fd(int fd, bool rec, uint64_t set, uint64_t clr, unsigned long propagation)
{
	if (!set && !clr && !propagation)
		return 0;
	if (mount_have_new_api()) {
		struct mount_attr attr = {
		    .attr_set = set, .attr_clr = clr, .propagation = propagation & ~(unsigned long)MS_REC};
		unsigned flags = AT_EMPTY_PATH | ((rec || (propagation & MS_REC)) ? AT_RECURSIVE : 0);
		if (syscall(SYS_mount_setattr, fd, "", flags, &attr, sizeof(attr)) < 0)
			return -errno;
		return 0;
	}
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (set || clr) {
		/* A remount must restate every flag it keeps: start from the
		 * current ones, so that locked flags of a mount made in another
		 * user namespace stay (the kernel refuses to drop them). */
		struct statvfs sv;
		if (statvfs(proc, &sv) < 0)
			return -errno;
		unsigned long cur = 0;
		if (sv.f_flag & ST_RDONLY)
			cur |= MS_RDONLY;
		if (sv.f_flag & ST_NOSUID)
			cur |= MS_NOSUID;
		if (sv.f_flag & ST_NODEV)
			cur |= MS_NODEV;
		if (sv.f_flag & ST_NOEXEC)
			cur |= MS_NOEXEC;
		if (sv.f_flag & ST_NOATIME)
			cur |= MS_NOATIME;
		if (sv.f_flag & ST_NODIRATIME)
			cur |= MS_NODIRATIME;
		if (sv.f_flag & ST_RELATIME)
			cur |= MS_RELATIME;
		if (clr & MOUNT_ATTR__ATIME)
			cur &= ~(unsigned long)(MS_NOATIME | MS_RELATIME | MS_STRICTATIME);
		unsigned long want =
		    (cur & ~attrs_to_ms(clr & ~(uint64_t)MOUNT_ATTR__ATIME)) | attrs_to_ms(set);
		if (mount(NULL, proc, NULL, MS_BIND | MS_REMOUNT | want | (rec ? MS_REC : 0), NULL) < 0)
			return -errno;
	}
	if (propagation && mount(NULL, proc, NULL, propagation, NULL) < 0)
		return -errno;
	return 0;
}

/* The kernel explains fsconfig() failures in the context's log; fold that
 * into the report. */
static void append_fs_log(int fsfd, struct init_error *e)
{
	char buf[256];
	ssize_t n = read(fsfd, buf, sizeof(buf) - 1);
	if (n <= 2)
		return;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	size_t len = strlen(e->text);
	snprintf(e->text + len, sizeof(e->text) - len, " (%s)", buf + 2);
}

/* Next option of a comma-separated list, in place. Commas inside double
 * quotes belong to the value (SELinux contexts: context="…:s0:c1,c2"), and
 * the quotes go: fsconfig() takes the bare value. */
static char *next_option(char **cursor)
{
	char *start = *cursor, *out = *cursor;
	if (!start || !*start)
		return NULL;
	bool quoted = false;
	char *s = start;
	for (; *s && (quoted || *s != ','); s++) {
		if (*s == '"')
			quoted = !quoted;
		else
			*out++ = *s;
	}
	*cursor = *s ? s + 1 : s;
	*out = '\0';
	return start;
}

static int fs_config_data(int fsfd, const char *data)
{
	if (!data)
		return 0;
	char buf[4096];
	if (strlen(data) >= sizeof(buf))
		return -E2BIG;
	strcpy(buf, data);
	char *cursor = buf;
	for (char *o; (o = next_option(&cursor));) {
		if (!*o)
			continue;
		char *eq = strchr(o, '=');
		int r;
		if (eq) {
			*eq = '\0';
			r = fsconfig(fsfd, FSCONFIG_SET_STRING, o, eq + 1, 0);
		} else {
			r = fsconfig(fsfd, FSCONFIG_SET_FLAG, o, NULL, 0);
		}
		if (r < 0)
			return -errno;
	}
	return 0;
}

/* MS_SILENT is not among them: it only quiets the kernel's log of a failed
 * mount(2), and fsconfig() has no such flag (file systems reject it). */
static const char *const sb_flag_names[][2] = {
    {"sync", (const char *)MS_SYNCHRONOUS},
    {"dirsync", (const char *)MS_DIRSYNC},
    {"lazytime", (const char *)MS_LAZYTIME},
    {"mand", (const char *)MS_MANDLOCK},
};

/* Returns the attached mount's fd, for later changes to it. */
static int fs_mount_new(const char *type, const char *source, uint64_t attrs, unsigned long sb,
			const char *data, int target_fd, const char *what, struct init_error *e)
{
	_cleanup_close_ int fsfd = fsopen(type, FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return init_fail(e, errno, "mount %s on %s: open file system", type, what);
	if (source && *source && fsconfig(fsfd, FSCONFIG_SET_STRING, "source", source, 0) < 0)
		return init_fail(e, errno, "mount %s on %s: source %s", type, what, source);
	for (size_t i = 0; i < ARRAY_SIZE(sb_flag_names); i++)
		if ((sb & (unsigned long)sb_flag_names[i][1]) &&
		    fsconfig(fsfd, FSCONFIG_SET_FLAG, sb_flag_names[i][0], NULL, 0) < 0)
			return init_fail(e, errno, "mount %s on %s: option %s", type, what,
					 sb_flag_names[i][0]);
	int r = fs_config_data(fsfd, data);
	if (r < 0) {
		init_fail(e, r, "mount %s on %s: options \"%s\"", type, what, data);
		append_fs_log(fsfd, e);
		return r;
	}
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		r = init_fail(e, errno, "mount %s on %s", type, what);
		append_fs_log(fsfd, e);
		return r;
	}
	_cleanup_close_ int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, (unsigned)attrs);
	if (mfd < 0)
		return init_fail(e, errno, "mount %s on %s: create mount", type, what);
	if (move_mount(mfd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return init_fail(e, errno, "mount %s on %s: attach", type, what);
	return TAKE_FD(mfd);
}

/* The classic way, for kernels without the new API; returns an O_PATH fd of
 * the new mount. */
static int fs_mount_classic(const char *type, const char *source, uint64_t attrs, unsigned long sb,
			    const char *data, int target_fd, const char *what, struct init_error *e)
{
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", target_fd);
	if (mount(source && *source ? source : type, proc, type, attrs_to_ms(attrs) | sb, data) < 0)
		return init_fail(e, errno, "mount %s on %s", type, what);
	/* The old fd still names the covered directory; the path names the mount. */
	int fd = open(proc, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return init_fail(e, errno, "mount %s on %s: reopen", type, what);
	return fd;
}

static int fs_mount(const char *type, const char *source, uint64_t attrs, unsigned long sb, const char *data,
		    int target_fd, const char *what, struct init_error *e)
{
	if (mount_have_new_api())
		return fs_mount_new(type, source, attrs, sb, data, target_fd, what, e);
	return fs_mount_classic(type, source, attrs, sb, data, target_fd, what, e);
}

int mount_fs_at(const char *type, const char *source, uint64_t attrs, const char *data, int target_fd,
		const char *what, struct init_error *e)
{
	int fd = fs_mount(type, source, attrs, 0, data, target_fd, what, e);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

int mount_bind_at(int src_dirfd, const char *src_path, int target_fd, bool rec, uint64_t attrs,
		  const char *what, struct init_error *e)
{
	const char *shown = *src_path ? src_path : what;
	if (mount_have_new_api()) {
		unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (rec ? AT_RECURSIVE : 0) |
				 (*src_path ? 0 : AT_EMPTY_PATH);
		_cleanup_close_ int tree = (int)syscall(SYS_open_tree, src_dirfd, src_path, flags);
		if (tree < 0)
			return init_fail(e, errno, "bind %s on %s", shown, what);
		if (move_mount(tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
		    0)
			return init_fail(e, errno, "bind %s on %s: attach", shown, what);
		int r = mount_setattr_fd(tree, false, attrs, 0, 0);
		if (r < 0)
			return init_fail(e, r, "bind %s on %s: set flags", shown, what);
		return 0;
	}
	char src[4096], dst[64];
	if (*src_path && (src_path[0] == '/' || src_dirfd == AT_FDCWD))
		snprintf(src, sizeof(src), "%s", src_path);
	else
		snprintf(src, sizeof(src), "/proc/self/fd/%d%s%s", src_dirfd, *src_path ? "/" : "", src_path);
	snprintf(dst, sizeof(dst), "/proc/self/fd/%d", target_fd);
	if (mount(src, dst, NULL, MS_BIND | (rec ? MS_REC : 0), NULL) < 0)
		return init_fail(e, errno, "bind %s on %s", shown, what);
	if (attrs) {
		_cleanup_close_ int fd = open(dst, O_PATH | O_CLOEXEC);
		int r = fd < 0 ? -errno : mount_setattr_fd(fd, false, attrs, 0, 0);
		if (r < 0)
			return init_fail(e, r, "bind %s on %s: set flags", shown, what);
	}
	return 0;
}

/* tmpcopyup: what the image had under a tmpfs mount point shows through it,
 * copied (one level of files, directories and symlinks, recursively). */
static int copy_tree(int from, int to, int depth, struct init_error *e, const char *what)
{
	if (depth > 64)
		return init_fail(e, ELOOP, "tmpcopyup %s: too deep", what);
	int dup = fcntl(from, F_DUPFD_CLOEXEC, 3);
	if (dup < 0)
		return init_fail(e, errno, "tmpcopyup %s", what);
	_cleanup_closedir_ DIR *d = fdopendir(dup);
	if (!d) {
		close(dup);
		return init_fail(e, errno, "tmpcopyup %s", what);
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		struct stat st;
		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
			continue;
		if (fstatat(from, n, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return init_fail(e, errno, "tmpcopyup %s/%s", what, n);
		if (S_ISDIR(st.st_mode)) {
			if (mkdirat(to, n, st.st_mode & 07777) < 0 && errno != EEXIST)
				return init_fail(e, errno, "tmpcopyup %s/%s", what, n);
			_cleanup_close_ int sf =
			    openat(from, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			_cleanup_close_ int tf =
			    openat(to, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sf < 0 || tf < 0)
				return init_fail(e, errno, "tmpcopyup %s/%s", what, n);
			int r = copy_tree(sf, tf, depth + 1, e, what);
			if (r < 0)
				return r;
			fchmod(tf, st.st_mode & 07777);
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t len = readlinkat(from, n, target, sizeof(target) - 1);
			if (len < 0)
				return init_fail(e, errno, "tmpcopyup %s/%s", what, n);
			target[len] = '\0';
			if (symlinkat(target, to, n) < 0 && errno != EEXIST)
				return init_fail(e, errno, "tmpcopyup %s/%s", what, n);
		} else if (S_ISREG(st.st_mode)) {
			_cleanup_close_ int sf = openat(from, n, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			_cleanup_close_ int tf = openat(
			    to, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 07777);
			if (sf < 0 || tf < 0)
				return init_fail(e, errno, "tmpcopyup %s/%s", what, n);
			char buf[65536];
			ssize_t k;
			while ((k = read(sf, buf, sizeof(buf))) > 0)
				if (write(tf, buf, (size_t)k) != k)
					return init_fail(e, errno ? errno : EIO, "tmpcopyup %s/%s", what, n);
			if (k < 0)
				return init_fail(e, errno, "tmpcopyup %s/%s", what, n);
		} else {
			continue; /* devices and fifos are not copied */
		}
		fchownat(to, n, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
	}
	return 0;
}

/* mount(2) onto /proc/self/fd/N mounts onto what the fd names, but the fd,
 * and the magic link, keep naming the covered directory; the new mount is
 * reached by path only. Resolve dest again inside the root and check that it
 * leads to the root of a mount where target was (for a directory: under the
 * same parent). Only kernels without the new mount API come here. */
static int reopen_new_mount(const struct mount_ctx *ctx, const char *dest, int covered, struct init_error *e)
{
	_cleanup_close_ int fd = path_open_in_root(ctx->rootfd, dest, O_PATH, PATH_CREATE_NONE, 0);
	if (fd < 0)
		return init_fail(e, fd, "mount on %s: reopen", dest);
	struct statx now, parent_now, parent_then;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_TYPE, &now) < 0)
		return init_fail(e, errno, "mount on %s: reopen", dest);
	bool moved = (now.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
		     !(now.stx_attributes & STATX_ATTR_MOUNT_ROOT);
	if (!moved && S_ISDIR(now.stx_mode)) {
		if (statx(fd, "..", 0, STATX_INO, &parent_now) < 0 ||
		    statx(covered, "..", 0, STATX_INO, &parent_then) < 0)
			return init_fail(e, errno, "mount on %s: reopen", dest);
		moved = parent_now.stx_ino != parent_then.stx_ino ||
			parent_now.stx_dev_major != parent_then.stx_dev_major ||
			parent_now.stx_dev_minor != parent_then.stx_dev_minor;
	}
	if (moved)
		return init_fail(e, EXDEV, "mount on %s: the path no longer leads to the new mount", dest);
	return TAKE_FD(fd);
}

/* dest inside the root without following any symlink: -ELOOP when one is on
 * the way. */
static int open_no_symlinks(int rootfd, const char *dest)
{
	if (path_have_openat2()) {
		struct open_how how = {
		    .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
		};
		int fd;
		do
			fd = (int)syscall(SYS_openat2, rootfd, dest, &how, sizeof(how));
		while (fd < 0 && (errno == EAGAIN || errno == EINTR));
		if (fd >= 0 || errno != ENOSYS)
			return fd < 0 ? -errno : fd;
	}
	char buf[4096];
	if (strlen(dest) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, dest);
	_cleanup_close_ int dir = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	if (dir < 0)
		return -errno;
	char *save = NULL;
	for (char *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0)
			return -EINVAL; /* refused before we get here; never climb out */
		int fd = openat(dir, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		close(dir);
		dir = fd;
		struct stat st;
		if (fstat(dir, &st) < 0)
			return -errno;
		if (S_ISLNK(st.st_mode))
			return -ELOOP;
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
	}
	return TAKE_FD(dir);
}

/* procfs and sysfs go only on a real directory of the root file system. A
 * symlink on the way (/proc -> a volume) would let the image or a container
 * sharing the volume put the kernel's views where it likes, or a fake /proc
 * where the real one belongs: CVE-2019-16884, CVE-2019-19921,
 * CVE-2023-27561, CVE-2023-28642. */
static int open_real_dir(int rootfd, const char *type, const char *dest, struct init_error *e)
{
	for (const char *s = dest; (s = strstr(s, "..")); s += 2)
		if ((s == dest || s[-1] == '/') && (s[2] == '/' || s[2] == '\0'))
			return init_fail(e, EINVAL, "mount %s on %s: \"..\" in the destination", type, dest);
	int fd = open_no_symlinks(rootfd, dest);
	if (fd == -ENOENT) {
		_cleanup_close_ int made =
		    path_open_in_root(rootfd, dest, O_PATH | O_DIRECTORY, PATH_CREATE_DIRS, 0755);
		if (made < 0)
			return init_fail(e, made, "mount %s on %s: create mount point", type, dest);
		fd = open_no_symlinks(rootfd, dest);
	}
	if (fd == -ELOOP)
		return init_fail(e, ELOOP,
				 "mount %s on %s: the destination is, or lies under, a symlink in the root "
				 "file system; %s goes only on a real directory",
				 type, dest, type);
	if (fd < 0)
		return init_fail(e, fd, "mount %s on %s: open mount point", type, dest);
	return fd;
}

static bool needs_real_dir(const char *type)
{
	return strcmp(type, "proc") == 0 || strcmp(type, "sysfs") == 0;
}

static int apply_fs(const struct mount_plan *p, const struct mount_ctx *ctx, struct init_error *e)
{
	const char *dest = p->destination;
	_cleanup_close_ int target =
	    needs_real_dir(p->type)
		? open_real_dir(ctx->rootfd, p->type, dest, e)
		: path_open_in_root(ctx->rootfd, dest, O_PATH | O_DIRECTORY, PATH_CREATE_DIRS, 0755);
	if (target < 0 && needs_real_dir(p->type))
		return target;
	if (target < 0)
		return init_fail(e, target, "mount %s on %s: create mount point", p->type, dest);

	const char *data = p->data;
	char labelled[4096];
	if (ctx->mount_label && lsm_type_takes_mount_label(p->type) &&
	    !(data = lsm_mount_data(p->data, ctx->mount_label, labelled, sizeof(labelled))))
		return init_fail(e, E2BIG, "mount %s on %s: options with linux.mountLabel", p->type, dest);

	_cleanup_close_ int below = -EBADF;
	if (p->tmpcopyup) {
		below = path_open_in_root(ctx->rootfd, dest, O_RDONLY | O_DIRECTORY, PATH_CREATE_NONE, 0);
		if (below < 0)
			return init_fail(e, below, "tmpcopyup %s", dest);
	}

	_cleanup_close_ int mfd =
	    fs_mount(p->type, p->source, p->attr_set, p->sb_flags, data, target, dest, e);
	if (mfd < 0 && ctx->in_userns && -mfd == EPERM) {
		/* Inside a user namespace the kernel refuses sysfs without our own
		 * network namespace and mqueue without our own ipc namespace: show
		 * the host's, read-only where asked, as runc does. */
		const char *host = strcmp(p->type, "sysfs") == 0    ? "/sys"
				   : strcmp(p->type, "mqueue") == 0 ? "/dev/mqueue"
								    : NULL;
		if (host)
			return mount_bind_at(AT_FDCWD, host, target, true, p->attr_set, dest, e);
	}
	if (mfd < 0)
		return mfd;
	if (!mount_have_new_api()) {
		close(mfd);
		if ((mfd = reopen_new_mount(ctx, dest, target, e)) < 0)
			return mfd;
	}
	int r = mount_setattr_fd(mfd, true, p->rattr_set, p->rattr_clr, 0);
	if (r == 0)
		r = mount_setattr_fd(mfd, false, 0, 0, p->propagation);
	if (r < 0)
		return init_fail(e, r, "mount %s on %s: set flags", p->type, dest);
	if (below >= 0) {
		_cleanup_close_ int top =
		    path_open_in_root(ctx->rootfd, dest, O_RDONLY | O_DIRECTORY, PATH_CREATE_NONE, 0);
		if (top < 0)
			return init_fail(e, top, "tmpcopyup %s", dest);
		r = copy_tree(below, top, 0, e, dest);
		if (r < 0)
			return r;
	}
	return 0;
}

static int apply_bind(const struct mount_plan *p, const struct mount_ctx *ctx, struct init_error *e)
{
	const char *dest = p->destination;
	_cleanup_close_ int target = path_open_in_root(ctx->rootfd, dest, O_PATH,
						       p->source_is_dir ? PATH_CREATE_DIRS : PATH_CREATE_FILE,
						       p->source_is_dir ? 0755 : 0644);
	if (target < 0)
		return init_fail(e, target, "bind %s on %s: create mount point", p->source, dest);

	int mnt = p->tree_fd;
	_cleanup_close_ int classic = -EBADF, tree = -EBADF;
	if (mnt < 0 && mount_have_new_api()) {
		unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (p->recursive ? AT_RECURSIVE : 0);
		tree = (int)syscall(SYS_open_tree, AT_FDCWD, p->source_abs, flags);
		if (tree < 0)
			return init_fail(e, errno, "bind %s on %s", p->source, dest);
		mnt = tree;
	}
	if (mnt >= 0) {
		if (move_mount(mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			return init_fail(e, errno, "bind %s on %s", p->source, dest);
	} else {
		char proc[64];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", target);
		if (mount(p->source_abs, proc, NULL, MS_BIND | (p->recursive ? MS_REC : 0), NULL) < 0)
			return init_fail(e, errno, "bind %s on %s", p->source, dest);
		classic = reopen_new_mount(ctx, dest, target, e);
		if (classic < 0)
			return classic;
		mnt = classic;
	}
	/* Never share mount events with the host unless asked to. */
	int r = mount_setattr_fd(mnt, false, 0, 0, p->propagation ? p->propagation : ctx->bind_propagation);
	if (r == 0)
		r = mount_setattr_fd(mnt, false, p->attr_set, p->attr_clr, 0);
	if (r == 0)
		r = mount_setattr_fd(mnt, true, p->rattr_set, p->rattr_clr, 0);
	if (r < 0)
		return init_fail(e, r, "bind %s on %s: set flags", p->source, dest);
	return 0;
}

/* One hierarchy under the cgroup mount point dirfd: a fresh cgroup file
 * system inside our cgroup namespace, or a bind of our cgroup directory. */
static int mount_one_hierarchy(const struct cgroup_mount_source *s, int dirfd, const char *what,
			       uint64_t attrs, bool fresh, struct init_error *e)
{
	if (!fresh)
		return mount_bind_at(AT_FDCWD, s->host_dir, dirfd, false, attrs, what, e);
	return mount_fs_at(s->unified ? "cgroup2" : "cgroup", "cgroup", attrs,
			   s->unified ? NULL : s->controllers, dirfd, what, e);
}

static int apply_cgroup(const struct mount_plan *p, const struct mount_ctx *ctx, struct init_error *e)
{
	const struct cgroup_mount_info *cg = ctx->cg;
	const char *dest = p->destination;
	/* Read-only unless the config says rw. */
	uint64_t attrs = (p->attr_set | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (!(p->attr_clr & MOUNT_ATTR_RDONLY) || (p->attr_set & MOUNT_ATTR_RDONLY))
		attrs |= MOUNT_ATTR_RDONLY;
	bool fresh = ctx->cgroupns;
	_cleanup_close_ int target =
	    path_open_in_root(ctx->rootfd, dest, O_PATH | O_DIRECTORY, PATH_CREATE_DIRS, 0755);
	if (target < 0)
		return init_fail(e, target, "mount cgroup on %s: create mount point", dest);
	if (!cg || cg->n_sources == 0)
		return 0;
	if (cg->v2_only)
		return mount_one_hierarchy(&cg->sources[0], target, dest, attrs, fresh, e);

	/* v1 and hybrid: a tmpfs holding one directory per hierarchy. */
	int r = mount_fs_at("tmpfs", "tmpfs", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
			    "mode=755", target, dest, e);
	if (r < 0)
		return r;
	_cleanup_close_ int tmpfs =
	    path_open_in_root(ctx->rootfd, dest, O_RDONLY | O_DIRECTORY, PATH_CREATE_NONE, 0);
	if (tmpfs < 0)
		return init_fail(e, tmpfs, "mount cgroup on %s", dest);
	for (size_t i = 0; i < cg->n_sources; i++) {
		const struct cgroup_mount_source *s = &cg->sources[i];
		const char *name = s->unified ? "unified" : s->name;
		char what[512];
		snprintf(what, sizeof(what), "%s/%s", dest, name);
		if (mkdirat(tmpfs, name, 0755) < 0 && errno != EEXIST)
			return init_fail(e, errno, "mount cgroup: create %s", what);
		_cleanup_close_ int sub = openat(tmpfs, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			return init_fail(e, errno, "mount cgroup: open %s", what);
		r = mount_one_hierarchy(s, sub, what, attrs, fresh, e);
		if (r < 0)
			return r;
		/* "cpu,cpuacct" is also reachable as "cpu" and "cpuacct". */
		if (strchr(name, ',')) {
			char list[256];
			snprintf(list, sizeof(list), "%s", name);
			char *save = NULL;
			for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
				if (symlinkat(name, tmpfs, t) < 0 && errno != EEXIST)
					return init_fail(e, errno, "mount cgroup: link %s/%s", dest, t);
		}
	}
	if (attrs & MOUNT_ATTR_RDONLY) {
		_cleanup_close_ int top =
		    path_open_in_root(ctx->rootfd, dest, O_PATH | O_DIRECTORY, PATH_CREATE_NONE, 0);
		r = top < 0 ? top : mount_setattr_fd(top, false, MOUNT_ATTR_RDONLY, 0, 0);
		if (r < 0)
			return init_fail(e, r, "mount cgroup on %s: make read-only", dest);
	}
	return 0;
}

int mount_plan_apply(const struct mount_plan *p, const struct mount_ctx *ctx, struct init_error *e)
{
	switch (p->kind) {
	case MOUNT_KIND_FS:
		return apply_fs(p, ctx, e);
	case MOUNT_KIND_BIND:
		return apply_bind(p, ctx, e);
	case MOUNT_KIND_CGROUP:
		return apply_cgroup(p, ctx, e);
	default:
		return init_fail(e, EINVAL, "mount on %s: unknown kind", p->destination);
	}
}
