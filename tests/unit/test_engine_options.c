#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "base/cleanup.h"
#include "base/signal.h"
#include "base/timefmt.h"
#include "engine/logfile.h"
#include "engine/mountspec.h"
#include "engine/options.h"
#include "engine/template.h"
#include "tap.h"

TEST(sizes_are_binary_units)
{
	int64_t v;
	cell_error *err = NULL;
	ASSERT_EQ(0, opt_parse_size("1024", "--memory", &v, NULL));
	ASSERT_EQ(1024, v);
	ASSERT_EQ(0, opt_parse_size("512k", "--memory", &v, NULL));
	ASSERT_EQ(512 * 1024, v);
	ASSERT_EQ(0, opt_parse_size("64m", "--memory", &v, NULL));
	ASSERT_EQ(64LL << 20, v);
	ASSERT_EQ(0, opt_parse_size("1.5g", "--memory", &v, NULL));
	ASSERT_EQ(3LL << 29, v);
	ASSERT_EQ(-EINVAL, opt_parse_size("lots", "--memory", &v, &err));
	ASSERT_CONTAINS(err->msg, "--memory: invalid size \"lots\"");
	cell_error_freep(&err);
	ASSERT_TRUE(opt_parse_size("", "--memory", &v, NULL) < 0);
	ASSERT_TRUE(opt_parse_size("-1m", "--memory", &v, NULL) < 0);
	ASSERT_TRUE(opt_parse_size("99999999999999999999", "--memory", &v, NULL) < 0);
}

TEST(cpus_and_ulimits)
{
	int64_t v;
	ASSERT_EQ(0, opt_parse_cpus("1.5", &v, NULL));
	ASSERT_EQ(1500000000LL, v);
	ASSERT_TRUE(opt_parse_cpus("0", &v, NULL) < 0);
	ASSERT_TRUE(opt_parse_cpus("abc", &v, NULL) < 0);
	ASSERT_TRUE(opt_parse_cpus("2000", &v, NULL) < 0);

	struct opt_ulimit u;
	ASSERT_EQ(0, opt_parse_ulimit("nofile=1024:2048", &u, NULL));
	ASSERT_EQ(RLIMIT_NOFILE, u.resource);
	ASSERT_STREQ("RLIMIT_NOFILE", u.name);
	ASSERT_EQ(1024, (long long)u.soft);
	ASSERT_EQ(2048, (long long)u.hard);
	ASSERT_EQ(0, opt_parse_ulimit("nproc=100", &u, NULL));
	ASSERT_EQ(100, (long long)u.hard);
	ASSERT_EQ(0, opt_parse_ulimit("core=-1", &u, NULL));
	ASSERT_TRUE(u.soft == RLIM_INFINITY && u.hard == RLIM_INFINITY);
	ASSERT_TRUE(opt_parse_ulimit("nofile=2048:1024", &u, NULL) < 0);
	ASSERT_TRUE(opt_parse_ulimit("nosuch=1", &u, NULL) < 0);
	ASSERT_TRUE(opt_parse_ulimit("nofile", &u, NULL) < 0);
}

TEST(restart_policies_and_signals)
{
	struct opt_restart p;
	ASSERT_EQ(0, opt_parse_restart("on-failure:3", &p, NULL));
	ASSERT_EQ(RESTART_ON_FAILURE, p.policy);
	ASSERT_EQ(3, p.max_retries);
	ASSERT_EQ(0, opt_parse_restart("unless-stopped", &p, NULL));
	ASSERT_EQ(RESTART_UNLESS_STOPPED, p.policy);
	ASSERT_EQ(RESTART_UNLESS_STOPPED, opt_restart_from_name(opt_restart_name(p.policy)));
	ASSERT_TRUE(opt_parse_restart("always:3", &p, NULL) < 0);
	ASSERT_TRUE(opt_parse_restart("sometimes", &p, NULL) < 0);
	ASSERT_TRUE(opt_parse_restart("on-failure:x", &p, NULL) < 0);

	int sig;
	ASSERT_EQ(0, opt_parse_signal("SIGTERM", "--stop-signal", &sig, NULL));
	ASSERT_EQ(SIGTERM, sig);
	ASSERT_EQ(0, opt_parse_signal("hup", "--stop-signal", &sig, NULL));
	ASSERT_EQ(SIGHUP, sig);
	ASSERT_EQ(0, opt_parse_signal("9", "--stop-signal", &sig, NULL));
	ASSERT_EQ(SIGKILL, sig);
	ASSERT_EQ(0, opt_parse_signal("RTMIN+3", "--stop-signal", &sig, NULL));
	ASSERT_EQ(SIGNAL_RTMIN + 3, sig);
	ASSERT_TRUE(opt_parse_signal("SIGNOPE", "--stop-signal", &sig, NULL) < 0);
	ASSERT_TRUE(opt_parse_signal("0", "--stop-signal", &sig, NULL) < 0);
	ASSERT_TRUE(opt_parse_signal("99", "--stop-signal", &sig, NULL) < 0);
	/* the ends of the real-time range, and past them (no overflow on the
	 * way: the fuzzer found RTMIN+ with 50 digits) */
	ASSERT_EQ(0, opt_parse_signal("RTMAX-0", "--stop-signal", &sig, NULL));
	ASSERT_EQ(SIGNAL_RTMAX, sig);
	ASSERT_EQ(0, opt_parse_signal("RTMIN+0", "--stop-signal", &sig, NULL));
	ASSERT_EQ(SIGNAL_RTMIN, sig);
	ASSERT_TRUE(opt_parse_signal("RTMIN+", "--stop-signal", &sig, NULL) < 0);
	ASSERT_TRUE(opt_parse_signal("RTMAX-99", "--stop-signal", &sig, NULL) < 0);
	ASSERT_TRUE(opt_parse_signal("RTMIN+11111111111111111111111111111111111111111111111", "--stop-signal",
				     &sig, NULL) < 0);
	ASSERT_TRUE(opt_parse_signal("RTMAX-9223372036854775807", "--stop-signal", &sig, NULL) < 0);
}

