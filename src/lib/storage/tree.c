#include "tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <isa-l/crc64.h>
#include <limits.h>
#include <linux/fs.h>
#include <search.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/file.h"

#define MAX_DEPTH 512
#define BUF_SIZE  (1 << 20)

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* xattr names and values of an object, sorted by name, as "name=hex;". */
static int xattr_text(int fd, int parent, const char *base, char **out)
{
	char proc[PATH_MAX];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", parent, base);
	ssize_t len = fd >= 0 ? flistxattr(fd, NULL, 0) : llistxattr(proc, NULL, 0);
	*out = NULL;
	if (len < 0)
		return errno == ENOTSUP ? 0 : -errno;
	if (len == 0)
		return 0;
	_cleanup_free_ char *list = malloc((size_t)len);
	if (!list)
		return -ENOMEM;
	len = fd >= 0 ? flistxattr(fd, list, (size_t)len) : llistxattr(proc, list, (size_t)len);
	if (len < 0)
		return -errno;
	char *names[256];
	size_t n = 0;
	for (char *p = list; p < list + len && n < 256; p += strlen(p) + 1)
		names[n++] = p;
	qsort(names, n, sizeof(char *), cmp_names);
	size_t cap = 256, o = 0;
	_cleanup_free_ char *text = malloc(cap);
	if (!text)
		return -ENOMEM;
	text[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		unsigned char val[4096];
		ssize_t vl = fd >= 0 ? fgetxattr(fd, names[i], val, sizeof(val))
				     : lgetxattr(proc, names[i], val, sizeof(val));
		if (vl < 0)
			return -errno;
		size_t need = o + strlen(names[i]) + 2 * (size_t)vl + 3;
		if (need > cap) {
			cap = need * 2;
			char *nt = realloc(text, cap);
			if (!nt)
				return -ENOMEM;
			text = nt;
		}
		o += (size_t)sprintf(text + o, "%s=", names[i]);
		for (ssize_t k = 0; k < vl; k++)
			o += (size_t)sprintf(text + o, "%02x", val[k]);
		text[o++] = ';';
		text[o] = '\0';
	}
	*out = TAKE_PTR(text);
	return 0;
}

struct inode_seen {
	dev_t dev;
	ino_t ino;
	char digest[DIGEST_BUF];
};

