#include "unpack.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/file.h"
#include "base/log.h"
#include "base/path.h"
#include "dynlib/archive.h"
#include "stream.h"
#include "tree.h"

#define WHITEOUT_PREFIX ".wh."
#define OPAQUE_MARKER   ".wh..wh..opq"
/* With direct I/O: files from this size go around the page cache, in
 * aligned chunks of this size. */
#define DIRECT_MIN   (64 << 10)
#define DIRECT_CHUNK (1 << 20)
#define DIRECT_ALIGN 4096

/* A directory whose times are set after its children are in place. */
struct dir_time {
	char *path;
	struct timespec times[2];
};

struct unpacker {
	const struct unpack_options *o;
	int dest;
	struct archive *ar;
	struct layer_stream *stream;
	cell_error *stream_err;
	void *created; /* tsearch set of paths this layer made (WHITEOUT_DELETE) */
	struct dir_time *dirs;
	size_t n_dirs, cap_dirs;
	struct tree_file_sum content; /* with hash_contents */
	void *contents;
	unsigned char *stage; /* with direct_io: aligned chunk of the file being written */
	bool no_direct;       /* the file system refused O_DIRECT */
};

void unpack_result_clear(struct unpack_result *res)
{
	tree_content_free(res->contents);
	res->contents = NULL;
}

static la_ssize_t read_cb(struct archive *a, void *data, const void **buf)
{
	struct unpacker *u = data;
	ssize_t n = layer_stream_read(u->stream, buf, &u->stream_err);
	if (n < 0) {
		archive_set_error(a, EBADMSG, "%s", u->stream_err ? u->stream_err->msg : "read error");
		return -1;
	}
	return n;
}

/* Names in messages: control characters would let a tar paint the terminal. */
static void printable(const char *in, char *out, size_t len)
{
	size_t o = 0;
	for (; *in && o + 1 < len; in++)
		out[o++] = ((unsigned char)*in < 0x20 || *in == 0x7f) ? '?' : *in;
	out[o] = '\0';
}

static int entry_error(struct unpacker *u, int code, const char *name, const char *why, cell_error **err)
{
	char shown[512];
	printable(name, shown, sizeof(shown));
	return cell_error_set(err, code, "%s: entry \"%s\": %s", u->o->what, shown, why);
}

static int entry_errno(struct unpacker *u, int code, const char *name, const char *what, cell_error **err)
{
	char shown[512];
	printable(name, shown, sizeof(shown));
	if (code < 0)
		code = -code;
	return cell_error_errno(err, code, "%s: entry \"%s\": %s", u->o->what, shown, what);
}

int unpack_clean_name(const char *name, char *out, size_t len)
{
	if (name[0] == '/')
		return -EXDEV;
	size_t o = 0;
	const char *p = name;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		if (n == 1 && p[0] == '.') {
			p = end;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return -EXDEV;
		if (n > NAME_MAX)
			return -ENAMETOOLONG;
		if (o + n + 2 > len)
			return -ENAMETOOLONG;
		if (o > 0)
			out[o++] = '/';
		memcpy(out + o, p, n);
		o += n;
		p = end;
	}
	out[o] = '\0';
	return o == 0 ? 1 : 0;
}

/* Open (making what is missing, as 0755 directories owned by root) the
 * directory dir below the target; never through a symlink. */
static int open_parent(struct unpacker *u, const char *dir, const char *entry, cell_error **err)
{
	int fd = path_open_beneath(u->dest, dir, O_PATH | O_DIRECTORY);
	if (fd >= 0)
		return fd;
	if (fd == -ELOOP)
		return entry_error(u, ELOOP, entry, "refusing to write through a symlink", err);
	if (fd == -EXDEV)
		return entry_error(u, EXDEV, entry, "path leaves the layer", err);
	if (fd == -ENOTDIR)
		return entry_error(u, ENOTDIR, entry, "a parent is not a directory", err);
	if (fd != -ENOENT)
		return entry_errno(u, fd, entry, "open parent directory", err);

	_cleanup_free_ char *buf = strdup(dir);
	if (!buf)
		return cell_error_set(err, ENOMEM, "out of memory");
	_cleanup_close_ int cur = fcntl(u->dest, F_DUPFD_CLOEXEC, 3);
	if (cur < 0)
		return entry_errno(u, errno, entry, "dup", err);
	char *save = NULL;
	for (char *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (mkdirat(cur, c, 0755) == 0) {
			if (!u->o->rootless && fchownat(cur, c, 0, 0, AT_SYMLINK_NOFOLLOW) < 0)
				return entry_errno(u, errno, entry, "chown implied directory", err);
		} else if (errno != EEXIST) {
			return entry_errno(u, errno, entry, "create parent directory", err);
		}
		int next = openat(cur, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			if (errno == ENOTDIR || errno == ELOOP)
				return entry_error(u, ELOOP, entry,
						   "refusing to write through a symlink or non-directory",
						   err);
			return entry_errno(u, errno, entry, "open parent directory", err);
		}
		close(cur);
		cur = next;
	}
	return TAKE_FD(cur);
}

