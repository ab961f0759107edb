#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "base/json.h"
#include "base/path.h"
#include "base/strv.h"
#include "cell-config.h"
#include "pidutil.h"

static const char *const status_names[] = {"creating", "created", "running", "paused", "stopped"};

const char *container_status_name(enum container_status s)
{
	return status_names[s];
}

int container_id_check(const char *id, cell_error **err)
{
	if (!id || !*id)
		return cell_error_set(err, EINVAL, "container id is empty");
	if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return cell_error_set(err, EINVAL, "invalid container id \"%s\"", id);
	if (strlen(id) > 1024)
		return cell_error_set(err, EINVAL, "container id is longer than 1024 characters");
	for (const char *s = id; *s; s++) {
		char ch = *s;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '_' || ch == '+' || ch == '-' || ch == '.'))
			return cell_error_set(err, EINVAL,
					      "invalid container id \"%s\": only letters, digits, '_', '+', "
					      "'-' and '.' are allowed",
					      id);
	}
	return 0;
}

int state_root_open(const char *root, bool create, int *out, cell_error **err)
{
	if (create) {
		int r = mkdir_parents(root, 0700);
		if (r < 0)
			return cell_error_errno(err, r, "create state directory %s", root);
	}
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cell_error_errno(err, errno, "open state directory %s", root);
	*out = fd;
	return 0;
}

void container_free(struct container *c)
{
	if (!c)
		return;
	if (c->dirfd >= 0)
		close(c->dirfd);
	json_decref(c->record);
	cgroup_free(c->cgroup);
	free(c->id);
	free(c);
}

void container_refresh_status(struct container *c)
{
	if (!c->record) {
		c->status = CONTAINER_CREATING;
		return;
	}
	unsigned long long st = 0;
	char state = 0;
	if (c->pid <= 0 || pid_stat(c->pid, &st, &state) < 0 || st != c->start_time || state == 'Z' ||
	    state == 'X') {
		c->status = CONTAINER_STOPPED;
		return;
	}
	if (faccessat(c->dirfd, "exec.fifo", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		c->status = CONTAINER_CREATED;
		return;
	}
	c->status = CONTAINER_RUNNING;
	/* A frozen cgroup means paused (v1 freezer or v2 cgroup.freeze). */
	if (c->cgroup && cgroup_is_frozen(c->cgroup))
		c->status = CONTAINER_PAUSED;
}

static int load_record(struct container *c, cell_error **err)
{
	json_t *j = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = read_file_at(c->dirfd, "status", 1 << 20, &buf, &len);
	if (r == -ENOENT)
		return 0; /* still being created */
	if (r < 0)
		return cell_error_errno(err, r, "read the state of container %s", c->id);
	if ((r = json_load_buffer(buf, len, "status", &j, err)) < 0)
		return cell_error_prefix(err, "container %s", c->id);
	c->record = j;
	int64_t pid = 0;
	uint64_t st = 0;
	json_t *cg = NULL;
	bool new_pid = false;
	if ((r = json_get_i64(j, "status", "pid", true, 0, INT32_MAX, &pid, NULL, err)) < 0 ||
	    (r = json_get_u64(j, "status", "pid_start_time", true, &st, NULL, err)) < 0 ||
	    (r = json_get_string(j, "status", "bundle", true, &c->bundle, err)) < 0 ||
	    (r = json_get_string(j, "status", "rootfs", true, &c->rootfs, err)) < 0 ||
	    (r = json_get_string(j, "status", "created", true, &c->created, err)) < 0 ||
	    (r = json_get_bool(j, "status", "new_pid_namespace", false, &new_pid, err)) < 0 ||
	    (r = json_get_object(j, "status", "cgroup", false, &cg, err)) < 0)
		return cell_error_prefix(err, "container %s", c->id);
	c->pid = (pid_t)pid;
	c->start_time = st;
	c->new_pid_ns = new_pid;
	if (cg && (r = cgroup_from_json(cg, &c->cgroup, err)) < 0)
		return cell_error_prefix(err, "container %s", c->id);
	return 0;
}

int container_open(const char *root, const char *id, enum lock_mode lock, struct container **out,
		   cell_error **err)
{
	int r = container_id_check(id, err);
	if (r < 0)
		return r;
	_cleanup_container_ struct container *c = calloc(1, sizeof(*c));
	if (!c || !(c->id = strdup(id)))
		return cell_error_set(err, ENOMEM, "out of memory");
	c->dirfd = -1;
	_cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0 && errno == ENOENT)
		return cell_error_set(err, ENOENT, "container %s does not exist", id);
	if (rootfd < 0)
		return cell_error_errno(err, errno, "open state directory %s", root);
	c->dirfd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c->dirfd < 0 && errno == ENOENT)
		return cell_error_set(err, ENOENT, "container %s does not exist", id);
	if (c->dirfd < 0)
		return cell_error_errno(err, errno, "open the state of container %s", id);
	while (flock(c->dirfd, lock == LOCK_EXCLUSIVE ? LOCK_EX : LOCK_SH) < 0)
		if (errno != EINTR)
			return cell_error_errno(err, errno, "lock container %s", id);
	/* Whoever held the lock before us may have deleted the container. */
	struct stat st;
	if (fstat(c->dirfd, &st) < 0 || st.st_nlink == 0)
		return cell_error_set(err, ENOENT, "container %s does not exist", id);
	if ((r = load_record(c, err)) < 0)
		return r;
	container_refresh_status(c);
	if (c->status == CONTAINER_CREATING) {
		/* Nobody is creating it if we could take the lock exclusively and
		 * there is still no record: a create that died. */
		if (lock == LOCK_EXCLUSIVE)
			c->status = CONTAINER_STOPPED;
	}
	*out = TAKE_PTR(c);
	return 0;
}

