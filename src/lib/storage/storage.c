#include "storage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mountinfo.h"
#include "base/path.h"
#include "base/strv.h"
#include "driver.h"
#include "unpack.h"

#define TMP_PREFIX   ".tmp-"
#define RECORD_MAX   (1 << 20)
#define LAYER_RECORD "layer.json"
/* How new layers checksum their files in their records (tree.h). */
#define LAYER_CONTENT_SUM TREE_SUM_CRC64

struct storage {
	char *root;
	char *runroot;
	int rootfd;
	int layersfd;
	int containersfd;
	int lockfd;
	bool locked_exclusive;
	bool rootless;
	bool not_durable;
	bool direct_io;
	const struct storage_driver *driver;
};

static int container_id_valid(const char *id);

static const struct storage_driver *const drivers[] = {&storage_driver_overlay, &storage_driver_vfs};

void storage_set_durable(struct storage *s, bool durable)
{
	s->not_durable = !durable;
}

const char *storage_driver_name(const struct storage *s)
{
	return s->driver->name;
}

int storage_root_fd(const struct storage *s)
{
	return s->rootfd;
}

int storage_layers_fd(const struct storage *s)
{
	return s->layersfd;
}

const char *storage_root_path(const struct storage *s)
{
	return s->root;
}

bool storage_rootless(const struct storage *s)
{
	return s->rootless;
}

void storage_set_direct_io(struct storage *s, bool direct)
{
	s->direct_io = direct;
}

static const struct storage_driver *driver_by_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(drivers); i++)
		if (strcmp(drivers[i]->name, name) == 0)
			return drivers[i];
	return NULL;
}