static int remember(struct unpacker *u, const char *path)
{
	if (u->o->whiteouts != WHITEOUT_DELETE)
		return 0;
	char *copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	char **slot = tsearch(copy, &u->created, (int (*)(const void *, const void *))strcmp);
	if (!slot) {
		free(copy);
		return -ENOMEM;
	}
	if (*slot != copy)
		free(copy);
	return 0;
}

static bool created_here(struct unpacker *u, const char *path)
{
	return tfind(path, &u->created, (int (*)(const void *, const void *))strcmp) != NULL;
}

/* Make room for a new entry at parent/base: anything there goes, except a
 * directory that a directory entry re-declares (its content stays). Returns
 * 1 when an existing directory was kept. */
static int clear_slot(struct unpacker *u, int parent, const char *base, bool want_dir, const char *entry,
		      cell_error **err)
{
	struct stat st;
	if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return entry_errno(u, errno, entry, "stat", err);
	}
	if (S_ISDIR(st.st_mode) && want_dir)
		return 1;
	int r = remove_tree_at(parent, base);
	if (r < 0)
		return entry_errno(u, r, entry, "remove what was there", err);
	return 0;
}

static bool reserved_xattr(const char *name)
{
	/* A layer must not speak for the overlay driver: redirect and metacopy
	 * attributes in a lower dir would point overlayfs at other files. */
	return strncmp(name, "trusted.overlay.", 16) == 0 || strncmp(name, "user.overlay.", 13) == 0;
}

/* Apply the entry's xattrs to the object: through fd when we have one, else
 * through the verified parent's /proc/self/fd path (no symlink following for
 * the last component). */
static int apply_xattrs(struct unpacker *u, struct archive_entry *e, int fd, int parent, const char *base,
			const char *entry, cell_error **err)
{
	const char *name;
	const void *value;
	size_t size;
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		if (reserved_xattr(name))
			return entry_error(u, EPERM, entry, "carries a reserved overlay xattr", err);
		int r;
		if (fd >= 0) {
			r = fsetxattr(fd, name, value, size, 0);
		} else {
			char p[PATH_MAX];
			snprintf(p, sizeof(p), "/proc/self/fd/%d/%s", parent, base);
			r = lsetxattr(p, name, value, size, 0);
		}
		if (r < 0) {
			/* user.* cannot go on symlinks or devices; trusted.* needs root. */
			if ((errno == EPERM || errno == ENOTSUP) && (u->o->rootless || fd < 0)) {
				log_debug("%s: entry %s: xattr %s not applied: %s", u->o->what, entry, name,
					  strerror(errno));
				continue;
			}
			char what[300];
			snprintf(what, sizeof(what), "set xattr %s", name);
			return entry_errno(u, errno, entry, what, err);
		}
	}
	return 0;
}

static void entry_times(struct archive_entry *e, struct timespec t[2])
{
	t[1].tv_sec = archive_entry_mtime(e);
	t[1].tv_nsec = archive_entry_mtime_nsec(e);
	if (archive_entry_atime_is_set(e)) {
		t[0].tv_sec = archive_entry_atime(e);
		t[0].tv_nsec = archive_entry_atime_nsec(e);
	} else {
		t[0] = t[1];
	}
}

/* Owner, mode (after the owner: chown clears setuid), xattrs, times. */
static int apply_meta(struct unpacker *u, struct archive_entry *e, int fd, int parent, const char *base,
		      bool is_link, const char *entry, cell_error **err)
{
	if (!u->o->rootless) {
		uid_t uid = (uid_t)archive_entry_uid(e);
		gid_t gid = (gid_t)archive_entry_gid(e);
		int r =
		    fd >= 0 ? fchown(fd, uid, gid) : fchownat(parent, base, uid, gid, AT_SYMLINK_NOFOLLOW);
		if (r < 0)
			return entry_errno(u, errno, entry, "chown", err);
	}
	if (!is_link) {
		mode_t mode = archive_entry_perm(e) & 07777;
		int r = fd >= 0 ? fchmod(fd, mode) : fchmodat(parent, base, mode, 0);
		if (r < 0)
			return entry_errno(u, errno, entry, "chmod", err);
	}
	int r = apply_xattrs(u, e, fd, parent, base, entry, err);
	if (r < 0)
		return r;
	return 0;
}