json_t *container_oci_state(const struct container *c)
{
	json_t *annotations = c->record ? json_object_get(c->record, "annotations") : NULL;
	json_t *s =
	    json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s}", "ociVersion", CELL_OCI_VERSION, "id", c->id,
		      "pid", (json_int_t)(c->status == CONTAINER_STOPPED ? 0 : c->pid), "status",
		      container_status_name(c->status), "bundle", c->bundle ? c->bundle : "", "rootfs",
		      c->rootfs ? c->rootfs : "", "created", c->created ? c->created : "", "owner", "");
	if (s && annotations && json_object_size(annotations))
		json_object_set(s, "annotations", annotations);
	return s;
}

int container_save(struct container *c, cell_error **err)
{
	_cleanup_free_ char *s = json_dumps(c->record, JSON_COMPACT);
	if (!s)
		return cell_error_set(err, ENOMEM, "out of memory");
	int r = write_file_replace(c->dirfd, "status", s, strlen(s), 0600, false);
	if (r < 0)
		return cell_error_errno(err, r, "write the state of container %s", c->id);
	return 0;
}

int container_remove_dir(const char *root, const char *id, cell_error **err)
{
	_cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return cell_error_errno(err, errno, "open state directory %s", root);
	int r = remove_tree_at(rootfd, id);
	if (r < 0)
		return cell_error_errno(err, r, "remove the state of container %s", id);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int container_list_ids(const char *root, char ***out, cell_error **err)
{
	*out = NULL;
	_cleanup_closedir_ DIR *d = opendir(root);
	if (!d && errno == ENOENT) {
		*out = calloc(1, sizeof(char *));
		return *out ? 0 : cell_error_set(err, ENOMEM, "out of memory");
	}
	if (!d)
		return cell_error_errno(err, errno, "open state directory %s", root);
	_cleanup_strv_ char **ids = calloc(1, sizeof(char *));
	if (!ids)
		return cell_error_set(err, ENOMEM, "out of memory");
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		if (container_id_check(de->d_name, NULL) < 0)
			continue;
		if (strv_push(&ids, de->d_name) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
	}
	qsort(ids, strv_length(ids), sizeof(char *), cmp_str);
	*out = TAKE_PTR(ids);
	return 0;
}