TEST(env_files_and_labels)
{
	_cleanup_strv_ char **env = NULL;
	const char text[] = "# a comment\nA=1\n\nB=x=y\nCELL_TEST_UNSET_VAR\n";
	unsetenv("CELL_TEST_UNSET_VAR");
	ASSERT_EQ(0, opt_parse_env_file(text, sizeof(text) - 1, "f.env", &env, NULL));
	ASSERT_STREQ("A=1", env[0]);
	ASSERT_STREQ("B=x=y", env[1]);
	ASSERT_TRUE(env[2] == NULL);
	cell_error *err = NULL;
	ASSERT_TRUE(opt_parse_env_file("=x\n", 3, "f.env", &env, &err) < 0);
	ASSERT_CONTAINS(err->msg, "f.env");
	cell_error_freep(&err);

	char *k = NULL, *v = NULL;
	ASSERT_EQ(0, opt_parse_label("a.b=c=d", &k, &v, NULL));
	ASSERT_STREQ("a.b", k);
	ASSERT_STREQ("c=d", v);
	free(k);
	free(v);
}

TEST(security_opts_and_caps)
{
	struct opt_security sec = {0};
	ASSERT_EQ(0, opt_parse_security("seccomp=unconfined", &sec, NULL));
	ASSERT_TRUE(sec.seccomp_unconfined);
	ASSERT_EQ(0, opt_parse_security("no-new-privileges", &sec, NULL));
	ASSERT_TRUE(sec.no_new_privileges);
	ASSERT_EQ(0, opt_parse_security("seccomp=/etc/profile.json", &sec, NULL));
	ASSERT_STREQ("/etc/profile.json", sec.seccomp_profile);
	ASSERT_TRUE(opt_parse_security("seccomp", &sec, NULL) < 0);
	ASSERT_TRUE(opt_parse_security("what=ever", &sec, NULL) < 0);
	opt_security_clear(&sec);

	char cap[32];
	ASSERT_EQ(0, opt_parse_cap("net_admin", cap, sizeof(cap), NULL));
	ASSERT_STREQ("CAP_NET_ADMIN", cap);
	ASSERT_EQ(0, opt_parse_cap("CAP_SYS_TIME", cap, sizeof(cap), NULL));
	ASSERT_STREQ("CAP_SYS_TIME", cap);
	ASSERT_EQ(0, opt_parse_cap("all", cap, sizeof(cap), NULL));
	ASSERT_STREQ("ALL", cap);
	ASSERT_TRUE(opt_parse_cap("CAP_NOPE", cap, sizeof(cap), NULL) < 0);
}

TEST(durations_and_times)
{
	int64_t ns;
	ASSERT_EQ(0, opt_parse_duration("1m30s", &ns, NULL));
	ASSERT_EQ(90000000000LL, ns);
	ASSERT_EQ(0, opt_parse_duration("1.5h", &ns, NULL));
	ASSERT_EQ(5400000000000LL, ns);
	ASSERT_TRUE(opt_parse_duration("10", &ns, NULL) < 0);
	ASSERT_TRUE(opt_parse_duration("1x", &ns, NULL) < 0);

	int64_t now = 1700000000LL * 1000000000LL;
	ASSERT_EQ(0, opt_parse_time("1700000000", now, &ns, NULL));
	ASSERT_EQ(now, ns);
	ASSERT_EQ(0, opt_parse_time("10m", now, &ns, NULL));
	ASSERT_EQ(now - 600000000000LL, ns);
	ASSERT_EQ(0, opt_parse_time("2023-11-14T22:13:20Z", now, &ns, NULL));
	ASSERT_EQ(now, ns);
	ASSERT_EQ(0, opt_parse_time("2023-11-15T00:13:20.5+02:00", now, &ns, NULL));
	ASSERT_EQ(now + 500000000LL, ns);
	ASSERT_TRUE(opt_parse_time("yesterday", now, &ns, NULL) < 0);
	/* past what 64-bit nanoseconds hold (2262) */
	ASSERT_FALSE(opt_rfc3339_ns("3024-01-02T03:04:05Z", &ns));
}

