#include "blob_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/path.h"
#include "base/strv.h"
#include "base/thread.h"

#define BUF_SIZE (1 << 20)
/* What a writer gathers before one write around the page cache. */
#define DIRECT_CHUNK (2 << 20)
#define DIRECT_ALIGN 4096

struct blob_store {
	int dirfd; /* blobs/sha256 */
	char *path;
	bool deferred_sync;
	bool direct_io;
};

void blob_store_defer_sync(struct blob_store *bs, bool deferred)
{
	bs->deferred_sync = deferred;
}

void blob_store_direct_io(struct blob_store *bs, bool direct)
{
	bs->direct_io = direct;
}

struct blob_writer {
	struct blob_store *bs;
	int fd;
	char tmpname[64]; /* only without O_TMPFILE */
	struct sha256 *hash;
	uint64_t size;
	/* With direct I/O: whole chunks go out with O_DIRECT, the tail through
	 * the page cache at the commit. */
	unsigned char *chunk;
	size_t fill;
	bool stored; /* the commit gave the blob its name */
	/* A full chunk goes out on a thread of its own while the next one
	 * fills: a write around the page cache waits for the disk. */
	bool thread_on;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned char *out; /* the chunk the thread writes; NULL when it waits */
	size_t out_len;
	unsigned char *idle; /* the chunk it wrote last, for the next fill */
	int out_err;         /* its first error, a negative errno */
	bool direct_off;     /* it met a refusal of O_DIRECT: the page cache from there on */
	bool stop;
};

static int ensure_dir(int parent, const char *name, const char *what, cell_error **err)
{
	if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST)
		return cell_error_errno(err, errno, "create %s", what);
	int fd = path_open_beneath(parent, name, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return cell_error_errno(err, -fd, "open %s", what);
	return fd;
}

