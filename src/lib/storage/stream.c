#include "stream.h"

#include <errno.h>
#include <fcntl.h>
#include <isa-l/igzip_lib.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/thread.h"
#include "dynlib/archive.h"

#define IN_SIZE  (1 << 20)
#define OUT_SIZE (1 << 20)
/* Chunks a read-ahead thread may hold ready (each up to 1 MiB). */
#define AHEAD_SLOTS 4

/* The producer side of layer_stream_read_ahead(): chunks in a ring, the
 * oldest at head; the consumer holds the one before head until its next
 * read. */
struct read_ahead {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned char *buf[AHEAD_SLOTS];
	size_t len[AHEAD_SLOTS];
	size_t head, count;
	bool held;
	bool done;         /* the producer met the end, or failed */
	int err;           /* then: 0, or a negative errno */
	cell_error *error; /* and its message */
	bool stop;         /* asked to end (layer_stream_free) */
};

struct layer_stream {
	int fd;
	char *what;
	enum layer_compression compression;
	struct sha256 *hash;
	uint64_t size;
	bool eof;
	bool trusted; /* digest is known already: see layer_stream_trust() */
	bool direct;  /* reading with O_DIRECT: see layer_stream_read_direct() */
	char digest[DIGEST_BUF];
	unsigned char *in, *out;
	size_t in_len; /* bytes in `in` not yet consumed, starting at in_pos */
	size_t in_pos;
	bool in_eof;
	struct inflate_state *gz;
	bool gz_member_done;
	struct archive *raw; /* LAYER_COMPRESSION_ZSTD/OTHER */
	struct read_ahead *ahead;
};