static int set_times(struct unpacker *u, struct archive_entry *e, int fd, int parent, const char *base,
		     const char *entry, cell_error **err)
{
	struct timespec t[2];
	entry_times(e, t);
	int r = fd >= 0 ? futimens(fd, t) : utimensat(parent, base, t, AT_SYMLINK_NOFOLLOW);
	if (r < 0)
		return entry_errno(u, errno, entry, "set times", err);
	return 0;
}

/* Remember the digest of the file at fd (or forget a stale one of a reused
 * inode number, when digest is NULL). */
static int note_content(struct unpacker *u, int fd, const char *digest)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	struct tree_content key = {.dev = st.st_dev, .ino = st.st_ino};
	struct tree_content **old = tfind(&key, &u->contents, tree_content_cmp);
	if (old) {
		struct tree_content *o = *old;
		tdelete(&key, &u->contents, tree_content_cmp);
		free(o);
	}
	if (!digest)
		return 0;
	struct tree_content *c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	*c = key;
	memcpy(c->digest, digest, DIGEST_BUF);
	if (!tsearch(c, &u->contents, tree_content_cmp)) {
		free(c);
		return -ENOMEM;
	}
	return 0;
}

static int write_at(int fd, const void *buf, size_t len, off_t at)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, at);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		at += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write the staged chunk (whole chunks around the page cache; with last,
 * the unaligned end through it, and direct I/O ends for the file). A file
 * system that refuses O_DIRECT gets everything through the page cache. */
static int stage_flush(struct unpacker *u, int fd, off_t *at, size_t *fill, bool last)
{
	size_t n = last ? *fill & ~(size_t)(DIRECT_ALIGN - 1) : *fill;
	int r = n ? write_at(fd, u->stage, n, *at) : 0;
	if (r == -EINVAL) {
		u->no_direct = true;
		fd_set_direct(fd, false);
		r = write_at(fd, u->stage, n, *at);
	}
	if (r == 0 && last) {
		fd_set_direct(fd, false);
		if (*fill > n)
			r = write_at(fd, u->stage + n, *fill - n, *at + (off_t)n);
	}
	*at += (off_t)*fill;
	*fill = 0;
	return r;
}

/* Direct I/O for this file? Big files only, and only where it works. */
static bool direct_start(struct unpacker *u, int fd, int64_t size)
{
	if (!u->o->direct_io || u->no_direct || size < DIRECT_MIN)
		return false;
	if (!u->stage) {
		void *p = NULL;
		if (posix_memalign(&p, DIRECT_ALIGN, DIRECT_CHUNK) != 0)
			return false;
		u->stage = p;
	}
	if (fd_set_direct(fd, true) < 0) {
		u->no_direct = true;
		return false;
	}
	return true;
}

static int write_content(struct unpacker *u, int fd, struct archive_entry *e, const char *entry,
			 uint64_t *written, cell_error **err)
{
	const void *block;
	size_t size;
	la_int64_t offset;
	int64_t end = 0;
	/* The content hashes as it goes while it comes in order without holes;
	 * a sparse file is left for the summary to read. */
	bool hashing = u->o->hash_contents;
	bool direct = direct_start(u, fd, archive_entry_size(e));
	off_t staged_at = 0;
	size_t fill = 0;
	for (;;) {
		int r = archive_read_data_block(u->ar, &block, &size, &offset);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			if (u->stream_err)
				return cell_error_set(err, u->stream_err->code, "%s", u->stream_err->msg);
			return entry_error(u, EBADMSG, entry, archive_error_string(u->ar), err);
		}
		if (hashing && offset != end)
			hashing = false;
		if (hashing)
			tree_file_sum_update(&u->content, block, size);
		r = 0;
		/* A hole ends direct I/O for the file: chunks must follow each other. */
		if (direct && offset != staged_at + (off_t)fill) {
			r = stage_flush(u, fd, &staged_at, &fill, true);
			direct = false;
		}
		const unsigned char *p = block;
		size_t left = size;
		while (r == 0 && direct && left > 0) {
			size_t n = DIRECT_CHUNK - fill < left ? DIRECT_CHUNK - fill : left;
			memcpy(u->stage + fill, p, n);
			fill += n;
			p += n;
			left -= n;
			if (fill == DIRECT_CHUNK)
				r = stage_flush(u, fd, &staged_at, &fill, false);
		}
		if (r == 0 && !direct)
			r = write_at(fd, p, left, offset + (off_t)(size - left));
		if (r < 0)
			return entry_errno(u, r, entry, "write", err);
		*written += size;
		if (offset + (int64_t)size > end)
			end = offset + (int64_t)size;
	}
	if (direct) {
		int r = stage_flush(u, fd, &staged_at, &fill, true);
		if (r < 0)
			return entry_errno(u, r, entry, "write", err);
	}
	/* Sparse files end in a hole that no block covers. */
	int64_t want = archive_entry_size(e);
	if (want > end && ftruncate(fd, want) < 0)
		return entry_errno(u, errno, entry, "truncate", err);
	if (u->o->hash_contents) {
		char digest[DIGEST_BUF];
		tree_file_sum_final(&u->content, digest);
		if (note_content(u, fd, hashing && want == end ? digest : NULL) < 0)
			return entry_errno(u, errno ? errno : ENOMEM, entry, "remember content digest", err);
	}
	return 0;
}