TEST(volumes_mounts_and_tmpfs)
{
	struct mount_spec m = {0};
	ASSERT_EQ(0, mount_spec_parse_volume("/host/dir:/ctr//dir/:ro", &m, NULL));
	ASSERT_EQ(MOUNT_SPEC_BIND, m.kind);
	ASSERT_STREQ("/host/dir", m.source);
	ASSERT_STREQ("/ctr/dir", m.target);
	ASSERT_TRUE(m.readonly);
	mount_spec_clear(&m);

	ASSERT_EQ(0, mount_spec_parse_volume("data:/v", &m, NULL));
	ASSERT_EQ(MOUNT_SPEC_VOLUME, m.kind);
	ASSERT_STREQ("data", m.source);
	ASSERT_FALSE(m.readonly);
	mount_spec_clear(&m);

	ASSERT_EQ(0, mount_spec_parse_volume("/anon", &m, NULL));
	ASSERT_EQ(MOUNT_SPEC_VOLUME, m.kind);
	ASSERT_TRUE(m.source == NULL);
	mount_spec_clear(&m);

	cell_error *err = NULL;
	ASSERT_TRUE(mount_spec_parse_volume("data:relative", &m, &err) < 0);
	cell_error_freep(&err);
	mount_spec_clear(&m);
	ASSERT_TRUE(mount_spec_parse_volume("/a:/b:rw,bogus", &m, NULL) < 0);
	mount_spec_clear(&m);

	ASSERT_EQ(0, mount_spec_parse_mount("type=bind,source=/a,target=/b,readonly", &m, NULL));
	ASSERT_EQ(MOUNT_SPEC_BIND, m.kind);
	ASSERT_TRUE(m.readonly && m.must_exist);
	mount_spec_clear(&m);
	ASSERT_TRUE(mount_spec_parse_mount("type=bind,target=/b", &m, NULL) < 0);
	mount_spec_clear(&m);
	ASSERT_TRUE(mount_spec_parse_mount("type=nfs,target=/b", &m, NULL) < 0);
	mount_spec_clear(&m);

	ASSERT_EQ(0, mount_spec_parse_tmpfs("/t:size=64m,mode=1777", &m, NULL));
	ASSERT_EQ(MOUNT_SPEC_TMPFS, m.kind);
	ASSERT_STREQ("/t", m.target);
	mount_spec_clear(&m);

	ASSERT_TRUE(volume_name_valid("my_vol.1-x"));
	ASSERT_FALSE(volume_name_valid("-x"));
	ASSERT_FALSE(volume_name_valid("a/b"));
	ASSERT_FALSE(volume_name_valid(""));
}

TEST(templates)
{
	json_t *doc = json_pack("{s:s, s:{s:i, s:b}, s:{s:s}}", "Name", "web", "State", "Pid", 42, "Running",
				1, "Labels", "a.b", "c");
	char *out = NULL;
	ASSERT_EQ(0, template_render("{{.Name}}\\t{{.State.Pid}} {{.State.Running}}", doc, &out, NULL));
	ASSERT_STREQ("web\t42 true", out);
	free(out);
	ASSERT_EQ(0, template_render("{{json .State}} {{index .Labels \"a.b\"}} {{.Nope}}", doc, &out, NULL));
	ASSERT_STREQ("{\"Pid\":42,\"Running\":true} c <no value>", out);
	free(out);
	cell_error *err = NULL;
	ASSERT_TRUE(template_render("{{.Name", doc, &out, &err) < 0);
	cell_error_freep(&err);
	ASSERT_TRUE(template_render("{{nosuchfunc .Name}}", doc, &out, NULL) < 0);
	json_decref(doc);
}

TEST(log_records)
{
	struct log_record r;
	const char *line = "2024-01-02T03:04:05.000000001Z stderr P half a line";
	ASSERT_EQ(0, log_record_parse(line, strlen(line), &r));
	ASSERT_EQ(LOG_STDERR, r.stream);
	ASSERT_TRUE(r.partial);
	ASSERT_EQ(1704164645000000001LL, r.time_ns);
	ASSERT_EQ(strlen("half a line"), r.msg_len);
	ASSERT_TRUE(memcmp(r.msg, "half a line", r.msg_len) == 0);
	const char *full = "2024-01-02T03:04:05Z stdout F ";
	ASSERT_EQ(0, log_record_parse(full, strlen(full), &r));
	ASSERT_FALSE(r.partial);
	ASSERT_EQ(0, (int)r.msg_len);
	ASSERT_EQ(-EINVAL, log_record_parse("garbage", 7, &r));
	const char *bad = "2024-01-02T03:04:05Z stdin F x";
	ASSERT_EQ(-EINVAL, log_record_parse(bad, strlen(bad), &r));
	const char *late = "3024-01-02T03:04:05.0000000001Z stdout F x";
	ASSERT_EQ(-EINVAL, log_record_parse(late, strlen(late), &r));

	char buf[40];
	rfc3339_from_ns(1704164645000000001LL, buf, sizeof(buf));
	ASSERT_STREQ("2024-01-02T03:04:05.000000001Z", buf);
}
