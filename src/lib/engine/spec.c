#include "spec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/json.h"
#include "base/strv.h"
#include "cell-config.h"
#include "linux/caps.h"

/* Podman's default set. */
static const char *const default_caps[] = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FOWNER",  "CAP_FSETID", "CAP_KILL",       "CAP_NET_BIND_SERVICE",
    "CAP_SETFCAP", "CAP_SETGID",       "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT",
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool list_has_all(json_t *list)
{
	size_t i;
	json_t *v;
	json_array_foreach (list, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), "ALL") == 0)
			return true;
	return false;
}

int engine_caps(bool privileged, json_t *cap_add, json_t *cap_drop, char ***out, cell_error **err)
{
	_cleanup_strv_ char **v = NULL;
	int last = caps_known_last(), klast = caps_kernel_last();
	if (klast > 0 && klast < last)
		last = klast;
	bool all = privileged || list_has_all(cap_add);
	if (all) {
		for (int n = 0; n <= last; n++)
			if (caps_name(n) && strv_push(&v, caps_name(n)) < 0)
				return cell_error_set(err, ENOMEM, "out of memory");
	} else if (!list_has_all(cap_drop)) {
		for (size_t i = 0; i < ARRAY_SIZE(default_caps); i++)
			if (strv_push(&v, default_caps[i]) < 0)
				return cell_error_set(err, ENOMEM, "out of memory");
	}
	/* Docker drops first, then adds: --cap-drop ALL --cap-add X leaves X. */
	size_t i;
	json_t *c;
	if (!privileged) {
		json_array_foreach (cap_drop, i, c) {
			const char *name = json_string_value(c);
			for (size_t k = 0; name && v && v[k]; k++)
				if (strcmp(v[k], name) == 0) {
					free(v[k]);
					memmove(&v[k], &v[k + 1], (strv_length(v) - k) * sizeof(char *));
					break;
				}
		}
	}
	json_array_foreach (cap_add, i, c) {
		const char *name = json_string_value(c);
		if (name && strcmp(name, "ALL") != 0 && !strv_contains(v, name) && strv_push(&v, name) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
	}
	if (!v && !(v = calloc(1, sizeof(char *))))
		return cell_error_set(err, ENOMEM, "out of memory");
	qsort(v, strv_length(v), sizeof(char *), cmp_str);
	*out = TAKE_PTR(v);
	return 0;
}

static json_t *strv_to_json(char *const *v)
{
	json_t *a = json_array();
	for (size_t i = 0; a && v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *mount_entry(const char *dest, const char *type, const char *source, json_t *options)
{
	return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", type, "source", source,
			 "options", options);
}

/* True when a user mount covers dest (then ours yields). */
static bool user_mounts(json_t *mounts, const char *dest)
{
	size_t i;
	json_t *m;
	json_array_foreach (mounts, i, m) {
		const char *d = json_string_value(json_object_get(m, "Destination"));
		if (d && strcmp(d, dest) == 0)
			return true;
	}
	return false;
}

static int add_base_mounts(json_t *mounts, bool privileged, json_t *user)
{
	const char *ro = privileged ? "rw" : "ro";
	json_t *list[] = {
	    mount_entry("/proc", "proc", "proc", json_pack("[s, s, s]", "nosuid", "noexec", "nodev")),
	    mount_entry("/dev", "tmpfs", "tmpfs",
			json_pack("[s, s, s, s]", "nosuid", "strictatime", "mode=755", "size=65536k")),
	    mount_entry("/dev/pts", "devpts", "devpts",
			json_pack("[s, s, s, s, s, s]", "nosuid", "noexec", "newinstance", "ptmxmode=0666",
				  "mode=0620", "gid=5")),
	    mount_entry("/dev/mqueue", "mqueue", "mqueue",
			json_pack("[s, s, s]", "nosuid", "noexec", "nodev")),
	    mount_entry("/sys", "sysfs", "sysfs", json_pack("[s, s, s, s]", "nosuid", "noexec", "nodev", ro)),
	    mount_entry("/sys/fs/cgroup", "cgroup", "cgroup",
			json_pack("[s, s, s, s, s]", "nosuid", "noexec", "nodev", "relatime", ro)),
	};
	for (size_t i = 0; i < ARRAY_SIZE(list); i++) {
		if (!list[i])
			return -ENOMEM;
		const char *d = json_string_value(json_object_get(list[i], "destination"));
		if (user_mounts(user, d) && strcmp(d, "/proc") != 0 && strcmp(d, "/dev") != 0) {
			json_decref(list[i]);
			continue;
		}
		json_array_append_new(mounts, list[i]);
	}
	if (!user_mounts(user, "/dev/shm"))
		json_array_append_new(mounts, mount_entry("/dev/shm", "tmpfs", "shm",
							  json_pack("[s, s, s, s, s]", "nosuid", "noexec",
								    "nodev", "mode=1777", "size=65536k")));
	return 0;
}

/* The engine's /etc files, bound from the container's directory. */
static int add_etc_mounts(json_t *mounts, const char *ctr_dir, bool readonly, json_t *user)
{
	static const char *const files[] = {"hosts", "hostname", "resolv.conf"};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char dest[64], src[4200];
		snprintf(dest, sizeof(dest), "/etc/%s", files[i]);
		if (user_mounts(user, dest))
			continue;
		snprintf(src, sizeof(src), "%s/%s", ctr_dir, files[i]);
		json_t *m = mount_entry(dest, "bind", src,
					json_pack("[s, s, s, s, s]", "rbind", "rprivate", "nosuid", "nodev",
						  readonly ? "ro" : "rw"));
		if (!m || json_array_append_new(mounts, m) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int add_user_mounts(json_t *mounts, json_t *user, cell_error **err)
{
	size_t i;
	json_t *m;
	json_array_foreach (user, i, m) {
		const char *type = json_string_value(json_object_get(m, "Type"));
		const char *src = json_string_value(json_object_get(m, "Source"));
		const char *dst = json_string_value(json_object_get(m, "Destination"));
		const char *prop = json_string_value(json_object_get(m, "Propagation"));
		bool rw = json_is_true(json_object_get(m, "RW"));
		if (!type || !dst)
			return cell_error_set(err, EINVAL, "container.json: Mounts[%zu] is incomplete", i);
		json_t *opts = json_array();
		json_t *extra = json_object_get(m, "Options"), *o;
		size_t k;
		json_t *e;
		if (strcmp(type, "tmpfs") == 0) {
			json_array_append_new(opts, json_string("nosuid"));
			json_array_append_new(opts, json_string("nodev"));
			json_array_foreach (extra, k, o)
				json_array_append(opts, o);
			json_array_append_new(opts, json_string(rw ? "rw" : "ro"));
			e = mount_entry(dst, "tmpfs", "tmpfs", opts);
		} else {
			if (!src || !*src) {
				json_decref(opts);
				return cell_error_set(err, EINVAL, "mount on %s: no source", dst);
			}
			json_array_append_new(opts, json_string("rbind"));
			json_array_append_new(opts, json_string(prop && *prop ? prop : "rprivate"));
			json_array_foreach (extra, k, o)
				json_array_append(opts, o);
			json_array_append_new(opts, json_string(rw ? "rw" : "ro"));
			e = mount_entry(dst, "bind", src, opts);
		}
		if (!e || json_array_append_new(mounts, e) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

/* --privileged: the host's devices, as Podman gives them. */
static void add_host_devices(json_t *devices, const char *dir, int depth)
{
	if (depth > 3)
		return;
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    (depth == 0 && (strcmp(de->d_name, "pts") == 0 || strcmp(de->d_name, "shm") == 0 ||
				    strcmp(de->d_name, "mqueue") == 0 || strcmp(de->d_name, "console") == 0 ||
				    strcmp(de->d_name, "ptmx") == 0)))
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		struct stat st;
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			add_host_devices(devices, path, depth + 1);
			continue;
		}
		if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
			continue;
		/* Those the runtime makes itself. */
		if (strncmp(path, "/dev/tty", 8) == 0 && path[8] == '\0')
			continue;
		json_array_append_new(
		    devices,
		    json_pack("{s:s, s:s, s:I, s:I, s:i, s:I, s:I}", "path", path, "type",
			      S_ISCHR(st.st_mode) ? "c" : "b", "major", (json_int_t)major(st.st_rdev),
			      "minor", (json_int_t)minor(st.st_rdev), "fileMode", (int)(st.st_mode & 07777),
			      "uid", (json_int_t)st.st_uid, "gid", (json_int_t)st.st_gid));
	}
	closedir(d);
}

static json_t *build_resources(json_t *hc)
{
	bool privileged = json_is_true(json_object_get(hc, "Privileged"));
	json_t *res = json_object();
	json_object_set_new(res, "devices", json_pack("[{s:b, s:s}]", "allow", privileged, "access", "rwm"));
	json_int_t mem = json_integer_value(json_object_get(hc, "Memory"));
	if (mem > 0)
		json_object_set_new(res, "memory", json_pack("{s:I}", "limit", mem));
	json_int_t nano = json_integer_value(json_object_get(hc, "NanoCpus"));
	if (nano > 0)
		json_object_set_new(
		    res, "cpu",
		    json_pack("{s:I, s:I}", "quota", (json_int_t)(nano / 10000), "period", 100000));
	json_t *pids = json_object_get(hc, "PidsLimit");
	if (json_is_integer(pids) && json_integer_value(pids) != 0)
		json_object_set_new(res, "pids", json_pack("{s:I}", "limit", json_integer_value(pids)));
	return res;
}

static json_t *build_rlimits(json_t *hc)
{
	json_t *out = json_array();
	size_t i;
	json_t *u;
	json_array_foreach (json_object_get(hc, "Ulimits"), i, u) {
		const char *name = json_string_value(json_object_get(u, "Name"));
		char type[40];
		snprintf(type, sizeof(type), "RLIMIT_%s", name ? name : "");
		for (char *p = type; *p; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		json_t *soft = json_object_get(u, "Soft"), *hard = json_object_get(u, "Hard");
		/* -1 is "unlimited", RLIM_INFINITY. */
		json_int_t s = json_integer_value(soft), h = json_integer_value(hard);
		json_t *js = s < 0 ? json_real(18446744073709551615.0) : json_integer(s);
		json_t *jh = h < 0 ? json_real(18446744073709551615.0) : json_integer(h);
		json_array_append_new(out,
				      json_pack("{s:s, s:o, s:o}", "type", type, "soft", js, "hard", jh));
	}
	return out;
}

static json_t *build_process(const struct spec_input *in, char *const *caps)
{
	json_t *cfg = json_object_get(in->record, "Config");
	json_t *hc = json_object_get(in->record, "HostConfig");
	json_t *args = json_array();
	if (json_is_true(json_object_get(hc, "Init"))) {
		json_array_append_new(args, json_string(ENGINE_INIT_PATH));
		json_array_append_new(args, json_string("--"));
	}
	json_array_append(args, json_object_get(in->record, "Path"));
	json_array_extend(args, json_object_get(in->record, "Args"));
	const char *cwd = json_string_value(json_object_get(cfg, "WorkingDir"));
	/* Docker's additions to what the image and the user asked for. */
	json_t *env = json_deep_copy(json_object_get(cfg, "Env"));
	if (!json_is_array(env)) {
		json_decref(env);
		env = json_array();
	}
	bool has_hostname = false, has_term = false;
	size_t i;
	json_t *ev;
	json_array_foreach (env, i, ev) {
		const char *s = json_string_value(ev);
		has_hostname = has_hostname || (s && strncmp(s, "HOSTNAME=", 9) == 0);
		has_term = has_term || (s && strncmp(s, "TERM=", 5) == 0);
	}
	char hn[300];
	snprintf(hn, sizeof(hn), "HOSTNAME=%s",
		 json_string_value(json_object_get(cfg, "Hostname")) ?: in->id);
	if (!has_hostname)
		json_array_append_new(env, json_string(hn));
	if (!has_term && json_is_true(json_object_get(cfg, "Tty")))
		json_array_append_new(env, json_string("TERM=xterm"));
	json_t *user = json_deep_copy(in->user);
	bool root = json_integer_value(json_object_get(user, "uid")) == 0;
	json_t *capset = strv_to_json(caps);
	/* Docker's rule since 20.10: a process that does not run as root has
	 * the set only as its bounding set, not as capabilities it holds. */
	json_t *held = root ? json_incref(capset) : json_array();
	json_t *p = json_pack("{s:b, s:o, s:o, s:o, s:s, s:{s:O, s:O, s:o}, s:o, s:b}", "terminal",
			      json_is_true(json_object_get(cfg, "Tty")), "user", user, "args", args, "env",
			      env, "cwd", cwd && *cwd ? cwd : "/", "capabilities", "bounding", capset,
			      "effective", held, "permitted", held, "rlimits", build_rlimits(hc),
			      "noNewPrivileges", json_is_true(json_object_get(hc, "NoNewPrivileges")));
	/* "o" took held's reference. */
	json_decref(capset);
	const char *aa = json_string_value(json_object_get(hc, "AppArmorProfile"));
	if (p && aa && *aa && strcmp(aa, "unconfined") != 0)
		json_object_set_new(p, "apparmorProfile", json_string(aa));
	return p;
}

static json_t *build_linux(const struct spec_input *in)
{
	json_t *hc = json_object_get(in->record, "HostConfig");
	bool privileged = json_is_true(json_object_get(hc, "Privileged"));
	const char *net = json_string_value(json_object_get(hc, "NetworkMode"));
	json_t *ns = json_pack("[{s:s}, {s:s}, {s:s}, {s:s}, {s:s}]", "type", "pid", "type", "ipc", "type",
			       "uts", "type", "mount", "type", "cgroup");
	if (!net || strcmp(net, "host") != 0)
		json_array_append_new(ns, json_pack("{s:s}", "type", "network"));
	char cg[128];
	snprintf(cg, sizeof(cg), "/cell/%s", in->id);
	json_t *lx = json_pack("{s:o, s:o, s:s}", "namespaces", ns, "resources", build_resources(hc),
			       "cgroupsPath", cg);
	if (!lx)
		return NULL;
	if (!privileged) {
		json_object_set_new(lx, "maskedPaths",
				    json_pack("[s, s, s, s, s, s, s, s, s, s, s]", "/proc/acpi",
					      "/proc/asound", "/proc/kcore", "/proc/keys",
					      "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
					      "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
					      "/sys/devices/virtual/powercap"));
		json_object_set_new(lx, "readonlyPaths",
				    json_pack("[s, s, s, s, s]", "/proc/bus", "/proc/fs", "/proc/irq",
					      "/proc/sys", "/proc/sysrq-trigger"));
	} else {
		json_t *devices = json_array();
		add_host_devices(devices, "/dev", 0);
		json_object_set_new(lx, "devices", devices);
	}
	if (in->seccomp)
		json_object_set(lx, "seccomp", in->seccomp);
	return lx;
}

int engine_spec_build(const struct spec_input *in, json_t **out, cell_error **err)
{
	json_t *cfg = json_object_get(in->record, "Config");
	json_t *hc = json_object_get(in->record, "HostConfig");
	json_t *user_mounts_j = json_object_get(in->record, "Mounts");
	bool privileged = json_is_true(json_object_get(hc, "Privileged"));
	_cleanup_strv_ char **caps = NULL;
	int r = engine_caps(privileged, json_object_get(hc, "CapAdd"), json_object_get(hc, "CapDrop"), &caps,
			    err);
	if (r < 0)
		return r;
	json_t *mounts = json_array();
	_cleanup_json_ json_t *spec =
	    json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}", "ociVersion", CELL_OCI_VERSION, "process",
		      build_process(in, caps), "root", "path", in->rootfs, "readonly",
		      json_is_true(json_object_get(hc, "ReadonlyRootfs")), "hostname",
		      json_string_value(json_object_get(cfg, "Hostname")) ?: in->id, "mounts", mounts,
		      "linux", build_linux(in));
	if (!spec)
		return cell_error_set(err, ENOMEM, "out of memory");
	if (add_base_mounts(mounts, privileged, user_mounts_j) < 0 ||
	    add_etc_mounts(mounts, in->ctr_dir, json_is_true(json_object_get(hc, "ReadonlyRootfs")),
			   user_mounts_j) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	if ((r = add_user_mounts(mounts, user_mounts_j, err)) < 0)
		return r;
	if (json_is_true(json_object_get(hc, "Init"))) {
		if (!in->init_path)
			return cell_error_set(err, ENOENT, "--init: the program cell-init is not installed");
		json_t *m = mount_entry(ENGINE_INIT_PATH, "bind", in->init_path,
					json_pack("[s, s, s, s]", "bind", "rprivate", "nodev", "ro"));
		if (!m || json_array_append_new(mounts, m) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
	}
	json_t *labels = json_object_get(cfg, "Labels");
	if (json_is_object(labels) && json_object_size(labels))
		json_object_set(spec, "annotations", labels);
	*out = TAKE_PTR(spec);
	return 0;
}