static int open_subdir(int rootfd, const char *name, const char *root, cell_error **err)
{
	if (mkdirat(rootfd, name, 0700) < 0 && errno != EEXIST)
		return cell_error_errno(err, errno, "create %s/%s", root, name);
	int fd = path_open_beneath(rootfd, name, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return cell_error_errno(err, -fd, "open %s/%s", root, name);
	return fd;
}

/* The driver a store uses is fixed when it is made: layers of one cannot be
 * read by the other. */
static int choose_driver(struct storage *s, const char *want, cell_error **err)
{
	_cleanup_json_ json_t *rec = NULL;
	_cleanup_error_ cell_error *e = NULL;
	const char *have = NULL;
	if (faccessat(s->rootfd, "storage.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		if (json_load_file_at(s->rootfd, "storage.json", RECORD_MAX, &rec, err) < 0)
			return cell_error_prefix(err, "store %s", s->root);
		if (json_get_string(rec, "storage.json", "driver", true, &have, err) < 0)
			return cell_error_prefix(err, "store %s", s->root);
		if (!driver_by_name(have))
			return cell_error_set(err, EINVAL,
					      "store %s: unknown storage driver \"%s\" in storage.json",
					      s->root, have);
		if (want && strcmp(want, have) != 0)
			return cell_error_set(
			    err, EINVAL, "store %s uses the %s driver, not %s (use another --root for %s)",
			    s->root, have, want, want);
		s->driver = driver_by_name(have);
		return 0;
	}
	if (want) {
		s->driver = driver_by_name(want);
		if (!s->driver)
			return cell_error_set(err, EINVAL, "unknown storage driver \"%s\" (overlay or vfs)",
					      want);
		if (s->driver->probe(s, err) < 0)
			return cell_error_prefix(err, "storage driver %s", want);
	} else {
		s->driver = &storage_driver_overlay;
		if (s->driver->probe(s, &e) < 0) {
			log_info("overlay storage is not usable (%s); using vfs", e->msg);
			s->driver = &storage_driver_vfs;
		}
	}
	_cleanup_json_ json_t *out = json_pack("{s:s}", "driver", s->driver->name);
	_cleanup_free_ char *text = out ? json_dumps(out, JSON_INDENT(2)) : NULL;
	if (!text)
		return cell_error_set(err, ENOMEM, "out of memory");
	int r = write_file_atomic(s->rootfd, "storage.json", text, strlen(text), 0600);
	if (r < 0)
		return cell_error_errno(err, -r, "write %s/storage.json", s->root);
	return 0;
}

int storage_open(int rootfd, const char *root, const char *runroot, const char *driver, struct storage **out,
		 cell_error **err)
{
	_cleanup_(storage_freep) struct storage *s = calloc(1, sizeof(*s));
	if (!s)
		return cell_error_set(err, ENOMEM, "out of memory");
	s->rootfd = s->layersfd = s->containersfd = s->lockfd = -EBADF;
	s->rootless = geteuid() != 0;
	s->root = strdup(root);
	s->runroot = strdup(runroot);
	if (!s->root || !s->runroot)
		return cell_error_set(err, ENOMEM, "out of memory");
	s->rootfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	if (s->rootfd < 0)
		return cell_error_errno(err, errno, "store %s", root);
	s->lockfd = openat(s->rootfd, "store.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (s->lockfd < 0)
		return cell_error_errno(err, errno, "open %s/store.lock", root);
	if ((s->layersfd = open_subdir(s->rootfd, "layers", root, err)) < 0)
		return s->layersfd;
	if ((s->containersfd = open_subdir(s->rootfd, "containers", root, err)) < 0)
		return s->containersfd;
	/* Layers and containers are unrelated trees: each in a block group
	 * of its own, where the file system has groups. */
	dir_spread_subdirs(s->layersfd);
	dir_spread_subdirs(s->containersfd);
	/* Choosing and recording the driver is a change to the store; the
	 * lock is taken without clearing debris, which `system check` must
	 * still be able to see. */
	while (flock(s->lockfd, LOCK_EX) < 0)
		if (errno != EINTR)
			return cell_error_errno(err, errno, "lock %s/store.lock", root);
	int r = choose_driver(s, driver, err);
	flock(s->lockfd, LOCK_UN);
	if (r < 0)
		return r;
	*out = TAKE_PTR(s);
	return 0;
}

void storage_free(struct storage *s)
{
	if (!s)
		return;
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->layersfd >= 0)
		close(s->layersfd);
	if (s->containersfd >= 0)
		close(s->containersfd);
	if (s->rootfd >= 0)
		close(s->rootfd);
	free(s->root);
	free(s->runroot);
	free(s);
}

int storage_lock(struct storage *s, bool exclusive, cell_error **err)
{
	while (flock(s->lockfd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
		if (errno != EINTR)
			return cell_error_errno(err, errno, "lock %s/store.lock", s->root);
	}
	s->locked_exclusive = exclusive;
	if (exclusive) {
		/* Whoever made these died holding this lock. */
		int r = storage_remove_debris(s, err);
		if (r < 0) {
			storage_unlock(s);
			return r;
		}
	}
	return 0;
}

void storage_unlock(struct storage *s)
{
	flock(s->lockfd, LOCK_UN);
	s->locked_exclusive = false;
}

int storage_chain_id(const char *parent_chain, const char *diff_id, char *out)
{
	if (!parent_chain || !*parent_chain) {
		memcpy(out, diff_id, DIGEST_BUF);
		return 0;
	}
	char buf[2 * DIGEST_BUF + 1];
	int n = snprintf(buf, sizeof(buf), "%s %s", parent_chain, diff_id);
	return digest_buffer(buf, (size_t)n, out);
}

bool storage_layer_exists(struct storage *s, const char *chain_id)
{
	if (!digest_valid(chain_id))
		return false;
	char rec[DIGEST_BUF + 32];
	snprintf(rec, sizeof(rec), "%s/" LAYER_RECORD, digest_hex(chain_id));
	return faccessat(s->layersfd, rec, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

char *storage_layer_diff_path(struct storage *s, const char *chain_id)
{
	char *p = NULL;
	if (asprintf(&p, "%s/layers/%s/diff", s->root, digest_hex(chain_id)) < 0)
		return NULL;
	return p;
}

static int write_layer_record(int dirfd, const struct layer_record *rec, cell_error **err)
{
	_cleanup_json_ json_t *j = json_pack(
	    "{s:s, s:s, s:s, s:s, s:I, s:{s:s, s:I, s:I, s:s}}", "chainID", rec->chain_id, "diffID",
	    rec->diff_id, "parent", rec->parent, "driver", rec->driver, "tarSize", (json_int_t)rec->tar_size,
	    "tree", "digest", rec->tree.digest, "size", (json_int_t)rec->tree.size, "entries",
	    (json_int_t)rec->tree.entries, "content", tree_sum_name(rec->tree.content));
	_cleanup_free_ char *text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
	if (!text)
		return cell_error_set(err, ENOMEM, "out of memory");
	int r = write_file_atomic(dirfd, LAYER_RECORD, text, strlen(text), 0600);
	if (r < 0)
		return cell_error_errno(err, -r, "write layer record of %s", rec->chain_id);
	return 0;
}

static int copy_digest(const json_t *j, const char *where, const char *key, bool required, char *out,
		       cell_error **err)
{
	const char *v = NULL;
	int r = json_get_string(j, where, key, required, &v, err);
	if (r < 0)
		return r;
	if (!v || (!required && !*v)) {
		out[0] = '\0';
		return 0;
	}
	if (!digest_valid(v))
		return cell_error_set(err, EINVAL, "%s.%s: not a sha256 digest", where, key);
	memcpy(out, v, DIGEST_BUF);
	return 0;
}

int storage_layer_read(struct storage *s, const char *chain_id, struct layer_record *out, cell_error **err)
{
	if (!digest_valid(chain_id))
		return cell_error_set(err, EINVAL, "layer %s: not a chainID", chain_id);
	_cleanup_close_ int dfd =
	    path_open_beneath(s->layersfd, digest_hex(chain_id), O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		return cell_error_errno(err, -dfd, "layer %s", chain_id);
	_cleanup_json_ json_t *j = NULL;
	if (json_load_file_at(dfd, LAYER_RECORD, RECORD_MAX, &j, err) < 0)
		return cell_error_prefix(err, "layer %s", chain_id);
	memset(out, 0, sizeof(*out));
	const char *driver = NULL, *tree_digest = NULL, *content = NULL;
	json_t *tree = NULL;
	uint64_t u;
	const char *w = "layer.json";
	if (copy_digest(j, w, "chainID", true, out->chain_id, err) < 0 ||
	    copy_digest(j, w, "diffID", true, out->diff_id, err) < 0 ||
	    copy_digest(j, w, "parent", false, out->parent, err) < 0 ||
	    json_get_string(j, w, "driver", true, &driver, err) < 0 ||
	    json_get_u64(j, w, "tarSize", true, &out->tar_size, NULL, err) < 0 ||
	    json_get_object(j, w, "tree", true, &tree, err) < 0 ||
	    json_get_string(tree, "layer.json.tree", "digest", true, &tree_digest, err) < 0 ||
	    json_get_u64(tree, "layer.json.tree", "size", true, &out->tree.size, NULL, err) < 0 ||
	    json_get_u64(tree, "layer.json.tree", "entries", true, &u, NULL, err) < 0 ||
	    json_get_string(tree, "layer.json.tree", "content", false, &content, err) < 0)
		return cell_error_prefix(err, "layer %s", chain_id);
	out->tree.entries = u;
	/* Records from before content had a kind are SHA-256's. */
	if (content && tree_sum_from_name(content, &out->tree.content) < 0)
		return cell_error_set(err, EINVAL,
				      "layer %s: layer.json.tree.content: unknown checksum \"%s\"", chain_id,
				      content);
	if (!digest_valid(tree_digest))
		return cell_error_set(err, EINVAL, "layer %s: layer.json.tree.digest: not a sha256 digest",
				      chain_id);
	memcpy(out->tree.digest, tree_digest, DIGEST_BUF);
	snprintf(out->driver, sizeof(out->driver), "%s", driver);
	if (strcmp(out->chain_id, chain_id) != 0)
		return cell_error_set(err, EINVAL, "layer %s: its record names chainID %s", chain_id,
				      out->chain_id);
	return 0;
}

int storage_layer_verify(struct storage *s, const char *chain_id, cell_error **err)
{
	struct layer_record rec;
	int r = storage_layer_read(s, chain_id, &rec, err);
	if (r < 0)
		return r;
	if (strcmp(rec.driver, s->driver->name) != 0)
		return cell_error_set(err, EINVAL, "layer %s: made by the %s driver, the store uses %s",
				      chain_id, rec.driver, s->driver->name);
	char check[DIGEST_BUF];
	storage_chain_id(rec.parent, rec.diff_id, check);
	if (strcmp(check, chain_id) != 0)
		return cell_error_set(err, EINVAL, "layer %s: parent and diffID give chainID %s", chain_id,
				      check);
	char diff[DIGEST_BUF + 16];
	snprintf(diff, sizeof(diff), "%s/diff", digest_hex(chain_id));
	_cleanup_close_ int dfd = path_open_beneath(s->layersfd, diff, O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		return cell_error_errno(err, -dfd, "layer %s: its tree", chain_id);
	struct tree_summary now;
	char what[DIGEST_BUF + 16];
	snprintf(what, sizeof(what), "layer %.19s", chain_id);
	r = tree_summarize(dfd, what, rec.tree.content, NULL, &now, err);
	if (r < 0)
		return r;
	if (strcmp(now.digest, rec.tree.digest) != 0 || now.size != rec.tree.size ||
	    now.entries != rec.tree.entries)
		return cell_error_set(
		    err, EBADMSG,
		    "layer %s: its tree differs from its record (%llu entries, %llu bytes now; "
		    "%llu entries, %llu bytes recorded)",
		    chain_id, (unsigned long long)now.entries, (unsigned long long)now.size,
		    (unsigned long long)rec.tree.entries, (unsigned long long)rec.tree.size);
	return 0;
}

/* Build one layer in layers/.tmp-HEX: its tree, then its record. */
static int build_layer(struct storage *s, const struct layer_source *src, const char *chain_id,
		       const char *parent, cell_error **err)
{
	char tmp[DIGEST_BUF + 16];
	snprintf(tmp, sizeof(tmp), TMP_PREFIX "%s", digest_hex(chain_id));
	int r = remove_tree_at(s->layersfd, tmp);
	if (r < 0)
		return cell_error_errno(err, -r, "remove stale %s/layers/%s", s->root, tmp);
	if (mkdirat(s->layersfd, tmp, 0700) < 0)
		return cell_error_errno(err, errno, "create %s/layers/%s", s->root, tmp);
	_cleanup_close_ int tfd = path_open_beneath(s->layersfd, tmp, O_RDONLY | O_DIRECTORY);
	if (tfd < 0)
		return cell_error_errno(err, -tfd, "open %s/layers/%s", s->root, tmp);
	if (mkdirat(tfd, "diff", 0755) < 0 || mkdirat(tfd, "refs", 0700) < 0)
		return cell_error_errno(err, errno, "create %s/layers/%s", s->root, tmp);
	_cleanup_close_ int diff = path_open_beneath(tfd, "diff", O_RDONLY | O_DIRECTORY);
	if (diff < 0)
		return cell_error_errno(err, -diff, "open %s/layers/%s/diff", s->root, tmp);

	_cleanup_close_ int parent_diff = -EBADF;
	if (parent && *parent && !s->driver->independent_layers) {
		char p[DIGEST_BUF + 16];
		snprintf(p, sizeof(p), "%s/diff", digest_hex(parent));
		parent_diff = path_open_beneath(s->layersfd, p, O_RDONLY | O_DIRECTORY);
		if (parent_diff < 0)
			return cell_error_errno(err, -parent_diff, "layer %s: parent layer %s", chain_id,
						parent);
	}
	r = s->driver->prepare_layer(s, parent_diff, diff, err);
	if (r < 0)
		return r;

	struct unpack_options o = {
	    .whiteouts = s->driver->whiteouts,
	    .rootless = s->rootless,
	    .what = src->what,
	    .hash_contents = true,
	    .content_sum = LAYER_CONTENT_SUM,
	    .direct_io = s->direct_io,
	};
	_cleanup_(unpack_result_clear) struct unpack_result res = {0};
	if (lseek(src->fd, 0, SEEK_SET) < 0)
		return cell_error_errno(err, errno, "%s: rewind", src->what);
	struct timespec t0, t1, t2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = layer_unpack(src->fd, diff, &o, &res, err);
	if (r < 0)
		return r;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (strcmp(res.diff_id, src->diff_id) != 0)
		return cell_error_set(err, EBADMSG,
				      "%s: uncompressed content is %s, the image config says %s", src->what,
				      res.diff_id, src->diff_id);

	struct layer_record rec = {.tar_size = res.tar_size};
	memcpy(rec.chain_id, chain_id, DIGEST_BUF);
	memcpy(rec.diff_id, src->diff_id, DIGEST_BUF);
	snprintf(rec.parent, sizeof(rec.parent), "%s", parent ? parent : "");
	snprintf(rec.driver, sizeof(rec.driver), "%s", s->driver->name);
	r = tree_summarize(diff, src->what, LAYER_CONTENT_SUM, res.contents, &rec.tree, err);
	if (r < 0)
		return r;
	clock_gettime(CLOCK_MONOTONIC, &t2);
	log_debug("%s: unpacked in %.3f s, summarised in %.3f s", src->what,
		  (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		  (double)(t2.tv_sec - t1.tv_sec) + (double)(t2.tv_nsec - t1.tv_nsec) / 1e9);
	return write_layer_record(tfd, &rec, err);
}

static int commit_layer(struct storage *s, const char *chain_id, cell_error **err)
{
	char tmp[DIGEST_BUF + 16];
	snprintf(tmp, sizeof(tmp), TMP_PREFIX "%s", digest_hex(chain_id));
	if (renameat(s->layersfd, tmp, s->layersfd, digest_hex(chain_id)) < 0)
		return cell_error_errno(err, errno, "commit layer %s", chain_id);
	return 0;
}

/* Layers unpacked ahead of their chain (storage_unpack_start). */
struct layer_job {
	pid_t pid;
	int fd; /* the worker's result pipe; -1 once read */
	char tmp[64];
	int status; /* after the worker ended: 0, or a negative errno */
	char *msg;  /* its error message */
	char diff_id[DIGEST_BUF];
	uint64_t tar_size;
	struct tree_summary tree;
	bool adopted;
};

/* The worker: unpack into TMP/diff and report "diffID tarSize treeDigest
 * treeSize entries", or "!errno message". */
static void job_child(struct storage *s, int fd, const char *what, const char *trusted, const char *tmp,
		      int out)
{
	char msg[4096];
	cell_error *e = NULL;
	char p[128];
	snprintf(p, sizeof(p), "%s/diff", tmp);
	int diff = path_open_beneath(s->layersfd, p, O_RDONLY | O_DIRECTORY);
	struct unpack_options o = {
	    .whiteouts = s->driver->whiteouts,
	    .rootless = s->rootless,
	    .what = what,
	    .hash_contents = true,
	    .content_sum = LAYER_CONTENT_SUM,
	    .direct_io = s->direct_io,
	    .trusted_digest = trusted,
	};
	struct unpack_result res = {0};
	struct tree_summary tree;
	struct timespec t0, t1, t2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = diff < 0 ? cell_error_errno(&e, -diff, "open %s", p) : layer_unpack(fd, diff, &o, &res, &e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (r == 0)
		r = tree_summarize(diff, what, LAYER_CONTENT_SUM, res.contents, &tree, &e);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	/* Flushed here, beside the other layers' work: the store's flush
	 * before it names the image then finds little left to write. */
	if (r == 0)
		syncfs(diff);
	struct timespec t3;
	clock_gettime(CLOCK_MONOTONIC, &t3);
	log_debug("%s: unpacked ahead in %.3f s, summarised in %.3f s, flushed in %.3f s", what,
		  (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		  (double)(t2.tv_sec - t1.tv_sec) + (double)(t2.tv_nsec - t1.tv_nsec) / 1e9,
		  (double)(t3.tv_sec - t2.tv_sec) + (double)(t3.tv_nsec - t2.tv_nsec) / 1e9);
	int n = r == 0 ? snprintf(msg, sizeof(msg), "%s %llu %s %llu %llu", res.diff_id,
				  (unsigned long long)res.tar_size, tree.digest,
				  (unsigned long long)tree.size, (unsigned long long)tree.entries)
		       : snprintf(msg, sizeof(msg), "!%d %s", e ? e->code : EIO, e ? e->msg : "failed");
	write_all(out, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
	_exit(r < 0 ? 1 : 0);
}

/* In a worker: close the pipes and sockets inherited from the parent
 * (other than keep). A stream a worker reads ends only when every copy of
 * its write end is closed, and the parent may be feeding several workers
 * through pipes whose write ends each later worker would otherwise hold. */
static void close_inherited_streams(const int *keep, size_t n)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	int self = dirfd(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);
		bool kept = fd <= 2 || fd == self;
		for (size_t i = 0; i < n && !kept; i++)
			kept = keep[i] == fd;
		struct stat st;
		if (!kept && fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
			close(fd);
	}
	closedir(d);
}

int storage_unpack_start(struct storage *s, int fd, const char *what, const char *trusted,
			 struct layer_job **out, cell_error **err)
{
	static unsigned counter;
	if (!s->driver->independent_layers)
		return -EOPNOTSUPP;
	_cleanup_free_ struct layer_job *j = calloc(1, sizeof(*j));
	if (!j)
		return cell_error_set(err, ENOMEM, "out of memory");
	j->fd = -1;
	snprintf(j->tmp, sizeof(j->tmp), TMP_PREFIX "job-%d-%u", (int)getpid(), counter++);
	if (mkdirat(s->layersfd, j->tmp, 0700) < 0)
		return cell_error_errno(err, errno, "create %s/layers/%s", s->root, j->tmp);
	char p[128];
	snprintf(p, sizeof(p), "%s/diff", j->tmp);
	char q[128];
	snprintf(q, sizeof(q), "%s/refs", j->tmp);
	if (mkdirat(s->layersfd, p, 0755) < 0 || mkdirat(s->layersfd, q, 0700) < 0) {
		int e = errno;
		remove_tree_at(s->layersfd, j->tmp);
		return cell_error_errno(err, e, "create %s/layers/%s", s->root, j->tmp);
	}
	int pp[2];
	if (pipe2(pp, O_CLOEXEC) < 0) {
		int e = errno;
		remove_tree_at(s->layersfd, j->tmp);
		return cell_error_errno(err, e, "pipe");
	}
	j->pid = fork();
	if (j->pid < 0) {
		int e = errno;
		close(pp[0]);
		close(pp[1]);
		remove_tree_at(s->layersfd, j->tmp);
		return cell_error_errno(err, e, "fork");
	}
	if (j->pid == 0) {
		close(pp[0]);
		int keep[] = {fd, pp[1]};
		close_inherited_streams(keep, ARRAY_SIZE(keep));
		job_child(s, fd, what, trusted, j->tmp, pp[1]);
	}
	close(pp[1]);
	j->fd = pp[0];
	*out = TAKE_PTR(j);
	return 0;
}

bool storage_unpack_running(const struct layer_job *job)
{
	if (job->fd < 0)
		return false;
	struct pollfd p = {.fd = job->fd, .events = POLLIN};
	return poll(&p, 1, 0) == 0;
}

/* Wait for the worker and take its report. */
static int job_finish(struct layer_job *j, cell_error **err)
{
	if (j->fd >= 0) {
		_cleanup_free_ char *msg = NULL;
		int r = read_all(j->fd, 8192, &msg, NULL);
		close(j->fd);
		j->fd = -1;
		int status = 0;
		while (waitpid(j->pid, &status, 0) < 0 && errno == EINTR)
			;
		unsigned long long ts = 0, size = 0, entries = 0;
		char digest[DIGEST_BUF + 8] = "";
		if (r == 0 && msg && msg[0] != '!' && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
		    sscanf(msg, "%71s %llu %71s %llu %llu", j->diff_id, &ts, digest, &size, &entries) == 5 &&
		    digest_valid(j->diff_id) && digest_valid(digest)) {
			j->tar_size = ts;
			memcpy(j->tree.digest, digest, DIGEST_BUF);
			j->tree.size = size;
			j->tree.entries = entries;
			j->tree.content = LAYER_CONTENT_SUM;
			j->status = 0;
		} else {
			j->status = msg && msg[0] == '!' ? -atoi(msg + 1) : -EIO;
			if (j->status == 0)
				j->status = -EIO;
			const char *sp = msg && msg[0] == '!' ? strchr(msg, ' ') : NULL;
			j->msg = strdup(sp                    ? sp + 1
					: WIFSIGNALED(status) ? "layer unpack process killed"
							      : "layer unpack process failed");
		}
	}
	if (j->status < 0)
		return cell_error_set(err, -j->status, "%s", j->msg ? j->msg : "layer unpack failed");
	return 0;
}

/* Give a finished job's tree its place in a chain (after its content is on
 * disk: the caller synced). */
static int job_adopt(struct storage *s, struct layer_job *j, const char *chain_id, const char *parent,
		     cell_error **err)
{
	_cleanup_close_ int tfd = path_open_beneath(s->layersfd, j->tmp, O_RDONLY | O_DIRECTORY);
	if (tfd < 0)
		return cell_error_errno(err, -tfd, "open %s/layers/%s", s->root, j->tmp);
	struct layer_record rec = {.tar_size = j->tar_size, .tree = j->tree};
	memcpy(rec.chain_id, chain_id, DIGEST_BUF);
	memcpy(rec.diff_id, j->diff_id, DIGEST_BUF);
	snprintf(rec.parent, sizeof(rec.parent), "%s", parent ? parent : "");
	snprintf(rec.driver, sizeof(rec.driver), "%s", s->driver->name);
	int r = write_layer_record(tfd, &rec, err);
	if (r < 0)
		return r;
	if (renameat(s->layersfd, j->tmp, s->layersfd, digest_hex(chain_id)) < 0)
		return cell_error_errno(err, errno, "commit layer %s", chain_id);
	j->adopted = true;
	return 0;
}

int storage_unpack_finish(struct layer_job *job, cell_error **err)
{
	return job_finish(job, err);
}

void storage_unpack_discard(struct storage *s, struct layer_job *job)
{
	if (!job)
		return;
	if (job->fd >= 0) {
		kill(job->pid, SIGKILL);
		job_finish(job, NULL);
	}
	if (!job->adopted)
		remove_tree_at(s->layersfd, job->tmp);
	free(job->msg);
	free(job);
}

/* A worker process per layer: its error travels back as text on a pipe. */
struct worker {
	pid_t pid;
	int fd;
	size_t index;
};

static int start_worker(struct storage *s, const struct layer_source *src, const char *chain_id,
			const char *parent, size_t index, struct worker *w, cell_error **err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return cell_error_errno(err, errno, "pipe");
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return cell_error_errno(err, errno, "fork");
	}
	if (pid == 0) {
		close(p[0]);
		cell_error *e = NULL;
		int r = build_layer(s, src, chain_id, parent, &e);
		if (r < 0) {
			char msg[4096];
			int n = snprintf(msg, sizeof(msg), "%d %s", e ? e->code : EIO, e ? e->msg : "failed");
			write_all(p[1], msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
		}
		_exit(r < 0 ? 1 : 0);
	}
	close(p[1]);
	w->pid = pid;
	w->fd = p[0];
	w->index = index;
	return 0;
}

static int finish_worker(struct worker *w, cell_error **err)
{
	_cleanup_free_ char *msg = NULL;
	int r = read_all(w->fd, 8192, &msg, NULL);
	close(w->fd);
	w->fd = -1;
	int status = 0;
	while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (r == 0 && msg && *msg) {
		char *sp = strchr(msg, ' ');
		int code = atoi(msg);
		return cell_error_set(err, code > 0 ? code : EIO, "%s", sp ? sp + 1 : msg);
	}
	if (WIFSIGNALED(status))
		return cell_error_set(err, EIO, "layer unpack process killed by signal %d", WTERMSIG(status));
	return cell_error_set(err, EIO, "layer unpack process failed with status %d", WEXITSTATUS(status));
}

struct pending {
	size_t index;
	off_t size;
};

static int by_size_desc(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;
	return x->size < y->size ? 1 : x->size > y->size ? -1 : 0;
}

static int parallelism(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	const char *env = getenv("CELL_UNPACK_JOBS");
	if (env && atoi(env) > 0)
		n = atoi(env);
	return n < 1 ? 1 : n > 16 ? 16 : (int)n;
}

int storage_create_chain(struct storage *s, size_t n, const struct layer_source *src,
			 char (*chain_ids)[DIGEST_BUF], cell_error **err)
{
	for (size_t i = 0; i < n; i++) {
		if (!digest_valid(src[i].diff_id))
			return cell_error_set(err, EINVAL, "%s: diffID \"%s\" is not a sha256 digest",
					      src[i].what, src[i].diff_id);
		storage_chain_id(i ? chain_ids[i - 1] : NULL, src[i].diff_id, chain_ids[i]);
	}
	if (!s->driver->independent_layers) {
		for (size_t i = 0; i < n; i++) {
			if (storage_layer_exists(s, chain_ids[i]))
				continue;
			int r = build_layer(s, &src[i], chain_ids[i], i ? chain_ids[i - 1] : NULL, err);
			if (r == 0)
				r = commit_layer(s, chain_ids[i], err);
			if (r < 0)
				return r;
		}
		return 0;
	}

	_cleanup_free_ struct worker *w = calloc(n ? n : 1, sizeof(*w));
	_cleanup_free_ bool *built = calloc(n ? n : 1, sizeof(bool));
	_cleanup_free_ struct pending *order = calloc(n ? n : 1, sizeof(*order));
	_cleanup_free_ struct pollfd *pfd = calloc(n ? n : 1, sizeof(*pfd));
	if (!w || !built || !order || !pfd)
		return cell_error_set(err, ENOMEM, "out of memory");
	/* Largest first (longest processing time first): the big layers must
	 * not wait behind small ones for a processor. */
	/* Layers already unpacked ahead (or being unpacked) are adopted, not
	 * built again; a job whose diffID is not the config's fails the chain. */
	_cleanup_free_ bool *adopt = calloc(n ? n : 1, sizeof(bool));
	if (!adopt)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (!src[i].job || storage_layer_exists(s, chain_ids[i]))
			continue;
		int jr = job_finish(src[i].job, err);
		if (jr < 0)
			return cell_error_prefix(err, "%s", src[i].what);
		if (strcmp(src[i].job->diff_id, src[i].diff_id) != 0)
			return cell_error_set(err, EBADMSG,
					      "%s: uncompressed content is %s, the image config says %s",
					      src[i].what, src[i].job->diff_id, src[i].diff_id);
		adopt[i] = true;
	}
	size_t todo = 0;
	for (size_t i = 0; i < n; i++) {
		if (adopt[i] || storage_layer_exists(s, chain_ids[i]))
			continue;
		struct stat st;
		order[todo].index = i;
		order[todo].size = fstat(src[i].fd, &st) == 0 ? st.st_size : 0;
		todo++;
	}
	qsort(order, todo, sizeof(*order), by_size_desc);
	int jobs = parallelism(), running = 0, r = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	size_t next = 0, nw = 0;
	for (;;) {
		while (r == 0 && running < jobs && next < todo) {
			size_t i = order[next++].index;
			r = start_worker(s, &src[i], chain_ids[i], i ? chain_ids[i - 1] : NULL, i, &w[nw],
					 err);
			if (r == 0) {
				nw++;
				running++;
			}
		}
		if (running == 0)
			break;
		/* Reap whichever finishes first (its pipe closes when it exits). A
		 * failure stops new starts, and the others are still waited for,
		 * so that none outlives us. */
		nfds_t np = 0;
		for (size_t k = 0; k < nw; k++)
			if (w[k].fd >= 0)
				pfd[np++] = (struct pollfd){.fd = w[k].fd, .events = POLLIN};
		if (poll(pfd, np, -1) < 0) {
			if (errno == EINTR)
				continue;
			if (r == 0)
				r = cell_error_errno(err, errno, "wait for layer unpack processes");
			for (size_t k = 0; k < nw; k++)
				if (w[k].fd >= 0) {
					kill(w[k].pid, SIGKILL);
					finish_worker(&w[k], NULL);
				}
			break;
		}
		for (size_t k = 0; k < nw; k++) {
			bool ready = false;
			for (nfds_t j = 0; j < np; j++)
				ready = ready || (pfd[j].fd == w[k].fd && pfd[j].revents);
			if (w[k].fd < 0 || !ready)
				continue;
			cell_error *e = NULL;
			int rr = finish_worker(&w[k], &e);
			running--;
			if (rr < 0 && r == 0) {
				r = rr;
				if (err)
					*err = e;
				else
					cell_error_free(e);
				for (size_t j = 0; j < nw; j++)
					if (w[j].fd >= 0)
						kill(w[j].pid, SIGTERM);
			} else {
				cell_error_free(e);
				if (rr == 0)
					built[w[k].index] = true;
			}
		}
	}
	if (r < 0)
		return r;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_debug("%zu layers unpacked in %.3f s", nw,
		  (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	/* Everything on disk before any of it becomes visible. */
	syncfs(s->layersfd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	log_debug("synced in %.3f s",
		  (double)(t0.tv_sec - t1.tv_sec) + (double)(t0.tv_nsec - t1.tv_nsec) / 1e9);
	for (size_t i = 0; i < n; i++) {
		if (built[i])
			r = commit_layer(s, chain_ids[i], err);
		else if (adopt[i] && !storage_layer_exists(s, chain_ids[i]))
			r = job_adopt(s, src[i].job, chain_ids[i], i ? chain_ids[i - 1] : NULL, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int holder_valid(const char *holder)
{
	if (!*holder || strlen(holder) > 200 || strchr(holder, '/') || holder[0] == '.')
		return -EINVAL;
	return 0;
}

static int open_refs(struct storage *s, const char *chain_id, cell_error **err)
{
	if (!digest_valid(chain_id))
		return cell_error_set(err, EINVAL, "layer %s: not a chainID", chain_id);
	char p[DIGEST_BUF + 16];
	snprintf(p, sizeof(p), "%s/refs", digest_hex(chain_id));
	int fd = path_open_beneath(s->layersfd, p, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return cell_error_errno(err, -fd, "layer %s: references", chain_id);
	return fd;
}

int storage_layer_add_ref(struct storage *s, const char *chain_id, const char *holder, cell_error **err)
{
	if (holder_valid(holder) < 0)
		return cell_error_set(err, EINVAL, "invalid layer holder \"%s\"", holder);
	_cleanup_close_ int rfd = open_refs(s, chain_id, err);
	if (rfd < 0)
		return rfd;
	_cleanup_close_ int fd = openat(rfd, holder, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return cell_error_errno(err, errno, "layer %s: add reference %s", chain_id, holder);
	if (!s->not_durable)
		fsync(rfd);
	return 0;
}

int storage_layer_drop_ref(struct storage *s, const char *chain_id, const char *holder, cell_error **err)
{
	if (holder_valid(holder) < 0)
		return cell_error_set(err, EINVAL, "invalid layer holder \"%s\"", holder);
	_cleanup_close_ int rfd = open_refs(s, chain_id, err);
	if (rfd < 0)
		return rfd;
	if (unlinkat(rfd, holder, 0) < 0 && errno != ENOENT)
		return cell_error_errno(err, errno, "layer %s: drop reference %s", chain_id, holder);
	return 0;
}

int storage_layer_refs(struct storage *s, const char *chain_id, char ***holders, cell_error **err)
{
	_cleanup_close_ int rfd = open_refs(s, chain_id, err);
	if (rfd < 0)
		return rfd;
	int r = dir_names(rfd, NULL, NULL, false, holders, NULL);
	if (r < 0)
		return cell_error_errno(err, -r, "layer %s: references", chain_id);
	return 0;
}

int storage_layer_remove(struct storage *s, const char *chain_id, cell_error **err)
{
	_cleanup_strv_ char **refs = NULL;
	int r = storage_layer_refs(s, chain_id, &refs, err);
	if (r < 0)
		return r;
	if (refs[0])
		return cell_error_set(err, EBUSY, "layer %s is in use by %s", chain_id, refs[0]);
	/* Rename first: a half-removed layer must not look like a layer. */
	char tmp[DIGEST_BUF + 16];
	snprintf(tmp, sizeof(tmp), TMP_PREFIX "rm-%s", digest_hex(chain_id));
	if (renameat(s->layersfd, digest_hex(chain_id), s->layersfd, tmp) < 0)
		return cell_error_errno(err, errno, "remove layer %s", chain_id);
	r = remove_tree_at(s->layersfd, tmp);
	if (r < 0)
		return cell_error_errno(err, -r, "remove layer %s", chain_id);
	return 0;
}

static bool is_layer_name(const char *name, void *unused)
{
	return digest_hex_valid(name);
}

int storage_layer_list(struct storage *s, char ***chain_ids, cell_error **err)
{
	_cleanup_strv_ char **names = NULL;
	int r = dir_names(s->layersfd, is_layer_name, NULL, false, &names, NULL);
	if (r < 0)
		return cell_error_errno(err, -r, "list %s/layers", s->root);
	for (size_t i = 0; names[i]; i++) {
		char *d = NULL;
		if (asprintf(&d, DIGEST_PREFIX "%s", names[i]) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
		free(names[i]);
		names[i] = d;
	}
	*chain_ids = TAKE_PTR(names);
	return 0;
}

static bool is_debris(const char *name, void *unused)
{
	return strncmp(name, TMP_PREFIX, sizeof(TMP_PREFIX) - 1) == 0;
}

int storage_list_debris(struct storage *s, char ***names, cell_error **err)
{
	_cleanup_strv_ char **v = NULL, **l = NULL, **c = NULL;
	if (dir_names(s->layersfd, is_debris, NULL, false, &l, NULL) < 0 ||
	    dir_names(s->containersfd, is_debris, NULL, false, &c, NULL) < 0)
		return cell_error_errno(err, errno, "list %s", s->root);
	for (size_t i = 0; l[i]; i++) {
		char *p = NULL;
		if (asprintf(&p, "layers/%s", l[i]) < 0 || strv_push_take(&v, p) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
	}
	for (size_t i = 0; c[i]; i++) {
		char *p = NULL;
		if (asprintf(&p, "containers/%s", c[i]) < 0 || strv_push_take(&v, p) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
	}
	if (!v && !(v = calloc(1, sizeof(char *))))
		return cell_error_set(err, ENOMEM, "out of memory");
	*names = TAKE_PTR(v);
	return 0;
}

/* A container directory being made or removed holds references on its
 * layers (made before its rename into place, dropped after its rename
 * away): they go with it. */
static void drop_debris_refs(struct storage *s, const char *debris)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/layer.json", debris);
	_cleanup_json_ json_t *rec = NULL;
	if (json_load_file_at(s->rootfd, p, RECORD_MAX, &rec, NULL) < 0)
		return;
	const char *id = json_string_value(json_object_get(rec, "id"));
	if (!id || container_id_valid(id) < 0)
		return;
	char holder[256];
	snprintf(holder, sizeof(holder), "container-%s", id);
	/* Not while the container itself still exists under its name. */
	if (faccessat(s->containersfd, id, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return;
	json_t *layers = json_object_get(rec, "layers"), *l;
	size_t i;
	json_array_foreach (layers, i, l) {
		const char *c = json_string_value(l);
		if (c && storage_layer_exists(s, c))
			storage_layer_drop_ref(s, c, holder, NULL);
	}
}

int storage_remove_debris(struct storage *s, cell_error **err)
{
	_cleanup_strv_ char **v = NULL;
	int r = storage_list_debris(s, &v, err);
	if (r < 0)
		return r;
	for (size_t i = 0; v[i]; i++) {
		log_debug("removing %s/%s, left by an interrupted change", s->root, v[i]);
		if (strncmp(v[i], "containers/", 11) == 0)
			drop_debris_refs(s, v[i]);
		r = remove_tree_at(s->rootfd, v[i]);
		if (r < 0)
			return cell_error_errno(err, -r, "remove %s/%s", s->root, v[i]);
	}
	return 0;
}

/* Containers. */

static int container_id_valid(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > 128 || id[0] == '.')
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') ||
		      (id[i] >= '0' && id[i] <= '9') || id[i] == '_' || id[i] == '-' || id[i] == '.'))
			return -EINVAL;
	return 0;
}

static int read_container(struct storage *s, const char *id, json_t **out, cell_error **err)
{
	if (container_id_valid(id) < 0)
		return cell_error_set(err, EINVAL, "invalid container id \"%s\"", id);
	_cleanup_close_ int cfd = path_open_beneath(s->containersfd, id, O_RDONLY | O_DIRECTORY);
	if (cfd < 0)
		return cell_error_errno(err, -cfd, "container %s", id);
	if (json_load_file_at(cfd, "layer.json", RECORD_MAX, out, err) < 0)
		return cell_error_prefix(err, "container %s", id);
	return 0;
}

int storage_container_create(struct storage *s, const char *id, const char *image, size_t n,
			     char (*chain_ids)[DIGEST_BUF], cell_error **err)
{
	return storage_container_create_with(s, id, image, n, chain_ids, NULL, NULL, err);
}

int storage_container_create_with(struct storage *s, const char *id, const char *image, size_t n,
				  char (*chain_ids)[DIGEST_BUF], storage_container_fill_fn fill, void *data,
				  cell_error **err)
{
	if (container_id_valid(id) < 0)
		return cell_error_set(err, EINVAL, "invalid container id \"%s\"", id);
	if (faccessat(s->containersfd, id, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return cell_error_set(err, EEXIST, "container %s already exists", id);
	char holder[256], tmp[256];
	snprintf(holder, sizeof(holder), "container-%s", id);
	snprintf(tmp, sizeof(tmp), TMP_PREFIX "%s", id);
	_cleanup_json_ json_t *layers = json_array();
	for (size_t i = 0; i < n; i++) {
		if (!storage_layer_exists(s, chain_ids[i]))
			return cell_error_set(err, ENOENT, "container %s: layer %s does not exist", id,
					      chain_ids[i]);
		json_array_append_new(layers, json_string(chain_ids[i]));
	}
	int r = remove_tree_at(s->containersfd, tmp);
	if (r < 0 || mkdirat(s->containersfd, tmp, 0700) < 0)
		return cell_error_errno(err, r < 0 ? -r : errno, "create container %s", id);
	_cleanup_close_ int cfd = path_open_beneath(s->containersfd, tmp, O_RDONLY | O_DIRECTORY);
	if (cfd < 0)
		return cell_error_errno(err, -cfd, "create container %s", id);
	_cleanup_close_ int top = -EBADF;
	if (n > 0) {
		char p[DIGEST_BUF + 16];
		snprintf(p, sizeof(p), "%s/diff", digest_hex(chain_ids[n - 1]));
		top = path_open_beneath(s->layersfd, p, O_RDONLY | O_DIRECTORY);
		if (top < 0)
			return cell_error_errno(err, -top, "container %s: layer %s", id, chain_ids[n - 1]);
	}
	r = s->driver->create_rw(s, top, cfd, err);
	if (r < 0)
		return cell_error_prefix(err, "create container %s", id);
	_cleanup_json_ json_t *rec = json_pack("{s:s, s:s, s:s, s:O}", "id", id, "image", image, "driver",
					       s->driver->name, "layers", layers);
	_cleanup_free_ char *text = rec ? json_dumps(rec, JSON_INDENT(2)) : NULL;
	if (!text)
		return cell_error_set(err, ENOMEM, "out of memory");
	r = write_file_replace(cfd, "layer.json", text, strlen(text), 0600, !s->not_durable);
	if (r < 0)
		return cell_error_errno(err, -r, "create container %s: write its record", id);
	if (fill && (r = fill(cfd, data, err)) < 0)
		return cell_error_prefix(err, "create container %s", id);
	for (size_t i = 0; i < n; i++)
		if ((r = storage_layer_add_ref(s, chain_ids[i], holder, err)) < 0)
			return r;
	if (renameat(s->containersfd, tmp, s->containersfd, id) < 0)
		return cell_error_errno(err, errno, "create container %s", id);
	return 0;
}

static int container_layers(json_t *rec, const char *id, char ***paths, size_t *n, struct storage *s,
			    cell_error **err)
{
	json_t *layers = NULL;
	if (json_get_array(rec, "layer.json", "layers", true, &layers, err) < 0)
		return cell_error_prefix(err, "container %s", id);
	_cleanup_strv_ char **v = calloc(json_array_size(layers) + 1, sizeof(char *));
	if (!v)
		return cell_error_set(err, ENOMEM, "out of memory");
	size_t cnt = json_array_size(layers);
	/* Topmost first, as overlayfs wants them. */
	for (size_t i = 0; i < cnt; i++) {
		const char *c = json_string_value(json_array_get(layers, cnt - 1 - i));
		if (!c || !digest_valid(c))
			return cell_error_set(err, EINVAL,
					      "container %s: layer.json.layers[%zu]: not a chainID", id,
					      cnt - 1 - i);
		if (!(v[i] = storage_layer_diff_path(s, c)))
			return cell_error_set(err, ENOMEM, "out of memory");
	}
	*n = cnt;
	*paths = TAKE_PTR(v);
	return 0;
}

static int is_at(const struct mountinfo_entry *m, void *path)
{
	return strcmp(m->mountpoint, path) == 0;
}

static bool is_mountpoint(const char *path)
{
	struct stat a, b;
	_cleanup_free_ char *parent = NULL;
	if (asprintf(&parent, "%s/..", path) < 0)
		return false;
	if (stat(path, &a) < 0 || stat(parent, &b) < 0)
		return false;
	if (a.st_dev != b.st_dev)
		return true;
	/* Same device: a bind mount of the same file system shows in mountinfo only. */
	return mountinfo_foreach("/proc/self/mountinfo", is_at, (void *)path) > 0;
}

int storage_container_mount(struct storage *s, const char *id, char **rootfs, cell_error **err)
{
	return storage_container_mount_flags(s, id, 0, rootfs, err);
}

int storage_container_mount_flags(struct storage *s, const char *id, unsigned flags, char **rootfs,
				  cell_error **err)
{
	_cleanup_json_ json_t *rec = NULL;
	int r = read_container(s, id, &rec, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *cdir = NULL, *target = NULL;
	if (asprintf(&cdir, "%s/containers/%s", s->root, id) < 0 ||
	    asprintf(&target, "%s/%s", cdir, s->driver->rootfs_name) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	if (s->driver->mount && !is_mountpoint(target)) {
		_cleanup_strv_ char **paths = NULL;
		size_t n = 0;
		r = container_layers(rec, id, &paths, &n, s, err);
		if (r < 0)
			return r;
		r = s->driver->mount(s, n, paths, cdir, target, flags, err);
		if (r < 0)
			return cell_error_prefix(err, "mount container %s", id);
	}
	*rootfs = TAKE_PTR(target);
	return 0;
}

static int unmount_path(const char *target, cell_error **err)
{
	while (is_mountpoint(target)) {
		if (umount2(target, UMOUNT_NOFOLLOW) < 0 && umount2(target, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
			return cell_error_errno(err, errno, "unmount %s", target);
	}
	return 0;
}

int storage_container_unmount(struct storage *s, const char *id, cell_error **err)
{
	if (container_id_valid(id) < 0)
		return cell_error_set(err, EINVAL, "invalid container id \"%s\"", id);
	if (!s->driver->mount)
		return 0;
	_cleanup_free_ char *target = NULL;
	if (asprintf(&target, "%s/containers/%s/%s", s->root, id, s->driver->rootfs_name) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	return unmount_path(target, err);
}

int storage_container_remove(struct storage *s, const char *id, cell_error **err)
{
	_cleanup_json_ json_t *rec = NULL;
	int r = read_container(s, id, &rec, err);
	if (r < 0)
		return r;
	r = storage_container_unmount(s, id, err);
	if (r < 0)
		return r;
	char holder[256], tmp[256];
	snprintf(holder, sizeof(holder), "container-%s", id);
	snprintf(tmp, sizeof(tmp), TMP_PREFIX "rm-%s", id);
	if (renameat(s->containersfd, id, s->containersfd, tmp) < 0)
		return cell_error_errno(err, errno, "remove container %s", id);
	json_t *layers = json_object_get(rec, "layers"), *l;
	size_t i;
	json_array_foreach (layers, i, l) {
		const char *c = json_string_value(l);
		if (c && storage_layer_exists(s, c) && (r = storage_layer_drop_ref(s, c, holder, err)) < 0)
			return r;
	}
	r = remove_tree_at(s->containersfd, tmp);
	if (r < 0)
		return cell_error_errno(err, -r, "remove container %s", id);
	return 0;
}

static bool is_container_name(const char *name, void *unused)
{
	return container_id_valid(name) == 0;
}

int storage_container_list(struct storage *s, char ***ids, cell_error **err)
{
	int r = dir_names(s->containersfd, is_container_name, NULL, false, ids, NULL);
	if (r < 0)
		return cell_error_errno(err, -r, "list %s/containers", s->root);
	return 0;
}

int storage_container_image(struct storage *s, const char *id, char **image, cell_error **err)
{
	_cleanup_json_ json_t *rec = NULL;
	int r = read_container(s, id, &rec, err);
	if (r < 0)
		return r;
	const char *img = NULL;
	if (json_get_string(rec, "layer.json", "image", true, &img, err) < 0)
		return cell_error_prefix(err, "container %s", id);
	*image = strdup(img);
	return *image ? 0 : cell_error_set(err, ENOMEM, "out of memory");
}

static int image_mount_path(struct storage *s, const char *key, char **out, cell_error **err)
{
	if (container_id_valid(key) < 0)
		return cell_error_set(err, EINVAL, "invalid image mount key \"%s\"", key);
	if (asprintf(out, "%s/image-mounts/%s", s->runroot, key) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	return 0;
}

int storage_image_mount(struct storage *s, const char *key, size_t n, char (*chain_ids)[DIGEST_BUF],
			char **path, cell_error **err)
{
	if (!s->driver->mount) {
		if (n == 0)
			return cell_error_set(err, EINVAL, "image %s has no layers to show", key);
		*path = storage_layer_diff_path(s, chain_ids[n - 1]);
		return *path ? 0 : cell_error_set(err, ENOMEM, "out of memory");
	}
	_cleanup_free_ char *target = NULL;
	int r = image_mount_path(s, key, &target, err);
	if (r < 0)
		return r;
	r = mkdir_parents(target, 0700);
	if (r < 0)
		return cell_error_errno(err, -r, "create %s", target);
	if (!is_mountpoint(target)) {
		_cleanup_strv_ char **paths = calloc(n + 1, sizeof(char *));
		if (!paths)
			return cell_error_set(err, ENOMEM, "out of memory");
		for (size_t i = 0; i < n; i++)
			if (!(paths[i] = storage_layer_diff_path(s, chain_ids[n - 1 - i])))
				return cell_error_set(err, ENOMEM, "out of memory");
		r = s->driver->mount(s, n, paths, NULL, target, 0, err);
		if (r < 0)
			return cell_error_prefix(err, "mount image %s", key);
	}
	*path = TAKE_PTR(target);
	return 0;
}

int storage_image_unmount(struct storage *s, const char *key, cell_error **err)
{
	if (!s->driver->mount)
		return 0;
	_cleanup_free_ char *target = NULL;
	int r = image_mount_path(s, key, &target, err);
	if (r < 0)
		return r;
	r = unmount_path(target, err);
	if (r < 0)
		return r;
	if (rmdir(target) < 0 && errno != ENOENT)
		return cell_error_errno(err, errno, "remove %s", target);
	return 0;
}

int storage_usage(struct storage *s, uint64_t *layers, uint64_t *unused, uint64_t *count, cell_error **err)
{
	_cleanup_strv_ char **ids = NULL;
	int r = storage_layer_list(s, &ids, err);
	if (r < 0)
		return r;
	*layers = *unused = *count = 0;
	for (size_t i = 0; ids[i]; i++) {
		struct layer_record rec;
		_cleanup_strv_ char **refs = NULL;
		if (storage_layer_read(s, ids[i], &rec, err) < 0 ||
		    storage_layer_refs(s, ids[i], &refs, err) < 0)
			return -EIO;
		*layers += rec.tree.size;
		(*count)++;
		if (!refs[0])
			*unused += rec.tree.size;
	}
	return 0;
}
