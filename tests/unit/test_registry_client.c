/* registry/client.c against a real docker-registry (Debian's distribution)
 * started on loopback by the test: uploads (monolithic and chunked), HEAD,
 * downloads with resume from an offset, manifests, cross-repository mounts,
 * and Basic authentication with htpasswd. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "registry/client.h"
#include "registry/fetch.h"
#include "tap.h"

static char dir[64];
static pid_t registry_pid;
static int port;

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof(a);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &l) < 0)
		abort();
	close(fd);
	return ntohs(a.sin_port);
}

static bool port_open(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bool ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* Start docker-registry; with htpasswd, Basic auth for user "alice". */
static void start_registry(bool htpasswd)
{
	char cfg[8192], path[128];
	strcpy(dir, "/tmp/cell-test-registry-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	port = free_port();
	if (htpasswd) {
		char cmd[512];
		snprintf(cmd, sizeof(cmd), "htpasswd -Bbn alice s3cret > %s/htpasswd", dir);
		if (system(cmd) != 0)
			abort();
	}
	snprintf(cfg, sizeof(cfg),
		 "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s/data\n"
		 "  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:%d\n%s%s%s",
		 dir, port, htpasswd ? "auth:\n  htpasswd:\n    realm: test-realm\n    path: " : "",
		 htpasswd ? dir : "", htpasswd ? "/htpasswd\n" : "");
	snprintf(path, sizeof(path), "%s/config.yml", dir);
	if (write_file_at(AT_FDCWD, path, cfg, strlen(cfg), 0600) < 0)
		abort();
	registry_pid = fork();
	if (registry_pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execlp("docker-registry", "docker-registry", "serve", path, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && !port_open(); i++)
		usleep(25000);
}

static void stop_registry(void)
{
	kill(registry_pid, SIGTERM);
	waitpid(registry_pid, NULL, 0);
	remove_tree_at(AT_FDCWD, dir);
}

static struct registry_session *session(const char *repo, bool push, const char *user, const char *pass)
{
	char ref[256];
	snprintf(ref, sizeof(ref), "127.0.0.1:%d/%s", port, repo);
	struct image_ref r;
	if (image_ref_parse(ref, IMAGE_REF_DOCKER, &r, NULL) < 0)
		abort();
	/* plain HTTP on loopback: allowed by --tls-verify=false */
	struct registry_opts o = {
	    .tls_verify = TLS_VERIFY_NO, .push = push, .username = user, .password = pass};
	struct registry_session *s = NULL;
	_cleanup_error_ cell_error *err = NULL;
	if (registry_session_open(&r, &o, &s, &err) < 0) {
		fprintf(stdout, "# %s\n", err->msg);
		abort();
	}
	image_ref_clear(&r);
	return s;
}

/* sha256 of the bytes, computed by sha256sum to keep the test independent. */
static void digest_of(const char *data, size_t len, char *out)
{
	char p[128], cmd[256];
	snprintf(p, sizeof(p), "%s/blob", dir);
	write_file_at(AT_FDCWD, p, data, len, 0600);
	snprintf(cmd, sizeof(cmd), "sha256sum %s", p);
	FILE *f = popen(cmd, "r");
	char hex[65] = "";
	if (fscanf(f, "%64s", hex) != 1)
		abort();
	pclose(f);
	sprintf(out, "sha256:%s", hex);
}

/* Upload bytes through a memfd, as push uploads from the store's files. */
static int put_bytes(struct registry_session *s, const char *digest, const void *data, size_t len,
		     size_t chunk, cell_error **err)
{
	int fd = memfd_create("blob", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		abort();
	struct blob_upload u = {.digest = digest, .size = len, .fd = fd, .chunk_size = chunk};
	int r = registry_put_blob(s, &u, err);
	close(fd);
	return r;
}

struct sink {
	char *buf;
	size_t len;
};

static int to_mem(void *ctx, const void *data, size_t len)
{
	struct sink *s = ctx;
	s->buf = realloc(s->buf, s->len + len + 1);
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	s->buf[s->len] = '\0';
	return 0;
}

TEST(blobs_up_and_down)
{
	start_registry(false);
	struct registry_session *s = session("cell/test", true, NULL, NULL);
	_cleanup_error_ cell_error *err = NULL;
	ASSERT_EQ(0, registry_ping(s, &err));

	static char big[300000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	char d1[80], d2[80];
	digest_of(big, sizeof(big), d1);
	digest_of("small blob", 10, d2);
	bool exists = true;
	ASSERT_EQ(0, registry_blob_exists(s, d1, &exists, NULL, &err));
	ASSERT_FALSE(exists);

	ASSERT_EQ(0, put_bytes(s, d1, big, sizeof(big), 100000, &err));
	ASSERT_EQ(0, put_bytes(s, d2, "small blob", 10, 0, &err));
	uint64_t size = 0;
	ASSERT_EQ(0, registry_blob_exists(s, d1, &exists, &size, &err));
	ASSERT_TRUE(exists);
	ASSERT_EQ(sizeof(big), size);

	struct sink got = {0};
	uint64_t received = 0;
	ASSERT_EQ(0, registry_get_blob(s, d1, 0, to_mem, &got, &received, &err));
	ASSERT_EQ(sizeof(big), got.len);
	ASSERT_TRUE(memcmp(got.buf, big, sizeof(big)) == 0);
	free(got.buf);
	/* from an offset: the Range resume path */
	struct sink tail = {0};
	ASSERT_EQ(0, registry_get_blob(s, d1, 250000, to_mem, &tail, &received, &err));
	ASSERT_EQ(50000, tail.len);
	ASSERT_TRUE(memcmp(tail.buf, big + 250000, 50000) == 0);
	free(tail.buf);

	/* a digest that does not match the bytes is refused by the registry */
	ASSERT_TRUE(put_bytes(s, d2, "other", 5, 0, &err) < 0);

	/* manifests */
	char manifest[1024];
	snprintf(manifest, sizeof(manifest),
		 "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		 "\"config\":{\"mediaType\":\"application/"
		 "vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":10},"
		 "\"layers\":[{\"mediaType\":\"application/"
		 "vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%zu}]}",
		 d2, d1, sizeof(big));
	ASSERT_EQ(0, registry_put_manifest(s, "v1", "application/vnd.oci.image.manifest.v1+json", manifest,
					   strlen(manifest), &err));
	const char *accept[] = {"application/vnd.oci.image.manifest.v1+json", NULL};
	char *body = NULL, *mt = NULL, *dig = NULL;
	size_t len = 0;
	ASSERT_EQ(0, registry_get_manifest(s, "v1", accept, &body, &len, &mt, &dig, &err));
	ASSERT_STREQ(manifest, body);
	ASSERT_STREQ("application/vnd.oci.image.manifest.v1+json", mt);
	ASSERT_TRUE(dig && strncmp(dig, "sha256:", 7) == 0);
	free(body);
	free(mt);
	free(dig);
	ASSERT_EQ(-ENOENT, registry_get_manifest(s, "nosuchtag", accept, &body, &len, &mt, &dig, &err));
	ASSERT_CONTAINS(err->msg, "HTTP 404");
	ASSERT_CONTAINS(err->msg, "MANIFEST_UNKNOWN");

	/* cross-repository mount into another repository */
	struct registry_session *s2 = session("cell/other", true, NULL, NULL);
	bool mounted = false;
	ASSERT_EQ(0, registry_mount_blob(s2, d1, "cell/test", &mounted, &err));
	ASSERT_TRUE(mounted);
	ASSERT_EQ(0, registry_blob_exists(s2, d1, &exists, NULL, &err));
	ASSERT_TRUE(exists);
	registry_session_free(s2);
	registry_session_free(s);
	stop_registry();
}

TEST(basic_auth)
{
	start_registry(true);
	_cleanup_error_ cell_error *err = NULL;
	struct registry_session *anon = session("cell/test", false, NULL, NULL);
	ASSERT_EQ(-EACCES, registry_ping(anon, &err));
	ASSERT_CONTAINS(err->msg, "authentication required");
	registry_session_free(anon);
	struct registry_session *bad = session("cell/test", false, "alice", "wrong");
	ASSERT_EQ(-EACCES, registry_ping(bad, &err));
	ASSERT_CONTAINS(err->msg, "HTTP 401");
	registry_session_free(bad);
	struct registry_session *good = session("cell/test", false, "alice", "s3cret");
	ASSERT_EQ(0, registry_ping(good, &err));
	registry_session_free(good);
	stop_registry();
}

TEST(nothing_listening)
{
	port = free_port();
	strcpy(dir, "/tmp");
	struct registry_session *s = session("cell/test", false, NULL, NULL);
	_cleanup_error_ cell_error *err = NULL;
	ASSERT_TRUE(registry_ping(s, &err) < 0);
	ASSERT_CONTAINS(err->msg, "127.0.0.1");
	registry_session_free(s);
}

/* Fetch sinks: memory, refusing now and then (backpressure), counting
 * their start and finish. */
struct fsink {
	char *buf;
	size_t len;
	int starts, finishes, refusals;
	bool refuse;
};

static int fs_start(void *ctx, cell_error **err)
{
	((struct fsink *)ctx)->starts++;
	return 0;
}

static int fs_write(void *ctx, const void *data, size_t len, cell_error **err)
{
	struct fsink *f = ctx;
	if (f->refuse && f->refusals++ % 3 == 0)
		return -EAGAIN;
	f->buf = realloc(f->buf, f->len + len);
	memcpy(f->buf + f->len, data, len);
	f->len += len;
	return 0;
}

static int fs_finish(void *ctx, cell_error **err)
{
	((struct fsink *)ctx)->finishes++;
	return 0;
}

TEST(parallel_fetch)
{
	start_registry(false);
	struct registry_session *s = session("cell/fetch", true, NULL, NULL);
	_cleanup_error_ cell_error *err = NULL;
	ASSERT_EQ(0, registry_ping(s, &err));
	enum { N = 5 };
	static char data[N][200000];
	char digests[N][80];
	for (int i = 0; i < N; i++) {
		for (size_t k = 0; k < sizeof(data[i]); k++)
			data[i][k] = (char)(k * (unsigned)(i + 3));
		digest_of(data[i], sizeof(data[i]), digests[i]);
		ASSERT_EQ(0, put_bytes(s, digests[i], data[i], sizeof(data[i]), 0, &err));
	}
	struct fsink sinks[N] = {0};
	struct fetch_item items[N];
	for (int i = 0; i < N; i++) {
		sinks[i].refuse = i % 2 == 1;
		items[i] = (struct fetch_item){.size = sizeof(data[i]),
					       .start = fs_start,
					       .write = fs_write,
					       .finish = fs_finish,
					       .wait_fd = -1,
					       .ctx = &sinks[i]};
		strcpy(items[i].digest, digests[i]);
	}
	struct fetch_opts o = {.parallel = 2};
	ASSERT_EQ(0, registry_fetch(s, items, N, &o, &err));
	for (int i = 0; i < N; i++) {
		ASSERT_TRUE(items[i].done);
		ASSERT_EQ(1, sinks[i].starts);
		ASSERT_EQ(1, sinks[i].finishes);
		ASSERT_EQ(sizeof(data[i]), sinks[i].len);
		ASSERT_TRUE(memcmp(sinks[i].buf, data[i], sizeof(data[i])) == 0);
		free(sinks[i].buf);
	}
	/* a descriptor that says less than the registry sends */
	struct fsink small = {0};
	struct fetch_item short_item = {.size = 1000, .write = fs_write, .wait_fd = -1, .ctx = &small};
	strcpy(short_item.digest, digests[0]);
	ASSERT_EQ(-EFBIG, registry_fetch(s, &short_item, 1, NULL, &err));
	ASSERT_CONTAINS(err->msg, "sends more than the 1000 bytes its descriptor says");
	free(small.buf);
	/* a blob that is not there */
	struct fsink none = {0};
	struct fetch_item missing = {.size = 10, .write = fs_write, .wait_fd = -1, .ctx = &none};
	strcpy(missing.digest, "sha256:0000000000000000000000000000000000000000000000000000000000000000");
	ASSERT_EQ(-ENOENT, registry_fetch(s, &missing, 1, NULL, &err));
	ASSERT_CONTAINS(err->msg, "HTTP 404");
	registry_session_free(s);
	stop_registry();
}