static int fill_input(struct layer_stream *s)
{
	if (s->in_pos > 0 && s->in_len > 0)
		memmove(s->in, s->in + s->in_pos, s->in_len);
	s->in_pos = 0;
	while (!s->in_eof && s->in_len < IN_SIZE) {
		ssize_t n = read(s->fd, s->in + s->in_len, IN_SIZE - s->in_len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			s->in_eof = true;
		s->in_len += (size_t)n;
		if (n > 0)
			break;
	}
	return 0;
}

static const char *gz_error(int r)
{
	switch (r) {
	case ISAL_INVALID_BLOCK:
		return "invalid deflate block";
	case ISAL_INVALID_SYMBOL:
		return "invalid deflate symbol";
	case ISAL_INVALID_LOOKBACK:
		return "invalid lookback distance";
	case ISAL_INVALID_WRAPPER:
		return "invalid gzip header";
	case ISAL_INCORRECT_CHECKSUM:
		return "gzip checksum mismatch";
	default:
		return "corrupt gzip data";
	}
}

static ssize_t read_gzip(struct layer_stream *s, const void **buf, cell_error **err)
{
	for (;;) {
		if (s->gz_member_done) {
			/* Another member may follow (pigz, concatenated files); zero
			 * padding after the last one is tolerated, anything else is not. */
			while (s->in_len == 0 && !s->in_eof) {
				int r = fill_input(s);
				if (r < 0)
					return cell_error_errno(err, -r, "%s: read", s->what);
			}
			if (s->in_len == 0)
				return 0;
			if (s->in_len < 2 && !s->in_eof) {
				int r = fill_input(s);
				if (r < 0)
					return cell_error_errno(err, -r, "%s: read", s->what);
			}
			const unsigned char *p = s->in + s->in_pos;
			if (s->in_len >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
				isal_inflate_reset(s->gz);
				s->gz->crc_flag = ISAL_GZIP;
				s->gz_member_done = false;
			} else {
				for (size_t i = 0; i < s->in_len; i++)
					if (p[i] != 0)
						return cell_error_set(
						    err, EBADMSG,
						    "%s: garbage after the end of the gzip stream", s->what);
				s->in_len = 0;
				continue;
			}
		}
		if (s->in_len == 0 && !s->in_eof) {
			int r = fill_input(s);
			if (r < 0)
				return cell_error_errno(err, -r, "%s: read", s->what);
		}
		s->gz->next_in = s->in + s->in_pos;
		s->gz->avail_in = (uint32_t)s->in_len;
		s->gz->next_out = s->out;
		s->gz->avail_out = OUT_SIZE;
		int r = isal_inflate(s->gz);
		size_t used = s->in_len - s->gz->avail_in;
		s->in_pos += used;
		s->in_len -= used;
		if (r < 0)
			return cell_error_set(err, EBADMSG, "%s: %s", s->what, gz_error(r));
		size_t produced = OUT_SIZE - s->gz->avail_out;
		if (s->gz->block_state == ISAL_BLOCK_FINISH)
			s->gz_member_done = true;
		else if (produced == 0 && used == 0 && s->in_eof && s->in_len == 0)
			return cell_error_set(err, EBADMSG, "%s: truncated gzip stream", s->what);
		if (produced > 0) {
			*buf = s->out;
			return (ssize_t)produced;
		}
	}
}

static void direct_end(struct layer_stream *s)
{
	fd_set_direct(s->fd, false);
	s->direct = false;
}

static ssize_t read_plain(struct layer_stream *s, const void **buf, cell_error **err)
{
	if (s->in_len > 0) {
		/* The bytes read to sniff the magic number. */
		*buf = s->in + s->in_pos;
		size_t n = s->in_len;
		s->in_pos = 0;
		s->in_len = 0;
		return (ssize_t)n;
	}
	for (;;) {
		ssize_t n = read(s->fd, s->in, IN_SIZE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EINVAL && s->direct) {
			/* not for this file system after all */
			direct_end(s);
			continue;
		}
		if (n < 0)
			return cell_error_errno(err, errno, "%s: read", s->what);
		*buf = s->in;
		return n;
	}
}

/* libarchive reads the compressed bytes through us: the sniffed prefix
 * first, then the fd. */
static la_ssize_t raw_read_cb(struct archive *a, void *data, const void **buf)
{
	struct layer_stream *s = data;
	cell_error *e = NULL;
	ssize_t n = read_plain(s, buf, &e);
	if (n < 0) {
		archive_set_error(a, e ? e->code : EIO, "%s", e ? e->msg : "read error");
		cell_error_free(e);
		return -1;
	}
	return n;
}

static ssize_t read_raw(struct layer_stream *s, const void **buf, cell_error **err)
{
	la_ssize_t n = archive_read_data(s->raw, s->out, OUT_SIZE);
	if (n < 0)
		return cell_error_set(err, EBADMSG, "%s: %s", s->what, archive_error_string(s->raw));
	*buf = s->out;
	return (ssize_t)n;
}

int layer_stream_open(int fd, const char *what, struct layer_stream **out, cell_error **err)
{
	struct layer_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return cell_error_set(err, ENOMEM, "out of memory");
	s->fd = fd;
	s->what = strdup(what);
	/* aligned for O_DIRECT reads (layer_stream_read_direct) */
	if (posix_memalign((void **)&s->in, 4096, IN_SIZE) != 0)
		s->in = NULL;
	s->out = malloc(OUT_SIZE);
	s->hash = sha256_new();
	if (!s->what || !s->in || !s->out || !s->hash) {
		layer_stream_free(s);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	int r = fill_input(s);
	while (r == 0 && s->in_len < 6 && !s->in_eof)
		r = fill_input(s);
	if (r < 0) {
		layer_stream_free(s);
		return cell_error_errno(err, -r, "%s: read", what);
	}
	const unsigned char *p = s->in;
	if (s->in_len >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
		s->compression = LAYER_COMPRESSION_GZIP;
		s->gz = malloc(sizeof(*s->gz));
		if (!s->gz) {
			layer_stream_free(s);
			return cell_error_set(err, ENOMEM, "out of memory");
		}
		isal_inflate_init(s->gz);
		s->gz->crc_flag = ISAL_GZIP;
	} else if ((s->in_len >= 4 && memcmp(p, "\x28\xb5\x2f\xfd", 4) == 0) ||
		   (s->in_len >= 6 && memcmp(p,
					     "\xfd"
					     "7zXZ\0",
					     6) == 0) ||
		   (s->in_len >= 3 && memcmp(p, "BZh", 3) == 0)) {
		s->compression = p[0] == 0x28 ? LAYER_COMPRESSION_ZSTD : LAYER_COMPRESSION_OTHER;
		s->raw = archive_read_new();
		struct archive_entry *e;
		if (!s->raw || archive_read_support_filter_all(s->raw) != ARCHIVE_OK ||
		    archive_read_support_format_raw(s->raw) != ARCHIVE_OK ||
		    archive_read_open(s->raw, s, NULL, raw_read_cb, NULL) != ARCHIVE_OK ||
		    archive_read_next_header(s->raw, &e) != ARCHIVE_OK) {
			r = cell_error_set(err, EBADMSG, "%s: %s", what,
					   s->raw ? archive_error_string(s->raw) : "out of memory");
			layer_stream_free(s);
			return r;
		}
	}
	*out = s;
	return 0;
}

/* The next chunk, inflated and hashed: layer_stream_read() without a
 * read-ahead, and the read-ahead thread's work with one. */
static ssize_t stream_next(struct layer_stream *s, const void **buf, cell_error **err)
{
	if (s->eof)
		return 0;
	ssize_t n;
	switch (s->compression) {
	case LAYER_COMPRESSION_GZIP:
		n = read_gzip(s, buf, err);
		break;
	case LAYER_COMPRESSION_ZSTD:
	case LAYER_COMPRESSION_OTHER:
		n = read_raw(s, buf, err);
		break;
	case LAYER_COMPRESSION_NONE:
	default:
		n = read_plain(s, buf, err);
		break;
	}
	if (n < 0)
		return n;
	if (n == 0) {
		s->eof = true;
		if (!s->trusted)
			sha256_final(s->hash, s->digest);
		return 0;
	}
	if (!s->trusted)
		sha256_update(s->hash, *buf, (size_t)n);
	s->size += (uint64_t)n;
	return n;
}

static void *ahead_run(void *arg)
{
	struct layer_stream *s = arg;
	struct read_ahead *a = s->ahead;
	/* Cancelled (by layer_stream_free) only where it may wait for input
	 * for ever, in read(): never holding the lock. */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	for (;;) {
		pthread_mutex_lock(&a->lock);
		while (!a->stop && a->count + (a->held ? 1 : 0) >= AHEAD_SLOTS)
			pthread_cond_wait(&a->cond, &a->lock);
		bool stop = a->stop;
		size_t tail = (a->head + a->count) % AHEAD_SLOTS;
		pthread_mutex_unlock(&a->lock);
		if (stop)
			break;
		const void *p = NULL;
		cell_error *e = NULL;
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
		ssize_t n = stream_next(s, &p, &e);
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
		if (n > 0)
			memcpy(a->buf[tail], p, (size_t)n);
		pthread_mutex_lock(&a->lock);
		if (n > 0) {
			a->len[tail] = (size_t)n;
			a->count++;
		} else {
			a->done = true;
			a->err = (int)n;
			a->error = e;
		}
		pthread_cond_broadcast(&a->cond);
		pthread_mutex_unlock(&a->lock);
		if (n <= 0)
			break;
	}
	return NULL;
}

static void ahead_free(struct read_ahead *a)
{
	for (size_t i = 0; i < AHEAD_SLOTS; i++)
		free(a->buf[i]);
	cell_error_free(a->error);
	free(a);
}

void layer_stream_read_ahead(struct layer_stream *s)
{
	if (s->ahead || s->eof || s->size > 0)
		return;
	struct read_ahead *a = calloc(1, sizeof(*a));
	if (!a)
		return;
	size_t chunk = IN_SIZE > OUT_SIZE ? IN_SIZE : OUT_SIZE;
	for (size_t i = 0; i < AHEAD_SLOTS; i++)
		if (!(a->buf[i] = malloc(chunk))) {
			ahead_free(a);
			return;
		}
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	s->ahead = a;
	if (thread_start(&a->thread, ahead_run, s) != 0) {
		s->ahead = NULL;
		pthread_mutex_destroy(&a->lock);
		pthread_cond_destroy(&a->cond);
		ahead_free(a);
	}
}

static ssize_t ahead_read(struct read_ahead *a, const void **buf, cell_error **err)
{
	pthread_mutex_lock(&a->lock);
	if (a->held) {
		a->held = false;
		pthread_cond_broadcast(&a->cond);
	}
	while (a->count == 0 && !a->done)
		pthread_cond_wait(&a->cond, &a->lock);
	ssize_t n;
	if (a->count > 0) {
		size_t h = a->head;
		a->head = (h + 1) % AHEAD_SLOTS;
		a->count--;
		a->held = true;
		*buf = a->buf[h];
		n = (ssize_t)a->len[h];
	} else {
		n = a->err;
		if (n < 0)
			cell_error_set(err, a->error ? a->error->code : -a->err, "%s",
				       a->error ? a->error->msg : "read error");
	}
	pthread_mutex_unlock(&a->lock);
	return n;
}

ssize_t layer_stream_read(struct layer_stream *s, const void **buf, cell_error **err)
{
	return s->ahead ? ahead_read(s->ahead, buf, err) : stream_next(s, buf, err);
}

void layer_stream_read_direct(struct layer_stream *s)
{
	struct stat st;
	if (s->compression != LAYER_COMPRESSION_NONE || s->ahead || s->direct || fstat(s->fd, &st) < 0 ||
	    !S_ISREG(st.st_mode))
		return;
	/* Whole blocks from here on: the sniffed first megabyte ended on one
	 * unless the file did. */
	off_t at = lseek(s->fd, 0, SEEK_CUR);
	if (at < 0 || at % 4096 != 0 || at >= st.st_size)
		return;
	s->direct = fd_set_direct(s->fd, true) == 0;
}

void layer_stream_trust(struct layer_stream *s, const char *digest)
{
	/* Only before the first byte: a digest is of the whole stream. */
	if (s->compression != LAYER_COMPRESSION_NONE || s->size > 0 || !digest_valid(digest))
		return;
	memcpy(s->digest, digest, DIGEST_BUF);
	s->trusted = true;
}

int layer_stream_drain(struct layer_stream *s, cell_error **err)
{
	const void *buf;
	ssize_t n;
	while ((n = layer_stream_read(s, &buf, err)) > 0)
		;
	return n < 0 ? (int)n : 0;
}

const char *layer_stream_digest(struct layer_stream *s)
{
	return s->eof ? s->digest : NULL;
}

uint64_t layer_stream_size(const struct layer_stream *s)
{
	return s->size;
}

enum layer_compression layer_stream_compression(const struct layer_stream *s)
{
	return s->compression;
}

void layer_stream_free(struct layer_stream *s)
{
	if (!s)
		return;
	struct read_ahead *a = s->ahead;
	if (a) {
		pthread_mutex_lock(&a->lock);
		a->stop = true;
		bool done = a->done;
		pthread_cond_broadcast(&a->cond);
		pthread_mutex_unlock(&a->lock);
		/* It may wait in read() for input that never comes. */
		if (!done)
			pthread_cancel(a->thread);
		pthread_join(a->thread, NULL);
		pthread_mutex_destroy(&a->lock);
		pthread_cond_destroy(&a->cond);
		ahead_free(a);
	}
	/* The fd is the caller's: as it was. */
	if (s->direct)
		direct_end(s);
	if (s->raw)
		archive_read_free(s->raw);
	free(s->gz);
	sha256_free(s->hash);
	free(s->in);
	free(s->out);
	free(s->what);
	free(s);
}