static int add_dir_time(struct unpacker *u, const char *path, struct archive_entry *e)
{
	if (u->n_dirs == u->cap_dirs) {
		size_t cap = u->cap_dirs ? u->cap_dirs * 2 : 64;
		struct dir_time *d = realloc(u->dirs, cap * sizeof(*d));
		if (!d)
			return -ENOMEM;
		u->dirs = d;
		u->cap_dirs = cap;
	}
	struct dir_time *d = &u->dirs[u->n_dirs];
	d->path = strdup(path);
	if (!d->path)
		return -ENOMEM;
	entry_times(e, d->times);
	u->n_dirs++;
	return 0;
}

static int whiteout(struct unpacker *u, int parent, const char *dir, const char *name, const char *entry,
		    cell_error **err)
{
	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return entry_error(u, EINVAL, entry, "whiteout of an invalid name", err);
	if (u->o->whiteouts == WHITEOUT_DELETE) {
		int r = remove_tree_at(parent, name);
		if (r < 0)
			return entry_errno(u, r, entry, "apply whiteout", err);
		return 0;
	}
	int r = clear_slot(u, parent, name, false, entry, err);
	if (r < 0)
		return r;
	if (mknodat(parent, name, S_IFCHR | 0000, makedev(0, 0)) < 0)
		return entry_errno(u, errno, entry, "create overlay whiteout", err);
	(void)dir;
	return 0;
}

static int opaque(struct unpacker *u, int parent, const char *dir, const char *entry, cell_error **err)
{
	_cleanup_close_ int fd = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return entry_errno(u, errno, entry, "open opaque directory", err);
	if (u->o->whiteouts == WHITEOUT_OVERLAY) {
		const char *attr = u->o->rootless ? "user.overlay.opaque" : "trusted.overlay.opaque";
		if (fsetxattr(fd, attr, "y", 1, 0) < 0)
			return entry_errno(u, errno, entry, "mark directory opaque", err);
		return 0;
	}
	/* Flattened tree: hide what earlier layers put here, keep what this
	 * layer already wrote (the marker may come after its siblings). */
	int dup = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dup < 0)
		return entry_errno(u, errno, entry, "dup", err);
	_cleanup_closedir_ DIR *d = fdopendir(dup);
	if (!d) {
		close(dup);
		return entry_errno(u, errno, entry, "read opaque directory", err);
	}
	struct dirent *de;
	char path[PATH_MAX];
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s%s%s", dir, *dir ? "/" : "", de->d_name);
		if (created_here(u, path))
			continue;
		int r = remove_tree_at(fd, de->d_name);
		if (r < 0)
			return entry_errno(u, r, entry, "apply opaque whiteout", err);
	}
	return 0;
}

