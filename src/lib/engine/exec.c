#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/strv.h"
#include "container.h"
#include "image/user.h"
#include "launch.h"
#include "linux/caps.h"
#include "runtime/exec.h"

/* "name:group" → "UID:GID" with the container's files; additional groups
 * of the user go to gids. */
static int resolve_user(struct engine *e, const struct ctr *c, const char *spec, char *out, size_t len,
			char ***gids, cell_error **err)
{
	_cleanup_free_ char *rootfs = NULL;
	int r = storage_container_mount(e->store->storage, c->id, &rootfs, err);
	if (r < 0)
		return r;
	_cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return cell_error_errno(err, errno, "open %s", rootfs);
	struct image_user u;
	if ((r = image_user_resolve(rootfd, spec, &u, err)) < 0)
		return cell_error_prefix(err, "--user %s", spec);
	snprintf(out, len, "%u:%u", (unsigned)u.uid, (unsigned)u.gid);
	for (size_t i = 0; i < u.n_additional; i++) {
		char g[16];
		snprintf(g, sizeof(g), "%u", (unsigned)u.additional_gids[i]);
		strv_push(gids, g);
	}
	image_user_clear(&u);
	return 0;
}

static int all_caps(char ***out)
{
	int last = caps_known_last(), klast = caps_kernel_last();
	if (klast > 0 && klast < last)
		last = klast;
	for (int n = 0; n <= last; n++)
		if (caps_name(n) && strv_push(out, caps_name(n)) < 0)
			return -ENOMEM;
	return 0;
}

/* A detached process must not hold our stdio (a caller's pipe would never
 * see its end): it gets /dev/null, and ours come back after. */
static int swap_stdio(int saved[3], bool restore)
{
	if (restore) {
		for (int i = 0; i < 3; i++)
			if (saved[i] >= 0) {
				dup2(saved[i], i);
				close(saved[i]);
			}
		return 0;
	}
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return -errno;
	for (int i = 0; i < 3; i++) {
		saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
		dup2(null, i);
	}
	close(null);
	return 0;
}

int engine_exec(struct engine *e, const char *ref, const struct engine_exec_request *req, int *exit_code,
		cell_error **err)
{
	*exit_code = 125;
	if (!req->args || !req->args[0])
		return cell_error_set(err, EINVAL, "exec: no command given");
	if (req->detach && req->tty)
		return cell_error_set(
		    err, ENOTSUP,
		    "exec: -d with -t is not supported: nobody would hold the detached terminal");
	_cleanup_ctr_ struct ctr *c = NULL;
	int r = ctr_open(e, ref, false, &c, err);
	if (r < 0)
		return r;
	if (c->status != CTR_RUNNING || !c->init_alive)
		return cell_error_set(err, EINVAL, "container %s is not running", ref);
	char user[64];
	_cleanup_strv_ char **gids = NULL, **caps = NULL;
	if (req->user && (r = resolve_user(e, c, req->user, user, sizeof(user), &gids, err)) < 0)
		return r;
	if (req->privileged && all_caps(&caps) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	struct exec_opts o = {
	    .id = c->id,
	    .args = req->args,
	    .tty = req->tty,
	    .detach = req->detach,
	    .cwd = req->workdir,
	    .env = req->env,
	    .user = req->user ? user : NULL,
	    .additional_gids = gids,
	    .caps = caps,
	};
	int saved[3] = {-1, -1, -1};
	int null_in = -1, saved_in = -1;
	if (req->detach && swap_stdio(saved, false) < 0)
		return cell_error_errno(err, errno, "exec: /dev/null");
	if (!req->detach && !req->interactive && !req->tty) {
		/* No -i: the process reads nothing of ours. */
		null_in = open("/dev/null", O_RDONLY | O_CLOEXEC);
		saved_in = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
		if (null_in >= 0)
			dup2(null_in, STDIN_FILENO);
	}
	int status = 0;
	r = runtime_exec(&e->rt, &o, &status, err);
	if (req->detach)
		swap_stdio(saved, true);
	if (saved_in >= 0) {
		dup2(saved_in, STDIN_FILENO);
		close(saved_in);
	}
	if (null_in >= 0)
		close(null_in);
	if (r < 0) {
		*exit_code = engine_start_exit_code(*err);
		return r;
	}
	*exit_code = req->detach ? 0 : status;
	return 0;
}
