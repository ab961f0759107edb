#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/signal.h"
#include "image/config.h"
#include "image/runspec.h"
#include "image/user.h"
#include "tap.h"

#define DIFF "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static const char config_doc[] =
    "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2024-01-01T00:00:00Z\","
    "\"config\":{\"Entrypoint\":[\"/bin/app\"],\"Cmd\":[\"--serve\"],\"Env\":[\"PATH=/bin\",\"A=1\"],"
    "\"WorkingDir\":\"/srv\",\"User\":\"web:staff\",\"StopSignal\":\"SIGQUIT\","
    "\"ExposedPorts\":{\"80/tcp\":{}},\"Volumes\":{\"/data\":{}},\"Labels\":{\"l\":\"v\"}},"
    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" DIFF "\"]},"
    "\"history\":[{\"created_by\":\"x\"},{\"created_by\":\"y\",\"empty_layer\":true}]}";

/* A root with /etc/passwd and /etc/group, and /etc a symlink trap on the host. */
static int make_root(char *dir)
{
	strcpy(dir, "/tmp/cell-test-root-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	mkdirat(fd, "etc", 0755);
	const char *pw = "root:x:0:0:root:/root:/bin/sh\n"
			 "web:x:33:33:web:/var/www:/bin/sh\n"
			 "broken line\n"
			 "nobody:x:65534:65534::/:/bin/false\n";
	const char *gr = "root:x:0:\nstaff:x:50:web,other\nwww:x:33:\nextra:x:70:nobody,web\n";
	write_file_at(fd, "etc/passwd", pw, strlen(pw), 0644);
	write_file_at(fd, "etc/group", gr, strlen(gr), 0644);
	return fd;
}

TEST(parses_config)
{
	struct image_config c;
	ASSERT_EQ(0, image_config_parse(config_doc, strlen(config_doc), "cfg", &c, NULL));
	ASSERT_STREQ("/bin/app", c.entrypoint[0]);
	ASSERT_STREQ("--serve", c.cmd[0]);
	ASSERT_STREQ("web:staff", c.user);
	ASSERT_EQ(1, c.n_diff_ids);
	ASSERT_STREQ(DIFF, c.diff_ids[0]);
	ASSERT_EQ(2, c.n_history);
	ASSERT_TRUE(c.history[1].empty_layer);
	ASSERT_STREQ("/data", c.volumes[0]);
	image_config_clear(&c);
}

TEST(config_rejections)
{
	static const struct {
		const char *doc, *msg;
	} cases[] = {
	    {"{}", "architecture: missing"},
	    {"{\"architecture\":\"amd64\",\"os\":\"linux\"}", "rootfs: missing"},
	    {"{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"x\",\"diff_ids\":[]}}",
	     "rootfs.type: must be \"layers\""},
	    {"{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
	     "\"no\"]}}",
	     "rootfs.diff_ids[0]: not a sha256 digest"},
	    {"{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"NOEQUALS\"]},"
	     "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
	     "config.Env[0]: \"NOEQUALS\" is not NAME=VALUE"},
	    {"{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":\"sh\"},"
	     "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
	     "config.Cmd: must be an array of strings"},
	    {"{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},"
	     "\"history\":[1]}",
	     "history[0]: must be an object"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct image_config c;
		cell_error *e = NULL;
		ASSERT_TRUE(image_config_parse(cases[i].doc, strlen(cases[i].doc), "cfg", &c, &e) < 0);
		ASSERT_CONTAINS(e->msg, cases[i].msg);
		cell_error_free(e);
	}
}

TEST(users_resolve_inside_the_image)
{
	char dir[64];
	int fd = make_root(dir);
	ASSERT_TRUE(fd >= 0);
	struct image_user u;
	ASSERT_EQ(0, image_user_resolve(fd, "web", &u, NULL));
	ASSERT_EQ(33, u.uid);
	ASSERT_EQ(33, u.gid);
	ASSERT_STREQ("/var/www", u.home);
	ASSERT_EQ(2, u.n_additional); /* staff and extra list web */
	ASSERT_EQ(50, u.additional_gids[0]);
	ASSERT_EQ(70, u.additional_gids[1]);
	image_user_clear(&u);
	ASSERT_EQ(0, image_user_resolve(fd, "web:staff", &u, NULL));
	ASSERT_EQ(50, u.gid);
	image_user_clear(&u);
	ASSERT_EQ(0, image_user_resolve(fd, "1234:5678", &u, NULL));
	ASSERT_EQ(1234, u.uid);
	ASSERT_EQ(5678, u.gid);
	ASSERT_STREQ("/", u.home);
	image_user_clear(&u);
	ASSERT_EQ(0, image_user_resolve(fd, "65534", &u, NULL));
	ASSERT_EQ(65534, u.gid);
	ASSERT_EQ(1, u.n_additional);
	image_user_clear(&u);
	ASSERT_EQ(0, image_user_resolve(fd, "", &u, NULL));
	ASSERT_EQ(0, u.uid);
	ASSERT_STREQ("/root", u.home);
	image_user_clear(&u);
	cell_error *e = NULL;
	ASSERT_EQ(-ENOENT, image_user_resolve(fd, "ghost", &u, &e));
	ASSERT_CONTAINS(e->msg, "user \"ghost\": no such user in the image's /etc/passwd");
	cell_error_free(e);
	e = NULL;
	ASSERT_EQ(-ENOENT, image_user_resolve(fd, "web:ghosts", &u, &e));
	ASSERT_CONTAINS(e->msg, "group \"ghosts\": no such group");
	cell_error_free(e);
	e = NULL;
	ASSERT_TRUE(image_user_resolve(fd, "web:", &u, &e) < 0);
	cell_error_free(e);
	/* /etc/passwd a symlink climbing out of the tree: resolved inside it,
	 * so the host's files are never read. */
	unlinkat(fd, "etc/passwd", 0);
	write_file_at(fd, "etc/inside", "inside:x:7:7::/in:/bin/sh\n", 26, 0644);
	symlinkat("/../../../../../etc/inside", fd, "etc/passwd");
	ASSERT_EQ(0, image_user_resolve(fd, "inside", &u, NULL));
	ASSERT_EQ(7, u.uid);
	image_user_clear(&u);
	e = NULL;
	ASSERT_EQ(-ENOENT, image_user_resolve(fd, "root", &u, &e));
	cell_error_free(e);
	close(fd);
	remove_tree_at(AT_FDCWD, dir);
}

TEST(config_to_runtime_spec)
{
	char dir[64];
	int fd = make_root(dir);
	struct image_config c;
	ASSERT_EQ(0, image_config_parse(config_doc, strlen(config_doc), "cfg", &c, NULL));
	struct image_run r;
	ASSERT_EQ(0, image_run_from_config(&c, fd, NULL, &r, NULL));
	json_t *args = json_object_get(r.process, "args");
	ASSERT_EQ(2, json_array_size(args));
	ASSERT_STREQ("/bin/app", json_string_value(json_array_get(args, 0)));
	ASSERT_STREQ("--serve", json_string_value(json_array_get(args, 1)));
	ASSERT_STREQ("/srv", json_string_value(json_object_get(r.process, "cwd")));
	json_t *user = json_object_get(r.process, "user");
	ASSERT_EQ(33, json_integer_value(json_object_get(user, "uid")));
	ASSERT_EQ(50, json_integer_value(json_object_get(user, "gid")));
	ASSERT_EQ(SIGQUIT, r.stop_signal);
	ASSERT_STREQ("v", json_string_value(json_object_get(r.annotations, "l")));
	ASSERT_STREQ("SIGQUIT", json_string_value(
				    json_object_get(r.annotations, "org.opencontainers.image.stopSignal")));
	ASSERT_STREQ("80/tcp", json_string_value(
				   json_object_get(r.annotations, "org.opencontainers.image.exposedPorts")));
	ASSERT_STREQ("/data", r.volumes[0]);
	json_t *env = json_object_get(r.process, "env");
	ASSERT_STREQ("HOME=/var/www", json_string_value(json_array_get(env, 2)));
	image_run_clear(&r);

	/* A new entrypoint drops the image's Cmd; overrides of user and cwd. */
	const char *ep[] = {"/bin/sh", NULL};
	struct image_run_overrides o = {.entrypoint = ep, .user = "0", .working_dir = "/tmp"};
	ASSERT_EQ(0, image_run_from_config(&c, fd, &o, &r, NULL));
	ASSERT_EQ(1, json_array_size(json_object_get(r.process, "args")));
	ASSERT_EQ(0, json_integer_value(json_object_get(json_object_get(r.process, "user"), "uid")));
	ASSERT_STREQ("/tmp", json_string_value(json_object_get(r.process, "cwd")));
	image_run_clear(&r);
	image_config_clear(&c);
	close(fd);
	remove_tree_at(AT_FDCWD, dir);
}

TEST(signals)
{
	ASSERT_EQ(SIGTERM, signal_parse("SIGTERM"));
	ASSERT_EQ(SIGTERM, signal_parse("term"));
	ASSERT_EQ(9, signal_parse("9"));
	ASSERT_EQ(SIGNAL_RTMIN + 3, signal_parse("SIGRTMIN+3"));
	ASSERT_EQ(-EINVAL, signal_parse("SIGNOPE"));
	ASSERT_EQ(-EINVAL, signal_parse("0"));
	ASSERT_EQ(-EINVAL, signal_parse("999"));
	/* Every Linux name, old aliases too, with the numbers glibc and runc
	 * use for the real-time range whatever the C library's SIGRTMIN. */
	ASSERT_EQ(SIGCHLD, signal_parse("cld"));
	ASSERT_EQ(SIGIO, signal_parse("SIGPOLL"));
	ASSERT_EQ(SIGSTKFLT, signal_parse("STKFLT"));
	ASSERT_EQ(34, signal_parse("RTMIN"));
	ASSERT_EQ(64, signal_parse("SIGRTMAX"));
	ASSERT_EQ(63, signal_parse("RTMAX-1"));
	ASSERT_EQ(64, signal_parse("RTMIN+30"));
	ASSERT_EQ(64, signal_parse("64"));
	ASSERT_EQ(-EINVAL, signal_parse("65"));
	ASSERT_EQ(-EINVAL, signal_parse("RTMIN+31"));
	ASSERT_EQ(-EINVAL, signal_parse("RTMIN-1"));
	ASSERT_EQ(-EINVAL, signal_parse("RTMIN+-1"));
	ASSERT_EQ(-EINVAL, signal_parse("9x"));
	ASSERT_EQ(-EINVAL, signal_parse(""));
}
