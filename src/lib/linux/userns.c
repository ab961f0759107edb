#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/file.h"

extern char **environ;

struct clone_args_v0 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static const char *map_name(bool uid)
{
	return uid ? "uidMappings" : "gidMappings";
}

/* The map an unprivileged process may write itself: its own id, once. */
static bool own_id_only(const struct oci_id_mapping *m, size_t n, bool uid)
{
	return n == 1 && m[0].size == 1 && m[0].host_id == (uid ? geteuid() : getegid());
}

static int write_map(pid_t pid, bool uid, const struct oci_id_mapping *m, size_t n, cell_error **err)
{
	char path[64], buf[340 * 36];
	size_t len = 0;
	if (n == 0)
		return 0; /* left unmapped: the kernel refuses an empty map */
	if (n > 340)
		return cell_error_set(err, E2BIG, "%s: at most 340 ranges", map_name(uid));
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n", m[i].container_id,
					m[i].host_id, m[i].size);
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, uid ? "uid_map" : "gid_map");
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return cell_error_errno(err, errno, "%s: open %s", map_name(uid), path);
	/* The whole map in one write(2), as the kernel requires. */
	ssize_t w = write(fd, buf, len);
	if (w < 0 || (size_t)w != len)
		return cell_error_errno(err, w < 0 ? errno : EIO, "%s: write %s", map_name(uid), path);
	return 0;
}

/* newuidmap/newgidmap PID ID HOSTID COUNT…, with what it says on failure. */
static int run_map_helper(pid_t pid, bool uid, const struct oci_id_mapping *m, size_t n, cell_error **err)
{
	const char *helper = uid ? "newuidmap" : "newgidmap";
	char *argv[2 + 340 * 3 + 1];
	char nums[1 + 340 * 3][12];
	if (n > 340)
		return cell_error_set(err, E2BIG, "%s: at most 340 ranges", map_name(uid));
	size_t k = 0;
	argv[k++] = (char *)helper;
	snprintf(nums[0], sizeof(nums[0]), "%d", (int)pid);
	argv[k++] = nums[0];
	for (size_t i = 0; i < n; i++) {
		uint32_t v[3] = {m[i].container_id, m[i].host_id, m[i].size};
		for (int j = 0; j < 3; j++) {
			snprintf(nums[k - 1], sizeof(nums[k - 1]), "%u", v[j]);
			argv[k] = nums[k - 1];
			k++;
		}
	}
	argv[k] = NULL;

	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return cell_error_errno(err, errno, "%s: run %s", map_name(uid), helper);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], STDERR_FILENO);
	pid_t child;
	int r = posix_spawnp(&child, helper, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	_cleanup_close_ int rd = pfd[0];
	if (r == ENOENT)
		return cell_error_set(err, ENOENT,
				      "%s: an unprivileged user needs %s (package uidmap) for ranges beyond "
				      "its own id",
				      map_name(uid), helper);
	if (r != 0)
		return cell_error_errno(err, r, "%s: run %s", map_name(uid), helper);
	_cleanup_free_ char *out = NULL;
	read_all(rd, 4096, &out, NULL);
	int status;
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (out)
		out[strcspn(out, "\n")] = '\0';
	return cell_error_set(err, EPERM, "%s: %s failed: %s", map_name(uid), helper,
			      out && *out ? out : "no reason given");
}

int userns_set_maps(pid_t pid, const struct oci_id_mapping *uids, size_t n_uids,
		    const struct oci_id_mapping *gids, size_t n_gids, cell_error **err)
{
	bool root = geteuid() == 0;
	bool uid_helper = !root && n_uids && !own_id_only(uids, n_uids, true);
	bool gid_helper = !root && n_gids && !own_id_only(gids, n_gids, false);
	int r;
	if (!root && !gid_helper) {
		/* Writing our own gid map needs setgroups denied first. */
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
		_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0 && (r = write_all(fd, "deny", 4)) < 0)
			return cell_error_errno(err, r, "write %s", path);
	}
	r = uid_helper ? run_map_helper(pid, true, uids, n_uids, err)
		       : write_map(pid, true, uids, n_uids, err);
	if (r < 0)
		return r;
	return gid_helper ? run_map_helper(pid, false, gids, n_gids, err)
			  : write_map(pid, false, gids, n_gids, err);
}