static int cmp_inode(const void *a, const void *b)
{
	const struct inode_seen *x = a, *y = b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

int tree_content_cmp(const void *a, const void *b)
{
	const struct tree_content *x = a, *y = b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

void tree_content_free(void *root)
{
	tdestroy(root, free);
}

const char *tree_sum_name(enum tree_sum sum)
{
	return sum == TREE_SUM_CRC64 ? "crc64" : "sha256";
}

int tree_sum_from_name(const char *name, enum tree_sum *out)
{
	if (strcmp(name, "sha256") == 0)
		*out = TREE_SUM_SHA256;
	else if (strcmp(name, "crc64") == 0)
		*out = TREE_SUM_CRC64;
	else
		return -EINVAL;
	return 0;
}

int tree_file_sum_init(struct tree_file_sum *f, enum tree_sum kind)
{
	*f = (struct tree_file_sum){.kind = kind};
	if (kind == TREE_SUM_SHA256 && !(f->sha = sha256_new()))
		return -ENOMEM;
	return 0;
}

void tree_file_sum_update(struct tree_file_sum *f, const void *buf, size_t len)
{
	if (f->kind == TREE_SUM_CRC64)
		f->crc = crc64_ecma_refl(f->crc, buf, (uint64_t)len);
	else
		sha256_update(f->sha, buf, len);
}

void tree_file_sum_final(struct tree_file_sum *f, char *out)
{
	if (f->kind == TREE_SUM_CRC64)
		snprintf(out, DIGEST_BUF, "crc64:%016" PRIx64, f->crc);
	else
		sha256_final(f->sha, out);
	f->crc = 0;
}

void tree_file_sum_clear(struct tree_file_sum *f)
{
	sha256_free(f->sha);
	f->sha = NULL;
}

struct summarizer {
	struct sha256 *tree;
	struct tree_file_sum file;
	unsigned char *buf;
	const void *known;
	void *inodes;
	struct tree_summary *out;
	const char *what;
};

static int hash_file(struct summarizer *s, int fd, char *digest)
{
	for (;;) {
		ssize_t n = read(fd, s->buf, BUF_SIZE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		tree_file_sum_update(&s->file, s->buf, (size_t)n);
	}
	tree_file_sum_final(&s->file, digest);
	return 0;
}

static int summarize_dir(struct summarizer *s, int dfd, char *path, size_t plen, int depth, cell_error **err)
{
	if (depth > MAX_DEPTH)
		return cell_error_set(err, ELOOP, "%s: %s: too deep", s->what, path);
	char **names = NULL;
	size_t n = 0;
	/* sorted: a digest must not depend on the order readdir() gives */
	int r = dir_names(dfd, NULL, NULL, true, &names, &n);
	if (r < 0)
		return cell_error_errno(err, -r, "%s: read directory /%s", s->what, path);
	for (size_t i = 0; i < n && r == 0; i++) {
		const char *name = names[i];
		size_t nlen = strlen(name);
		if (plen + nlen + 2 >= PATH_MAX) {
			r = cell_error_set(err, ENAMETOOLONG, "%s: %s/%s: path too long", s->what, path,
					   name);
			break;
		}
		size_t sub = plen;
		if (plen)
			path[sub++] = '/';
		memcpy(path + sub, name, nlen + 1);
		size_t sublen = sub + nlen;

		struct stat st;
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = cell_error_errno(err, errno, "%s: stat /%s", s->what, path);
			break;
		}
		char extra[PATH_MAX + DIGEST_BUF] = "";
		_cleanup_close_ int fd = -EBADF;
		if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
			fd = openat(dfd, name,
				    O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
					(S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
			if (fd < 0) {
				r = cell_error_errno(err, errno, "%s: open /%s", s->what, path);
				break;
			}
		}
		if (S_ISREG(st.st_mode)) {
			struct inode_seen key = {.dev = st.st_dev, .ino = st.st_ino};
			struct inode_seen **found =
			    st.st_nlink > 1 ? tfind(&key, &s->inodes, cmp_inode) : NULL;
			struct tree_content ckey = {.dev = st.st_dev, .ino = st.st_ino};
			struct tree_content **known =
			    s->known ? tfind(&ckey, (void *const *)&s->known, tree_content_cmp) : NULL;
			if (found) {
				snprintf(extra, sizeof(extra), "%s", (*found)->digest);
			} else {
				r = known ? (snprintf(extra, sizeof(extra), "%s", (*known)->digest), 0)
					  : hash_file(s, fd, extra);
				if (r < 0) {
					r = cell_error_errno(err, -r, "%s: read /%s", s->what, path);
					break;
				}
				s->out->size += (uint64_t)st.st_size;
				if (st.st_nlink > 1) {
					struct inode_seen *rec = malloc(sizeof(*rec));
					if (!rec || !tsearch(rec, &s->inodes, cmp_inode)) {
						free(rec);
						r = cell_error_set(err, ENOMEM, "out of memory");
						break;
					}
					*rec = key;
					memcpy(rec->digest, extra, DIGEST_BUF);
				}
			}
		} else if (S_ISLNK(st.st_mode)) {
			ssize_t l = readlinkat(dfd, name, extra, sizeof(extra) - 1);
			if (l < 0) {
				r = cell_error_errno(err, errno, "%s: readlink /%s", s->what, path);
				break;
			}
			extra[l] = '\0';
		}
		_cleanup_free_ char *xattrs = NULL;
		r = xattr_text(fd, dfd, name, &xattrs);
		if (r < 0) {
			r = cell_error_errno(err, -r, "%s: xattrs of /%s", s->what, path);
			break;
		}
		char head[256];
		int hl = snprintf(head, sizeof(head), "%o %u %u %lld %u:%u", (unsigned)st.st_mode,
				  (unsigned)st.st_uid, (unsigned)st.st_gid,
				  S_ISREG(st.st_mode) ? (long long)st.st_size : 0LL,
				  S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? major(st.st_rdev) : 0,
				  S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? minor(st.st_rdev) : 0);
		sha256_update(s->tree, path, sublen + 1);
		sha256_update(s->tree, head, (size_t)hl + 1);
		sha256_update(s->tree, extra, strlen(extra) + 1);
		if (xattrs)
			sha256_update(s->tree, xattrs, strlen(xattrs));
		sha256_update(s->tree, "\n", 1);
		s->out->entries++;
		if (S_ISDIR(st.st_mode))
			r = summarize_dir(s, fd, path, sublen, depth + 1, err);
		path[plen] = '\0';
	}
	free_names(names, n);
	return r;
}

int tree_summarize(int dirfd, const char *what, enum tree_sum sum, const void *known,
		   struct tree_summary *out, cell_error **err)
{
	struct summarizer s = {.out = out, .what = what, .known = known};
	memset(out, 0, sizeof(*out));
	out->content = sum;
	s.tree = sha256_new();
	s.buf = malloc(BUF_SIZE);
	int r;
	if (!s.tree || tree_file_sum_init(&s.file, sum) < 0 || !s.buf) {
		r = cell_error_set(err, ENOMEM, "out of memory");
	} else {
		char path[PATH_MAX] = "";
		r = summarize_dir(&s, dirfd, path, 0, 0, err);
		if (r == 0)
			sha256_final(s.tree, out->digest);
	}
	tdestroy(s.inodes, free);
	sha256_free(s.tree);
	tree_file_sum_clear(&s.file);
	free(s.buf);
	return r;
}

/* Copying. */

struct inode_path {
	dev_t dev;
	ino_t ino;
	char *path; /* where the first link was made, relative to the copy's top */
};

static int cmp_inode_path(const void *a, const void *b)
{
	const struct inode_path *x = a, *y = b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

static void free_inode_path(void *p)
{
	struct inode_path *ip = p;
	free(ip->path);
	free(ip);
}

struct copier {
	int dst_top;
	void *links;
	bool chown;
	const char *what;
};

static int copy_xattrs(int sfd, int dfd, int sparent, int dparent, const char *name)
{
	char sp[PATH_MAX], dp[PATH_MAX];
	snprintf(sp, sizeof(sp), "/proc/self/fd/%d/%s", sparent, name);
	snprintf(dp, sizeof(dp), "/proc/self/fd/%d/%s", dparent, name);
	char list[8192];
	ssize_t len = sfd >= 0 ? flistxattr(sfd, list, sizeof(list)) : llistxattr(sp, list, sizeof(list));
	if (len < 0)
		return errno == ENOTSUP ? 0 : -errno;
	for (char *p = list; p < list + len; p += strlen(p) + 1) {
		unsigned char val[65536];
		ssize_t vl =
		    sfd >= 0 ? fgetxattr(sfd, p, val, sizeof(val)) : lgetxattr(sp, p, val, sizeof(val));
		if (vl < 0)
			return -errno;
		int r =
		    dfd >= 0 ? fsetxattr(dfd, p, val, (size_t)vl, 0) : lsetxattr(dp, p, val, (size_t)vl, 0);
		if (r < 0)
			return -errno;
	}
	return 0;
}

static int copy_data(int in, int out)
{
	if (ioctl(out, FICLONE, in) == 0)
		return 0;
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != ENOSYS && errno != EOPNOTSUPP && errno != EINVAL)
			return -errno;
		break;
	}
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		for (ssize_t o = 0; o < n;) {
			ssize_t w = write(out, buf + o, (size_t)(n - o));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return -errno;
			o += w;
		}
	}
}

static int copy_dir(struct copier *c, int sdir, int ddir, char *path, size_t plen, int depth,
		    cell_error **err);

static int copy_entry(struct copier *c, int sdir, int ddir, const char *name, char *path, size_t plen,
		      int depth, cell_error **err)
{
	struct stat st;
	if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cell_error_errno(err, errno, "%s: stat /%s", c->what, path);
	struct timespec times[2] = {st.st_atim, st.st_mtim};
	_cleanup_close_ int sfd = -EBADF, dfd = -EBADF;
	int r;

	if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
		struct inode_path key = {.dev = st.st_dev, .ino = st.st_ino};
		struct inode_path **found = tfind(&key, &c->links, cmp_inode_path);
		if (found) {
			if (linkat(c->dst_top, (*found)->path, ddir, name, 0) < 0)
				return cell_error_errno(err, errno, "%s: link /%s", c->what, path);
			return 0;
		}
		struct inode_path *rec = calloc(1, sizeof(*rec));
		if (!rec || !(rec->path = strdup(path)) || !tsearch(rec, &c->links, cmp_inode_path)) {
			if (rec)
				free(rec->path);
			free(rec);
			return cell_error_set(err, ENOMEM, "out of memory");
		}
		rec->dev = st.st_dev;
		rec->ino = st.st_ino;
	}

	if (S_ISREG(st.st_mode)) {
		sfd = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		dfd = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (sfd < 0 || dfd < 0)
			return cell_error_errno(err, errno, "%s: open /%s", c->what, path);
		r = copy_data(sfd, dfd);
		if (r < 0)
			return cell_error_errno(err, -r, "%s: copy /%s", c->what, path);
	} else if (S_ISDIR(st.st_mode)) {
		if (mkdirat(ddir, name, 0700) < 0)
			return cell_error_errno(err, errno, "%s: mkdir /%s", c->what, path);
		sfd = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		dfd = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0 || dfd < 0)
			return cell_error_errno(err, errno, "%s: open /%s", c->what, path);
		r = copy_dir(c, sfd, dfd, path, plen, depth + 1, err);
		if (r < 0)
			return r;
	} else if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t l = readlinkat(sdir, name, target, sizeof(target) - 1);
		if (l < 0)
			return cell_error_errno(err, errno, "%s: readlink /%s", c->what, path);
		target[l] = '\0';
		if (symlinkat(target, ddir, name) < 0)
			return cell_error_errno(err, errno, "%s: symlink /%s", c->what, path);
	} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
		if (mknodat(ddir, name, (st.st_mode & S_IFMT) | 0600, st.st_rdev) < 0)
			return cell_error_errno(err, errno, "%s: mknod /%s", c->what, path);
	} else {
		return 0; /* sockets are not content */
	}

	if (c->chown) {
		r = dfd >= 0 ? fchown(dfd, st.st_uid, st.st_gid)
			     : fchownat(ddir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
		if (r < 0)
			return cell_error_errno(err, errno, "%s: chown /%s", c->what, path);
	}
	if (!S_ISLNK(st.st_mode)) {
		r = dfd >= 0 ? fchmod(dfd, st.st_mode & 07777) : fchmodat(ddir, name, st.st_mode & 07777, 0);
		if (r < 0)
			return cell_error_errno(err, errno, "%s: chmod /%s", c->what, path);
	}
	r = copy_xattrs(sfd, dfd, sdir, ddir, name);
	if (r < 0 && !(S_ISLNK(st.st_mode) && (r == -EPERM || r == -ENOTSUP)))
		return cell_error_errno(err, -r, "%s: copy xattrs of /%s", c->what, path);
	r = dfd >= 0 ? futimens(dfd, times) : utimensat(ddir, name, times, AT_SYMLINK_NOFOLLOW);
	if (r < 0)
		return cell_error_errno(err, errno, "%s: set times of /%s", c->what, path);
	return 0;
}

