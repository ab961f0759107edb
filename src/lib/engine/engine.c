#include "engine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/path.h"
#include "cell-config.h"
#include "volumes.h"

static int open_dir_at(int dirfd, const char *name, const char *what, cell_error **err)
{
	if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
		return cell_error_errno(err, errno, "create %s", what);
	int fd = path_open_beneath(dirfd, name, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return cell_error_errno(err, -fd, "open %s", what);
	return fd;
}

static char *self_path(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

int engine_open(const struct engine_options *o, struct engine **out, cell_error **err)
{
	_cleanup_engine_ struct engine *e = calloc(1, sizeof(*e));
	if (!e)
		return cell_error_set(err, ENOMEM, "out of memory");
	e->containers_fd = e->volumes_fd = e->run_fd = -EBADF;
	struct image_store_options so = {.root = o->root, .runroot = o->runroot, .driver = o->driver};
	int r = image_store_open(&so, &e->store, err);
	if (r < 0)
		return r;
	char what[PATH_MAX + 32];
	snprintf(what, sizeof(what), "%s/containers", e->store->root);
	if ((e->containers_fd = open_dir_at(e->store->rootfd, "containers", what, err)) < 0)
		return e->containers_fd;
	snprintf(what, sizeof(what), "%s/volumes", e->store->root);
	if ((e->volumes_fd = open_dir_at(e->store->rootfd, "volumes", what, err)) < 0)
		return e->volumes_fd;
	_cleanup_close_ int runfd = open(e->store->runroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (runfd < 0)
		return cell_error_errno(err, errno, "open %s", e->store->runroot);
	snprintf(what, sizeof(what), "%s/containers", e->store->runroot);
	if ((e->run_fd = open_dir_at(runfd, "containers", what, err)) < 0)
		return e->run_fd;
	if (asprintf(&e->runtime_root, "%s/runtime", e->store->runroot) < 0 ||
	    !(e->log_level = strdup(o->log_level ? o->log_level : "warn")))
		return cell_error_set(err, ENOMEM, "out of memory");
	e->self = self_path();
	e->rt = (struct runtime_opts){
	    .root = e->runtime_root,
	    .cgroup_manager = CGROUP_MANAGER_CGROUPFS,
	    .rootless = geteuid() != 0,
	};
	*out = TAKE_PTR(e);
	return 0;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	image_store_free(e->store);
	if (e->containers_fd >= 0)
		close(e->containers_fd);
	if (e->volumes_fd >= 0)
		close(e->volumes_fd);
	if (e->run_fd >= 0)
		close(e->run_fd);
	free(e->runtime_root);
	free(e->log_level);
	free(e->self);
	free(e);
}

/* What killed commands left: half-made volumes, and run directories of
 * containers that are gone. The store's own debris goes with its lock. */
static int sweep(struct engine *e, cell_error **err)
{
	int r = volume_debris(e, true, NULL, err);
	if (r < 0)
		return r;
	int dup = openat(e->run_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dup >= 0 ? fdopendir(dup) : NULL;
	if (!d) {
		if (dup >= 0)
			close(dup);
		return 0;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) != 64)
			continue;
		if (faccessat(e->containers_fd, de->d_name, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
			remove_tree_at(e->run_fd, de->d_name);
	}
	closedir(d);
	return 0;
}

int engine_lock(struct engine *e, bool exclusive, cell_error **err)
{
	int r = image_store_lock(e->store, exclusive, err);
	if (r < 0 || !exclusive)
		return r;
	if ((r = sweep(e, err)) < 0)
		image_store_unlock(e->store);
	return r;
}

void engine_unlock(struct engine *e)
{
	image_store_unlock(e->store);
}

char *engine_helper_path(const char *name)
{
	char *self = self_path();
	char *p = NULL;
	if (self) {
		if (asprintf(&p, "%s/%s", dirname(self), name) >= 0 && access(p, X_OK) == 0) {
			free(self);
			return p;
		}
		free(p);
		p = NULL;
		free(self);
	}
	if (asprintf(&p, "%s/%s", CELL_LIBEXECDIR, name) >= 0 && access(p, X_OK) == 0)
		return p;
	free(p);
	return NULL;
}

char *engine_container_path(const struct engine *e, const char *id)
{
	char *p = NULL;
	return asprintf(&p, "%s/containers/%s", e->store->root, id) < 0 ? NULL : p;
}

char *engine_container_run_path(const struct engine *e, const char *id)
{
	char *p = NULL;
	return asprintf(&p, "%s/containers/%s", e->store->runroot, id) < 0 ? NULL : p;
}

int engine_container_run_dir(struct engine *e, const char *id, bool create, cell_error **err)
{
	if (create && mkdirat(e->run_fd, id, 0700) < 0 && errno != EEXIST)
		return cell_error_errno(err, errno, "create %s/containers/%s", e->store->runroot, id);
	int fd = path_open_beneath(e->run_fd, id, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return cell_error_errno(err, -fd, "open %s/containers/%s", e->store->runroot, id);
	return fd;
}