int userns_open_mapped(const struct oci_id_mapping *uids, size_t n_uids, const struct oci_id_mapping *gids,
		       size_t n_gids, int *out, cell_error **err)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return cell_error_errno(err, errno, "create a user namespace for a mapping");
	struct clone_args_v0 args = {.flags = CLONE_NEWUSER, .exit_signal = SIGCHLD};
	long pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0) {
		/* Only there to hold the namespace until the parent has its fd. */
		char b;
		close(pfd[1]);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		while (read(pfd[0], &b, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	int e = errno;
	close(pfd[0]);
	_cleanup_close_ int hold = pfd[1];
	if (pid < 0)
		return cell_error_errno(err, e, "create a user namespace for a mapping");
	int r = userns_set_maps((pid_t)pid, uids, n_uids, gids, n_gids, err);
	if (r == 0) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%ld/ns/user", pid);
		*out = open(path, O_RDONLY | O_CLOEXEC);
		if (*out < 0)
			r = cell_error_errno(err, errno, "open %s", path);
	}
	close(TAKE_FD(hold));
	while (waitpid((pid_t)pid, NULL, 0) < 0 && errno == EINTR)
		;
	return r;
}

/* The host id for the container's id in l's mapping, for "@" triplets. */
static bool relative_to_container(const struct oci_id_mapping *m, size_t n, uint32_t id, uint32_t *out)
{
	for (size_t i = 0; i < n; i++)
		if (id >= m[i].container_id && id - m[i].container_id < m[i].size) {
			*out = m[i].host_id + (id - m[i].container_id);
			return true;
		}
	return false;
}

static int parse_triplets(const char *s, size_t len, bool uid, const struct oci_linux *l,
			  struct oci_id_mapping **out, size_t *n, const char *where, cell_error **err)
{
	char buf[4096];
	if (len >= sizeof(buf))
		return cell_error_set(err, E2BIG, "%s: mapping too long", where);
	memcpy(buf, s, len);
	buf[len] = '\0';
	char *save = NULL;
	for (char *t = strtok_r(buf, "#", &save); t; t = strtok_r(NULL, "#", &save)) {
		bool rel = *t == '@';
		unsigned long long v[3];
		char tail;
		if (sscanf(t + rel, "%llu-%llu-%llu%c", &v[0], &v[1], &v[2], &tail) != 3 ||
		    v[0] > UINT32_MAX || v[1] > UINT32_MAX || v[2] == 0 || v[2] > UINT32_MAX)
			return cell_error_set(
			    err, EINVAL, "%s: \"%s\" is not a mapping (ID-ID-COUNT, optionally after '@')",
			    where, t);
		uint32_t shown = (uint32_t)v[1];
		if (rel && !relative_to_container(uid ? l->uid_mappings : l->gid_mappings,
						  uid ? l->n_uid_mappings : l->n_gid_mappings, (uint32_t)v[1],
						  &shown))
			return cell_error_set(err, EINVAL,
					      "%s: \"%s\": id %llu is not in the container's linux.%s", where,
					      t, v[1], map_name(uid));
		struct oci_id_mapping *nm = realloc(*out, (*n + 1) * sizeof(**out));
		if (!nm)
			return cell_error_set(err, ENOMEM, "out of memory");
		*out = nm;
		nm[(*n)++] = (struct oci_id_mapping){(uint32_t)v[0], shown, (uint32_t)v[2]};
	}
	if (*n == 0)
		return cell_error_set(err, EINVAL, "%s: no mapping given", where);
	return 0;
}

int userns_parse_idmap_option(const char *value, const struct oci_linux *l, struct oci_id_mapping **uids,
			      size_t *n_uids, struct oci_id_mapping **gids, size_t *n_gids, const char *where,
			      cell_error **err)
{
	*uids = *gids = NULL;
	*n_uids = *n_gids = 0;
	for (const char *s = value; *s;) {
		size_t len = strcspn(s, ";");
		int r;
		if (strncmp(s, "uids=", 5) == 0 && len > 5)
			r = parse_triplets(s + 5, len - 5, true, l, uids, n_uids, where, err);
		else if (strncmp(s, "gids=", 5) == 0 && len > 5)
			r = parse_triplets(s + 5, len - 5, false, l, gids, n_gids, where, err);
		else
			r = cell_error_set(err, EINVAL, "%s: \"%.*s\": expected uids=… or gids=…", where,
					   (int)len, s);
		if (r < 0) {
			free(*uids);
			free(*gids);
			*uids = *gids = NULL;
			return r;
		}
		s += len + (s[len] == ';');
	}
	return 0;
}

bool userns_host_root(void)
{
	static int cached = -1;
	if (cached >= 0)
		return cached;
	if (geteuid() != 0) {
		cached = 0;
		return false;
	}
	/* The initial user namespace maps every id to itself. */
	_cleanup_free_ char *map = NULL;
	if (read_file_at(AT_FDCWD, "/proc/self/uid_map", 4096, &map, NULL) < 0) {
		cached = 1;
		return true;
	}
	unsigned long inside, outside, count;
	int n = 0;
	bool whole = sscanf(map, "%lu %lu %lu%n", &inside, &outside, &count, &n) == 3 && inside == 0 &&
		     outside == 0 && count == 4294967295UL;
	/* one line only: a second one would be a namespace of ours */
	cached = whole && strspn(map + n, " \n") == strlen(map + n);
	return cached;
}