static int apply_entry(struct unpacker *u, struct archive_entry *e, uint64_t *content, cell_error **err)
{
	const char *raw = archive_entry_pathname(e);
	if (!raw)
		return cell_error_set(err, EBADMSG, "%s: an entry without a name", u->o->what);
	char path[PATH_MAX];
	int r = unpack_clean_name(raw, path, sizeof(path));
	if (r == -EXDEV)
		return entry_error(u, EXDEV, raw,
				   raw[0] == '/' ? "absolute names are refused" : "\"..\" leaves the layer",
				   err);
	if (r == -ENAMETOOLONG)
		return entry_error(u, ENAMETOOLONG, raw, "name too long", err);
	if (r == 1)
		return 0; /* the top of the tree itself: its directory is ours */

	/* aufs bookkeeping (.wh..wh.plnk/, .wh..wh.aufs) is not content, at
	 * any depth. */
	for (const char *c = path; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL)
		if (strncmp(c, ".wh..wh.", 8) == 0 &&
		    strncmp(c, OPAQUE_MARKER, sizeof(OPAQUE_MARKER) - 1) != 0)
			return 0;

	char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char dir[PATH_MAX];
	if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	else
		strcpy(dir, "");

	_cleanup_close_ int parent = open_parent(u, dir, raw, err);
	if (parent < 0)
		return parent;

	if (strncmp(base, WHITEOUT_PREFIX, sizeof(WHITEOUT_PREFIX) - 1) == 0) {
		if (strcmp(base, OPAQUE_MARKER) == 0)
			return opaque(u, parent, dir, raw, err);
		return whiteout(u, parent, dir, base + sizeof(WHITEOUT_PREFIX) - 1, raw, err);
	}

	const char *hardlink = archive_entry_hardlink(e);
	mode_t type = archive_entry_filetype(e);
	if (hardlink) {
		char target[PATH_MAX];
		r = unpack_clean_name(hardlink, target, sizeof(target));
		if (r != 0)
			return entry_error(u, EXDEV, raw, "hardlink target leaves the layer", err);
		char *tslash = strrchr(target, '/');
		char tdir[PATH_MAX];
		snprintf(tdir, sizeof(tdir), "%.*s", tslash ? (int)(tslash - target) : 0, target);
		const char *tbase = tslash ? tslash + 1 : target;
		_cleanup_close_ int tparent = path_open_beneath(u->dest, tdir, O_PATH | O_DIRECTORY);
		if (tparent == -ELOOP)
			return entry_error(u, ELOOP, raw, "hardlink target goes through a symlink", err);
		if (tparent < 0)
			return entry_errno(u, tparent, raw, "open hardlink target", err);
		struct stat tst;
		if (fstatat(tparent, tbase, &tst, AT_SYMLINK_NOFOLLOW) < 0)
			return entry_errno(u, errno, raw, "hardlink target", err);
		if (S_ISDIR(tst.st_mode))
			return entry_error(u, EPERM, raw, "hardlink to a directory", err);
		if (strcmp(target, path) == 0)
			return 0;
		r = clear_slot(u, parent, base, false, raw, err);
		if (r < 0)
			return r;
		if (linkat(tparent, tbase, parent, base, 0) < 0)
			return entry_errno(u, errno, raw, "hardlink", err);
		return remember(u, path) < 0 ? cell_error_set(err, ENOMEM, "out of memory") : 0;
	}

	r = clear_slot(u, parent, base, type == AE_IFDIR, raw, err);
	if (r < 0)
		return r;
	bool kept_dir = r == 1;

	switch (type) {
	case AE_IFREG: {
		_cleanup_close_ int fd =
		    openat(parent, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return entry_errno(u, errno, raw, "create file", err);
		r = write_content(u, fd, e, raw, content, err);
		if (r == 0)
			r = apply_meta(u, e, fd, parent, base, false, raw, err);
		if (r == 0)
			r = set_times(u, e, fd, parent, base, raw, err);
		if (r < 0)
			return r;
		break;
	}
	case AE_IFDIR: {
		if (!kept_dir && mkdirat(parent, base, 0700) < 0)
			return entry_errno(u, errno, raw, "create directory", err);
		_cleanup_close_ int fd =
		    openat(parent, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return entry_errno(u, errno, raw, "open directory", err);
		r = apply_meta(u, e, fd, parent, base, false, raw, err);
		if (r < 0)
			return r;
		if (add_dir_time(u, path, e) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
		break;
	}
	case AE_IFLNK: {
		const char *target = archive_entry_symlink(e);
		if (!target)
			return entry_error(u, EBADMSG, raw, "symlink without a target", err);
		if (symlinkat(target, parent, base) < 0)
			return entry_errno(u, errno, raw, "create symlink", err);
		r = apply_meta(u, e, -1, parent, base, true, raw, err);
		if (r == 0)
			r = set_times(u, e, -1, parent, base, raw, err);
		if (r < 0)
			return r;
		break;
	}
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO: {
		if (type != AE_IFIFO && u->o->rootless)
			return entry_error(u, EPERM, raw, "device nodes are refused when not running as root",
					   err);
		mode_t kind = type == AE_IFCHR ? S_IFCHR : type == AE_IFBLK ? S_IFBLK : S_IFIFO;
		dev_t dev =
		    type == AE_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
		if (mknodat(parent, base, kind | 0600, dev) < 0)
			return entry_errno(u, errno, raw, "create device node", err);
		r = apply_meta(u, e, -1, parent, base, false, raw, err);
		if (r == 0)
			r = set_times(u, e, -1, parent, base, raw, err);
		if (r < 0)
			return r;
		break;
	}
	default:
		return entry_error(u, EBADMSG, raw, "unsupported entry type", err);
	}
	return remember(u, path) < 0 ? cell_error_set(err, ENOMEM, "out of memory") : 0;
}

/* Directories get their times last, deepest first: creating their children
 * moved them. */
static int finish_dirs(struct unpacker *u, cell_error **err)
{
	for (size_t i = u->n_dirs; i-- > 0;) {
		struct dir_time *d = &u->dirs[i];
		_cleanup_close_ int fd = path_open_beneath(u->dest, d->path, O_RDONLY | O_DIRECTORY);
		if (fd == -ENOENT)
			continue; /* whited out or replaced later in the same layer */
		if (fd == -ENOTDIR || fd == -ELOOP)
			continue;
		if (fd < 0)
			return entry_errno(u, fd, d->path, "open directory", err);
		if (futimens(fd, d->times) < 0)
			return entry_errno(u, errno, d->path, "set times", err);
	}
	return 0;
}

static void unpacker_free(struct unpacker *u)
{
	if (u->ar)
		archive_read_free(u->ar);
	layer_stream_free(u->stream);
	cell_error_free(u->stream_err);
	tdestroy(u->created, free);
	tree_content_free(u->contents);
	tree_file_sum_clear(&u->content);
	free(u->stage);
	for (size_t i = 0; i < u->n_dirs; i++)
		free(u->dirs[i].path);
	free(u->dirs);
}

int layer_unpack(int src_fd, int dest_fd, const struct unpack_options *o, struct unpack_result *res,
		 cell_error **err)
{
	struct unpacker u = {.o = o, .dest = dest_fd};
	res->contents = NULL;
	if (o->hash_contents && tree_file_sum_init(&u.content, o->content_sum) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	int r = layer_stream_open(src_fd, o->what, &u.stream, err);
	if (r < 0) {
		unpacker_free(&u);
		return r;
	}
	if (o->trusted_digest)
		layer_stream_trust(u.stream, o->trusted_digest);
	/* Inflating and hashing go on beside the file system work below: for a
	 * layer of many small files (a distribution's base) they are half of it. */
	if (o->direct_io)
		layer_stream_read_direct(u.stream);
	layer_stream_read_ahead(u.stream);
	u.ar = archive_read_new();
	if (!u.ar) {
		unpacker_free(&u);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	archive_read_support_format_tar(u.ar);
	archive_read_support_format_empty(u.ar);
	if (archive_read_open(u.ar, &u, NULL, read_cb, NULL) != ARCHIVE_OK) {
		r = u.stream_err ? cell_error_set(err, u.stream_err->code, "%s", u.stream_err->msg)
				 : cell_error_set(err, EBADMSG, "%s: not a tar archive: %s", o->what,
						  archive_error_string(u.ar));
		unpacker_free(&u);
		return r;
	}
	uint64_t entries = 0, content = 0;
	for (;;) {
		struct archive_entry *e;
		r = archive_read_next_header(u.ar, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			r = u.stream_err
				? cell_error_set(err, u.stream_err->code, "%s", u.stream_err->msg)
				: cell_error_set(err, EBADMSG, "%s: bad tar header after %llu entries: %s",
						 o->what, (unsigned long long)entries,
						 archive_error_string(u.ar));
			unpacker_free(&u);
			return r;
		}
		r = apply_entry(&u, e, &content, err);
		if (r < 0) {
			unpacker_free(&u);
			return r;
		}
		entries++;
	}
	r = finish_dirs(&u, err);
	if (r == 0)
		r = layer_stream_drain(u.stream, err);
	if (r == 0) {
		snprintf(res->diff_id, sizeof(res->diff_id), "%s", layer_stream_digest(u.stream));
		res->tar_size = layer_stream_size(u.stream);
		res->content_size = content;
		res->entries = entries;
		res->contents = TAKE_PTR(u.contents);
	}
	unpacker_free(&u);
	return r;
}
