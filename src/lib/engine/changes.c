#include "changes.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/file.h"
#include "base/json.h"
#include "base/path.h"
#include "base/strv.h"
#include "container.h"

#define MAX_DEPTH 256

struct collector {
	struct change *v;
	size_t n, cap;
	int *lowers; /* overlay: the image's layers, topmost first */
	size_t n_lowers;
};

static int add(struct collector *c, char kind, const char *path, bool opaque)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct change *v = realloc(c->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	c->v[c->n++] = (struct change){.kind = kind, .path = p, .opaque = opaque};
	return 0;
}

void engine_changes_free(struct change *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].path);
	free(v);
}

static bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(int dfd)
{
	char v[4];
	ssize_t n = fgetxattr(dfd, "trusted.overlay.opaque", v, sizeof(v));
	return n == 1 && v[0] == 'y';
}

/* Does path (relative) exist in the image below the writable layer? */
static bool in_lowers(struct collector *c, const char *path)
{
	_cleanup_free_ char *dir = strdup(path);
	if (!dir)
		return false;
	char *slash = strrchr(dir, '/');
	const char *base = slash ? slash + 1 : dir;
	if (slash)
		*slash = '\0';
	for (size_t i = 0; i < c->n_lowers; i++) {
		_cleanup_close_ int pfd =
		    path_open_beneath(c->lowers[i], slash ? dir : "", O_RDONLY | O_DIRECTORY);
		struct stat st;
		if (pfd >= 0 && fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return !is_whiteout(&st);
		/* A layer that makes the parent opaque hides the rest. */
		if (pfd >= 0 && is_opaque(pfd))
			return false;
	}
	return false;
}

static int walk_upper(struct collector *c, int dfd, char *path, size_t plen, int depth)
{
	if (depth > MAX_DEPTH)
		return -ELOOP;
	_cleanup_strv_ char **names = NULL;
	int r = dir_names(dfd, NULL, NULL, true, &names, NULL);
	if (r < 0)
		return r;
	for (size_t i = 0; names[i]; i++) {
		size_t nl = strlen(names[i]);
		if (plen + nl + 2 >= PATH_MAX)
			return -ENAMETOOLONG;
		path[plen] = '/';
		memcpy(path + plen + 1, names[i], nl + 1);
		struct stat st;
		if (fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (is_whiteout(&st)) {
			if ((r = add(c, 'D', path, false)) < 0)
				return r;
			continue;
		}
		bool existed = in_lowers(c, path + 1);
		if (!S_ISDIR(st.st_mode)) {
			if ((r = add(c, existed ? 'C' : 'A', path, false)) < 0)
				return r;
			continue;
		}
		_cleanup_close_ int sub =
		    openat(dfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue;
		bool opaque = is_opaque(sub);
		if ((r = add(c, existed ? 'C' : 'A', path, opaque && existed)) < 0)
			return r;
		if ((r = walk_upper(c, sub, path, plen + 1 + nl, depth + 1)) < 0)
			return r;
	}
	path[plen] = '\0';
	return 0;
}

static bool same_entry(int a_dir, int b_dir, const char *name, const struct stat *a, const struct stat *b)
{
	if ((a->st_mode & S_IFMT) != (b->st_mode & S_IFMT) || a->st_mode != b->st_mode ||
	    a->st_uid != b->st_uid || a->st_gid != b->st_gid)
		return false;
	if (S_ISREG(a->st_mode))
		return a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
		       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
	if (S_ISLNK(a->st_mode)) {
		char ta[PATH_MAX], tb[PATH_MAX];
		ssize_t na = readlinkat(a_dir, name, ta, sizeof(ta)),
			nb = readlinkat(b_dir, name, tb, sizeof(tb));
		return na == nb && na >= 0 && memcmp(ta, tb, (size_t)na) == 0;
	}
	if (S_ISCHR(a->st_mode) || S_ISBLK(a->st_mode))
		return a->st_rdev == b->st_rdev;
	if (S_ISDIR(a->st_mode))
		return a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
	return true;
}

static int all_added(struct collector *c, int dfd, char *path, size_t plen, int depth)
{
	if (depth > MAX_DEPTH)
		return -ELOOP;
	_cleanup_strv_ char **names = NULL;
	int r = dir_names(dfd, NULL, NULL, true, &names, NULL);
	for (size_t i = 0; r == 0 && names[i]; i++) {
		size_t nl = strlen(names[i]);
		if (plen + nl + 2 >= PATH_MAX)
			return -ENAMETOOLONG;
		path[plen] = '/';
		memcpy(path + plen + 1, names[i], nl + 1);
		if ((r = add(c, 'A', path, false)) < 0)
			return r;
		_cleanup_close_ int sub =
		    openat(dfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0)
			r = all_added(c, sub, path, plen + 1 + nl, depth + 1);
	}
	path[plen] = '\0';
	return r;
}

/* vfs: the container's tree (a) against its image's (b). */
static int compare(struct collector *c, int a, int b, char *path, size_t plen, int depth)
{
	if (depth > MAX_DEPTH)
		return -ELOOP;
	_cleanup_strv_ char **na = NULL, **nb = NULL;
	int r = dir_names(a, NULL, NULL, true, &na, NULL);
	if (r == 0)
		r = dir_names(b, NULL, NULL, true, &nb, NULL);
	size_t i = 0, k = 0;
	while (r == 0 && (na[i] || nb[k])) {
		int cmp = !na[i] ? 1 : !nb[k] ? -1 : strcmp(na[i], nb[k]);
		const char *name = cmp <= 0 ? na[i] : nb[k];
		size_t nl = strlen(name);
		if (plen + nl + 2 >= PATH_MAX)
			return -ENAMETOOLONG;
		path[plen] = '/';
		memcpy(path + plen + 1, name, nl + 1);
		if (cmp > 0) {
			r = add(c, 'D', path, false);
			k++;
			continue;
		}
		struct stat sa, sb;
		if (fstatat(a, name, &sa, AT_SYMLINK_NOFOLLOW) < 0) {
			i++;
			k += cmp == 0;
			continue;
		}
		_cleanup_close_ int suba =
		    S_ISDIR(sa.st_mode) ? openat(a, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
					: -EBADF;
		if (cmp < 0) {
			r = add(c, 'A', path, false);
			if (r == 0 && suba >= 0)
				r = all_added(c, suba, path, plen + 1 + nl, depth + 1);
			i++;
			continue;
		}
		i++;
		k++;
		if (fstatat(b, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		bool same = same_entry(a, b, name, &sa, &sb);
		if (!same && (r = add(c, 'C', path, false)) < 0)
			return r;
		if (suba >= 0 && S_ISDIR(sb.st_mode)) {
			_cleanup_close_ int subb =
			    openat(b, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (subb >= 0)
				r = compare(c, suba, subb, path, plen + 1 + nl, depth + 1);
		}
	}
	path[plen] = '\0';
	return r;
}

static int by_path(const void *x, const void *y)
{
	return strcmp(((const struct change *)x)->path, ((const struct change *)y)->path);
}

/* What the engine mounts over is not the container's change: the files
 * the runtime made as mount points (/etc/hosts, volume targets, …) are
 * left out, and so are directories that hold no other change. */
static void drop_mount_points(struct engine *e, const char *id, struct collector *c)
{
	static const char *const ours[] = {"/etc/hosts", "/etc/hostname", "/etc/resolv.conf",
					   "/run/cell-init"};
	_cleanup_strv_ char **skip = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(ours); i++)
		strv_push(&skip, ours[i]);
	char p[CTR_ID_LEN + 32];
	snprintf(p, sizeof(p), "%s/container.json", id);
	_cleanup_json_ json_t *rec = NULL;
	if (json_load_file_at(e->containers_fd, p, 4 << 20, &rec, NULL) == 0) {
		size_t i;
		json_t *m;
		json_array_foreach (json_object_get(rec, "Mounts"), i, m) {
			const char *d = json_string_value(json_object_get(m, "Destination"));
			if (d)
				strv_push(&skip, d);
		}
	}
	size_t k = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].kind == 'A' && strv_contains(skip, c->v[i].path)) {
			free(c->v[i].path);
			continue;
		}
		c->v[k++] = c->v[i];
	}
	c->n = k;
	/* From the end: a directory's children come after it. */
	for (size_t i = c->n; i-- > 0;) {
		if (c->v[i].kind != 'C' || c->v[i].opaque)
			continue;
		size_t len = strlen(c->v[i].path);
		bool has_child = i + 1 < c->n && strncmp(c->v[i + 1].path, c->v[i].path, len) == 0 &&
				 c->v[i + 1].path[len] == '/';
		struct stat st;
		char rel[PATH_MAX];
		snprintf(rel, sizeof(rel), "%s", c->v[i].path + 1);
		bool is_dir = false;
		for (size_t l = 0; l < c->n_lowers && !is_dir; l++)
			is_dir =
			    fstatat(c->lowers[l], rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
		if (has_child || !is_dir)
			continue;
		free(c->v[i].path);
		memmove(&c->v[i], &c->v[i + 1], (c->n - i - 1) * sizeof(*c->v));
		c->n--;
	}
}

static int open_layer(struct engine *e, const char *chain)
{
	if (!digest_valid(chain))
		return -EINVAL;
	char p[DIGEST_BUF + 16];
	snprintf(p, sizeof(p), "layers/%s/diff", digest_hex(chain));
	return path_open_beneath(e->store->rootfd, p, O_RDONLY | O_DIRECTORY);
}

int engine_changes(struct engine *e, const char *id, struct change **out, size_t *n, cell_error **err)
{
	char p[CTR_ID_LEN + 32];
	snprintf(p, sizeof(p), "%s/layer.json", id);
	_cleanup_json_ json_t *rec = NULL;
	if (json_load_file_at(e->containers_fd, p, 1 << 20, &rec, err) < 0)
		return cell_error_prefix(err, "container %.12s", id);
	json_t *layers = json_object_get(rec, "layers");
	size_t nl = json_array_size(layers);
	struct collector c = {0};
	_cleanup_free_ int *fds = calloc(nl + 1, sizeof(int));
	if (!fds)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < nl; i++)
		fds[i] = -1;
	int r = 0;
	for (size_t i = 0; i < nl && r == 0; i++) {
		/* Topmost first. */
		fds[i] = open_layer(e, json_string_value(json_array_get(layers, nl - 1 - i)) ?: "");
		if (fds[i] < 0)
			r = cell_error_errno(err, fds[i], "container %.12s: an image layer", id);
	}
	c.lowers = fds;
	c.n_lowers = nl;
	bool overlay = strcmp(storage_driver_name(e->store->storage), "overlay") == 0;
	char path[PATH_MAX] = "";
	if (r == 0) {
		snprintf(p, sizeof(p), "%s/%s", id, overlay ? "upper" : "rootfs");
		_cleanup_close_ int top = path_open_beneath(e->containers_fd, p, O_RDONLY | O_DIRECTORY);
		if (top < 0)
			r = cell_error_errno(err, top, "container %.12s: its writable layer", id);
		else if (overlay)
			r = walk_upper(&c, top, path, 0, 0);
		else if (nl)
			r = compare(&c, top, fds[0], path, 0, 0);
		else
			r = all_added(&c, top, path, 0, 0);
		if (r < 0 && (!err || !*err))
			r = cell_error_errno(err, r, "container %.12s: compare with its image", id);
	}
	if (r == 0) {
		qsort(c.v, c.n, sizeof(*c.v), by_path);
		drop_mount_points(e, id, &c);
	}
	for (size_t i = 0; i < nl; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (r < 0) {
		engine_changes_free(c.v, c.n);
		return r;
	}
	*out = c.v;
	*n = c.n;
	return 0;
}