int blob_store_open(int rootfd, const char *root, struct blob_store **out, cell_error **err)
{
	struct blob_store *bs = calloc(1, sizeof(*bs));
	if (!bs || asprintf(&bs->path, "%s/blobs/sha256", root) < 0) {
		free(bs);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	_cleanup_close_ int blobs = ensure_dir(rootfd, "blobs", bs->path, err);
	if (blobs < 0) {
		blob_store_free(bs);
		return blobs;
	}
	bs->dirfd = ensure_dir(blobs, "sha256", bs->path, err);
	if (bs->dirfd < 0) {
		int r = bs->dirfd;
		blob_store_free(bs);
		return r;
	}
	*out = bs;
	return 0;
}

void blob_store_free(struct blob_store *bs)
{
	if (!bs)
		return;
	if (bs->dirfd >= 0)
		close(bs->dirfd);
	free(bs->path);
	free(bs);
}

int blob_writer_new(struct blob_store *bs, struct blob_writer **out, cell_error **err)
{
	struct blob_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return cell_error_set(err, ENOMEM, "out of memory");
	w->bs = bs;
	w->hash = sha256_new();
	if (!w->hash) {
		free(w);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	w->fd = openat(bs->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
	if (w->fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		/* No O_TMPFILE here: a named temporary, which the store's
		 * exclusive lock clears if we die. */
		snprintf(w->tmpname, sizeof(w->tmpname), ".tmp-%d-%lx", (int)getpid(),
			 (unsigned long)random());
		w->fd = openat(bs->dirfd, w->tmpname, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	}
	if (w->fd < 0) {
		int e = errno;
		blob_writer_free(w);
		return cell_error_errno(err, e, "create a blob in %s", bs->path);
	}
	fchmod(w->fd, 0644);
	if (bs->direct_io) {
		void *chunk = NULL;
		/* Where the file system takes no O_DIRECT, the page cache it is. */
		if (posix_memalign(&chunk, DIRECT_ALIGN, DIRECT_CHUNK) == 0 &&
		    fd_set_direct(w->fd, true) == 0)
			w->chunk = chunk;
		else
			free(chunk);
	}
	*out = w;
	return 0;
}

/* Write a chunk around the page cache; on a refusal, through it, and so
 * the rest of the blob. */
static int write_direct(struct blob_writer *w, const unsigned char *buf, size_t len, bool *direct_off)
{
	int r = write_all(w->fd, buf, len);
	if (r == -EINVAL) {
		if (fd_set_direct(w->fd, false) == 0)
			r = write_all(w->fd, buf, len);
		*direct_off = true;
	}
	return r;
}

static void *writer_run(void *arg)
{
	struct blob_writer *w = arg;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->out && !w->stop)
			pthread_cond_wait(&w->cond, &w->lock);
		if (!w->out)
			break;
		unsigned char *buf = w->out;
		size_t len = w->out_len;
		pthread_mutex_unlock(&w->lock);
		bool off = false;
		int r = w->out_err < 0 ? 0 : write_direct(w, buf, len, &off);
		pthread_mutex_lock(&w->lock);
		if (r < 0 && w->out_err == 0)
			w->out_err = r;
		w->direct_off = w->direct_off || off;
		w->idle = buf;
		w->out = NULL;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* Wait for the chunk in flight; its error, if any. */
static int writer_drain(struct blob_writer *w)
{
	if (!w->thread_on)
		return 0;
	pthread_mutex_lock(&w->lock);
	while (w->out)
		pthread_cond_wait(&w->cond, &w->lock);
	int r = w->out_err;
	pthread_mutex_unlock(&w->lock);
	return r;
}

static bool writer_start(struct blob_writer *w)
{
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->thread_on = thread_start(&w->thread, writer_run, w) == 0;
	if (!w->thread_on) {
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->cond);
	}
	return w->thread_on;
}

/* A full chunk: to the thread, which the next fill does not wait for. */
static int write_chunk(struct blob_writer *w)
{
	if (w->thread_on || writer_start(w)) {
		int r = writer_drain(w);
		if (r < 0)
			return r;
		unsigned char *next = w->idle;
		w->idle = NULL;
		if (!w->direct_off &&
		    (next || posix_memalign((void **)&next, DIRECT_ALIGN, DIRECT_CHUNK) == 0)) {
			pthread_mutex_lock(&w->lock);
			w->out = w->chunk;
			w->out_len = w->fill;
			pthread_cond_broadcast(&w->cond);
			pthread_mutex_unlock(&w->lock);
			w->chunk = next;
			w->fill = 0;
			return 0;
		}
		free(next);
	}
	bool off = w->direct_off;
	int r = write_direct(w, w->chunk, w->fill, &off);
	if (off) {
		free(w->chunk);
		w->chunk = NULL;
	}
	w->fill = 0;
	return r;
}

static int write_tail(struct blob_writer *w)
{
	int r = writer_drain(w);
	if (r < 0)
		return r;
	if (!w->chunk)
		return 0;
	if ((r = fd_set_direct(w->fd, false)) < 0)
		return r;
	r = write_all(w->fd, w->chunk, w->fill);
	free(w->chunk);
	w->chunk = NULL;
	w->fill = 0;
	return r;
}

int blob_writer_write(struct blob_writer *w, const void *buf, size_t len, cell_error **err)
{
	int r = 0;
	if (w->chunk) {
		const unsigned char *p = buf;
		size_t left = len;
		while (r == 0 && w->chunk && left > 0) {
			size_t n = DIRECT_CHUNK - w->fill < left ? DIRECT_CHUNK - w->fill : left;
			memcpy(w->chunk + w->fill, p, n);
			w->fill += n;
			p += n;
			left -= n;
			if (w->fill == DIRECT_CHUNK)
				r = write_chunk(w);
		}
		if (r == 0 && left > 0)
			r = write_all(w->fd, p, left);
	} else {
		r = write_all(w->fd, buf, len);
	}
	if (r < 0)
		return cell_error_errno(err, -r, "write a blob in %s", w->bs->path);
	sha256_update(w->hash, buf, len);
	w->size += len;
	return 0;
}

uint64_t blob_writer_size(const struct blob_writer *w)
{
	return w->size;
}

bool blob_writer_stored(const struct blob_writer *w)
{
	return w->stored;
}

int blob_writer_commit(struct blob_writer *w, const char *expected, int64_t expected_size, char *digest,
		       cell_error **err)
{
	int tr = write_tail(w);
	if (tr < 0)
		return cell_error_errno(err, -tr, "write a blob in %s", w->bs->path);
	char got[DIGEST_BUF];
	sha256_final(w->hash, got);
	if (expected_size >= 0 && (uint64_t)expected_size != w->size)
		return cell_error_set(err, EBADMSG, "blob %s: %llu bytes, expected %lld",
				      expected ? expected : got, (unsigned long long)w->size,
				      (long long)expected_size);
	if (expected && strcmp(expected, got) != 0)
		return cell_error_set(err, EBADMSG, "blob %s: content has digest %s", expected, got);
	if (digest)
		memcpy(digest, got, DIGEST_BUF);
	const char *name = digest_hex(got);
	if (faccessat(w->bs->dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (!w->bs->deferred_sync && fsync(w->fd) < 0)
		return cell_error_errno(err, errno, "flush blob %s", got);
	/* Deferred: start the writeback now, so that the flush at the end
	 * finds little left to wait for. */
	if (w->bs->deferred_sync)
		sync_file_range(w->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	int r;
	if (w->tmpname[0]) {
		r = renameat(w->bs->dirfd, w->tmpname, w->bs->dirfd, name);
		if (r == 0) {
			w->tmpname[0] = '\0';
			w->stored = true;
		}
	} else {
		char proc[64];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", w->fd);
		r = linkat(AT_FDCWD, proc, w->bs->dirfd, name, AT_SYMLINK_FOLLOW);
		w->stored = r == 0;
		if (r < 0 && errno == EEXIST)
			r = 0; /* another writer of the same content won */
	}
	if (r < 0)
		return cell_error_errno(err, errno, "store blob %s", got);
	if (!w->bs->deferred_sync)
		fsync(w->bs->dirfd);
	return 0;
}

void blob_writer_free(struct blob_writer *w)
{
	if (!w)
		return;
	if (w->thread_on) {
		pthread_mutex_lock(&w->lock);
		w->stop = true;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->cond);
	}
	free(w->idle);
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmpname[0])
		unlinkat(w->bs->dirfd, w->tmpname, 0);
	free(w->chunk);
	sha256_free(w->hash);
	free(w);
}

int blob_store_put(struct blob_store *bs, const void *buf, size_t len, const char *expected, char *digest,
		   cell_error **err)
{
	struct blob_writer *w = NULL;
	int r = blob_writer_new(bs, &w, err);
	if (r == 0)
		r = blob_writer_write(w, buf, len, err);
	if (r == 0)
		r = blob_writer_commit(w, expected, -1, digest, err);
	blob_writer_free(w);
	return r;
}

int blob_store_open_blob(struct blob_store *bs, const char *digest, cell_error **err)
{
	if (!digest_valid(digest))
		return cell_error_set(err, EINVAL, "\"%s\" is not a sha256 digest", digest);
	int fd = path_open_beneath(bs->dirfd, digest_hex(digest), O_RDONLY);
	if (fd == -ENOENT)
		return cell_error_set(err, ENOENT, "blob %s is not in the store", digest);
	if (fd < 0)
		return cell_error_errno(err, -fd, "open blob %s", digest);
	return fd;
}

int blob_store_read(struct blob_store *bs, const char *digest, size_t max, char **buf, size_t *len,
		    cell_error **err)
{
	_cleanup_close_ int fd = blob_store_open_blob(bs, digest, err);
	if (fd < 0)
		return fd;
	size_t n = 0;
	int r = read_all(fd, max, buf, &n);
	if (r == -EFBIG)
		return cell_error_set(err, EFBIG, "blob %s: larger than %zu bytes", digest, max);
	if (r < 0)
		return cell_error_errno(err, -r, "read blob %s", digest);
	char got[DIGEST_BUF];
	if (digest_buffer(*buf, n, got) < 0 || strcmp(got, digest) != 0) {
		free(*buf);
		*buf = NULL;
		return cell_error_set(err, EBADMSG, "blob %s: content has digest %s", digest, got);
	}
	if (len)
		*len = n;
	return 0;
}

bool blob_store_has(struct blob_store *bs, const char *digest)
{
	return digest_valid(digest) &&
	       faccessat(bs->dirfd, digest_hex(digest), F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int blob_store_size(struct blob_store *bs, const char *digest, int64_t *size)
{
	struct stat st;
	if (!digest_valid(digest))
		return -EINVAL;
	if (fstatat(bs->dirfd, digest_hex(digest), &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	*size = st.st_size;
	return 0;
}

int blob_store_remove(struct blob_store *bs, const char *digest, cell_error **err)
{
	const char *name = digest_valid(digest) ? digest_hex(digest) : digest;
	if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return cell_error_set(err, EINVAL, "\"%s\" is not a blob name", digest);
	if (unlinkat(bs->dirfd, name, 0) < 0 && errno != ENOENT)
		return cell_error_errno(err, errno, "remove blob %s", digest);
	return 0;
}

int blob_store_verify(struct blob_store *bs, const char *digest, cell_error **err)
{
	_cleanup_close_ int fd = blob_store_open_blob(bs, digest, err);
	if (fd < 0)
		return fd;
	_cleanup_(sha256_freep) struct sha256 *h = sha256_new();
	_cleanup_free_ char *buf = malloc(BUF_SIZE);
	if (!h || !buf)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (;;) {
		ssize_t n = read(fd, buf, BUF_SIZE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cell_error_errno(err, errno, "read blob %s", digest);
		if (n == 0)
			break;
		sha256_update(h, buf, (size_t)n);
	}
	char got[DIGEST_BUF];
	sha256_final(h, got);
	if (strcmp(got, digest) != 0)
		return cell_error_set(err, EBADMSG, "blob %s: content has digest %s", digest, got);
	return 0;
}

int blob_store_list(struct blob_store *bs, char ***digests, cell_error **err)
{
	int dup = openat(bs->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dup < 0)
		return cell_error_errno(err, errno, "list %s", bs->path);
	_cleanup_closedir_ DIR *d = fdopendir(dup);
	if (!d) {
		close(dup);
		return cell_error_errno(err, errno, "list %s", bs->path);
	}
	_cleanup_strv_ char **v = calloc(1, sizeof(char *));
	if (!v)
		return cell_error_set(err, ENOMEM, "out of memory");
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char *s = NULL;
		int r = digest_hex_valid(de->d_name) ? asprintf(&s, DIGEST_PREFIX "%s", de->d_name)
						     : asprintf(&s, "%s", de->d_name);
		if (r < 0 || strv_push_take(&v, s) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
	}
	*digests = TAKE_PTR(v);
	return 0;
}
