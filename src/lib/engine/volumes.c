#include "volumes.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/json.h"
#include "base/path.h"
#include "base/strv.h"
#include "base/timefmt.h"
#include "container.h"
#include "mountspec.h"

#define TMP_PREFIX ".tmp-"

/* Volumes by name, or (debris) what a killed create left behind. */
static bool volume_entry(const char *name, void *debris)
{
	bool is_tmp = strncmp(name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0;
	return *(bool *)debris ? is_tmp : volume_name_valid(name);
}

static int list_dir(int dfd, bool debris, char ***out)
{
	return dir_names(dfd, volume_entry, &debris, true, out, NULL);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int volume_list(struct engine *e, char ***names, cell_error **err)
{
	int r = list_dir(e->volumes_fd, false, names);
	if (r < 0)
		return cell_error_errno(err, r, "list %s/volumes", e->store->root);
	qsort(*names, strv_length(*names), sizeof(char *), by_name);
	return 0;
}

int volume_debris(struct engine *e, bool remove, char ***names, cell_error **err)
{
	_cleanup_strv_ char **v = NULL;
	int r = list_dir(e->volumes_fd, true, &v);
	if (r < 0)
		return cell_error_errno(err, r, "list %s/volumes", e->store->root);
	for (size_t i = 0; remove && v[i]; i++)
		if ((r = remove_tree_at(e->volumes_fd, v[i])) < 0)
			return cell_error_errno(err, r, "remove %s/volumes/%s", e->store->root, v[i]);
	if (names)
		*names = TAKE_PTR(v);
	return 0;
}

char *volume_data_path(struct engine *e, const char *name)
{
	char *p = NULL;
	return asprintf(&p, "%s/volumes/%s/_data", e->store->root, name) < 0 ? NULL : p;
}

int volume_data_fd(struct engine *e, const char *name, cell_error **err)
{
	if (!volume_name_valid(name))
		return cell_error_set(err, EINVAL, "invalid volume name \"%s\"", name);
	char p[300];
	snprintf(p, sizeof(p), "%s/_data", name);
	int fd = path_open_beneath(e->volumes_fd, p, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd == -ENOENT ? cell_error_set(err, ENOENT, "no such volume: %s", name)
				     : cell_error_errno(err, -fd, "volume %s", name);
	return fd;
}

int volume_inspect(struct engine *e, const char *name, json_t **out, cell_error **err)
{
	if (!volume_name_valid(name))
		return cell_error_set(err, ENOENT, "no such volume: %s", name);
	char p[300];
	snprintf(p, sizeof(p), "%s/volume.json", name);
	if (faccessat(e->volumes_fd, p, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return cell_error_set(err, ENOENT, "no such volume: %s", name);
	if (json_load_file_at(e->volumes_fd, p, 1 << 20, out, err) < 0)
		return cell_error_prefix(err, "volume %s", name);
	return 0;
}

int volume_create(struct engine *e, const char *name, json_t *labels, json_t *options, char **out,
		  bool *created, cell_error **err)
{
	char anon[CTR_ID_LEN + 1];
	bool anonymous = !name;
	if (anonymous) {
		int r = ctr_id_new(anon, err);
		if (r < 0)
			return r;
		name = anon;
	}
	if (!volume_name_valid(name))
		return cell_error_set(
		    err, EINVAL, "invalid volume name \"%s\": must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", name);
	if (created)
		*created = false;
	if (faccessat(e->volumes_fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		if (out && !(*out = strdup(name)))
			return cell_error_set(err, ENOMEM, "out of memory");
		return 0;
	}
	char tmp[300];
	snprintf(tmp, sizeof(tmp), TMP_PREFIX "%s-%d", name, (int)getpid());
	int r = remove_tree_at(e->volumes_fd, tmp);
	if (r < 0 || mkdirat(e->volumes_fd, tmp, 0700) < 0)
		return cell_error_errno(err, r < 0 ? r : errno, "create volume %s", name);
	_cleanup_close_ int tfd = path_open_beneath(e->volumes_fd, tmp, O_RDONLY | O_DIRECTORY);
	if (tfd < 0 || mkdirat(tfd, "_data", 0755) < 0) {
		r = tfd < 0 ? tfd : -errno;
		remove_tree_at(e->volumes_fd, tmp);
		return cell_error_errno(err, r, "create volume %s", name);
	}
	char now[48];
	rfc3339_now(now, sizeof(now));
	_cleanup_free_ char *mp = volume_data_path(e, name);
	json_t *l = labels ? json_incref(labels) : json_object();
	json_t *o = options ? json_incref(options) : json_object();
	_cleanup_json_ json_t *rec =
	    json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:b}", "Name", name, "Driver", "local",
		      "Mountpoint", mp ? mp : "", "CreatedAt", now, "Labels", l, "Options", o, "Scope",
		      "local", "Anonymous", anonymous);
	_cleanup_free_ char *text = rec ? json_dumps(rec, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	if (!text) {
		remove_tree_at(e->volumes_fd, tmp);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	r = write_file_atomic(tfd, "volume.json", text, strlen(text), 0600);
	if (r == 0 && renameat(e->volumes_fd, tmp, e->volumes_fd, name) < 0)
		r = -errno;
	if (r < 0) {
		remove_tree_at(e->volumes_fd, tmp);
		return cell_error_errno(err, r, "create volume %s", name);
	}
	fsync(e->volumes_fd);
	if (created)
		*created = true;
	if (out && !(*out = strdup(name)))
		return cell_error_set(err, ENOMEM, "out of memory");
	return 0;
}

int volume_users(struct engine *e, const char *name, char ***ids, cell_error **err)
{
	struct ctr **v = NULL;
	size_t n = 0;
	int r = ctr_list(e, &v, &n, err);
	if (r < 0)
		return r;
	_cleanup_strv_ char **out = NULL;
	for (size_t i = 0; i < n; i++) {
		json_t *mounts = json_object_get(v[i]->record, "Mounts"), *m;
		size_t k;
		json_array_foreach (mounts, k, m) {
			const char *vn = json_string_value(json_object_get(m, "Name"));
			if (vn && strcmp(vn, name) == 0 && !strv_contains(out, v[i]->id))
				strv_push(&out, v[i]->id);
		}
	}
	ctr_list_free(v, n);
	if (!out && !(out = calloc(1, sizeof(char *))))
		return cell_error_set(err, ENOMEM, "out of memory");
	*ids = TAKE_PTR(out);
	return 0;
}

int volume_remove(struct engine *e, const char *name, bool force, cell_error **err)
{
	_cleanup_json_ json_t *rec = NULL;
	int r = volume_inspect(e, name, &rec, err);
	if (r < 0)
		return r;
	_cleanup_strv_ char **users = NULL;
	if ((r = volume_users(e, name, &users, err)) < 0)
		return r;
	if (users[0] && !force)
		return cell_error_set(err, EBUSY, "volume %s is in use by container %.12s", name, users[0]);
	/* Renamed away first: a half-removed volume must not look like one. */
	char tmp[300];
	snprintf(tmp, sizeof(tmp), TMP_PREFIX "rm-%s-%d", name, (int)getpid());
	if (renameat(e->volumes_fd, name, e->volumes_fd, tmp) < 0)
		return cell_error_errno(err, errno, "remove volume %s", name);
	r = remove_tree_at(e->volumes_fd, tmp);
	if (r < 0)
		return cell_error_errno(err, r, "remove volume %s", name);
	return 0;
}

struct seen_inode {
	dev_t dev;
	ino_t ino;
};

static int inode_cmp(const void *a, const void *b)
{
	const struct seen_inode *x = a, *y = b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino ? 1 : 0;
}

static uint64_t dir_size(int dfd, void **seen, int depth)
{
	if (depth > 256)
		return 0;
	int dup = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dup < 0)
		return 0;
	DIR *d = fdopendir(dup);
	if (!d) {
		close(dup);
		return 0;
	}
	uint64_t total = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		struct stat st;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				total += dir_size(sub, seen, depth + 1);
				close(sub);
			}
		} else if (S_ISREG(st.st_mode)) {
			if (st.st_nlink > 1) {
				struct seen_inode *k = malloc(sizeof(*k));
				if (!k)
					continue;
				*k = (struct seen_inode){st.st_dev, st.st_ino};
				struct seen_inode **found = tsearch(k, seen, inode_cmp);
				if (!found || *found != k) {
					free(k);
					continue;
				}
			}
			total += (uint64_t)st.st_size;
		}
	}
	closedir(d);
	return total;
}

uint64_t volume_dir_size(int dirfd)
{
	void *seen = NULL;
	uint64_t n = dir_size(dirfd, &seen, 0);
	tdestroy(seen, free);
	return n;
}

static bool labels_match(json_t *rec, json_t *filters)
{
	json_t *labels = json_object_get(rec, "Labels");
	size_t i;
	json_t *f;
	json_array_foreach (filters, i, f) {
		const char *want = json_string_value(f);
		const char *eq = want ? strchr(want, '=') : NULL;
		char key[256];
		snprintf(key, sizeof(key), "%.*s", eq ? (int)(eq - want) : (int)strlen(want ? want : ""),
			 want ? want : "");
		json_t *have = json_object_get(labels, key);
		if (!have || (eq && strcmp(json_string_value(have) ?: "", eq + 1) != 0))
			return false;
	}
	return true;
}

int volume_prune(struct engine *e, bool all, json_t *label_filters, char ***removed, uint64_t *reclaimed,
		 cell_error **err)
{
	_cleanup_strv_ char **names = NULL, **out = NULL;
	*reclaimed = 0;
	int r = volume_list(e, &names, err);
	if (r < 0)
		return r;
	for (size_t i = 0; names[i]; i++) {
		_cleanup_json_ json_t *rec = NULL;
		_cleanup_strv_ char **users = NULL;
		if (volume_inspect(e, names[i], &rec, NULL) < 0)
			continue;
		if (!all && !json_is_true(json_object_get(rec, "Anonymous")))
			continue;
		if (label_filters && !labels_match(rec, label_filters))
			continue;
		if ((r = volume_users(e, names[i], &users, err)) < 0)
			return r;
		if (users[0])
			continue;
		_cleanup_close_ int dfd = volume_data_fd(e, names[i], NULL);
		uint64_t size = dfd >= 0 ? volume_dir_size(dfd) : 0;
		if ((r = volume_remove(e, names[i], false, err)) < 0)
			return r;
		*reclaimed += size;
		strv_push(&out, names[i]);
	}
	if (!out && !(out = calloc(1, sizeof(char *))))
		return cell_error_set(err, ENOMEM, "out of memory");
	*removed = TAKE_PTR(out);
	return 0;
}