static int copy_dir(struct copier *c, int sdir, int ddir, char *path, size_t plen, int depth,
		    cell_error **err)
{
	if (depth > MAX_DEPTH)
		return cell_error_set(err, ELOOP, "%s: /%s: too deep", c->what, path);
	char **names = NULL;
	size_t n = 0;
	int r = dir_names(sdir, NULL, NULL, true, &names, &n);
	if (r < 0)
		return cell_error_errno(err, -r, "%s: read directory /%s", c->what, path);
	for (size_t i = 0; i < n && r == 0; i++) {
		size_t nlen = strlen(names[i]);
		if (plen + nlen + 2 >= PATH_MAX) {
			r = cell_error_set(err, ENAMETOOLONG, "%s: /%s/%s: path too long", c->what, path,
					   names[i]);
			break;
		}
		size_t sub = plen;
		if (plen)
			path[sub++] = '/';
		memcpy(path + sub, names[i], nlen + 1);
		r = copy_entry(c, sdir, ddir, names[i], path, sub + nlen, depth, err);
		path[plen] = '\0';
	}
	free_names(names, n);
	return r;
}

int tree_copy(int src_fd, int dst_fd, const char *what, cell_error **err)
{
	struct copier c = {.dst_top = dst_fd, .chown = geteuid() == 0, .what = what};
	char path[PATH_MAX] = "";
	int r = copy_dir(&c, src_fd, dst_fd, path, 0, 0, err);
	tdestroy(c.links, free_inode_path);
	return r;
}
