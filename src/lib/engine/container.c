#include "container.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "base/json.h"
#include "base/path.h"
#include "base/strv.h"
#include "runtime/pidutil.h"

#define RECORD_MAX (4 << 20)

static const char *const status_names[] = {
    [CTR_CREATED] = "created",
    [CTR_RUNNING] = "running",
    [CTR_RESTARTING] = "restarting",
    [CTR_EXITED] = "exited",
};

const char *ctr_status_name(enum ctr_status s)
{
	return status_names[s];
}

void ctr_free(struct ctr *c)
{
	if (!c)
		return;
	if (c->dirfd >= 0)
		close(c->dirfd);
	json_decref(c->record);
	json_decref(c->state);
	free(c);
}

int ctr_id_new(char out[CTR_ID_LEN + 1], cell_error **err)
{
	unsigned char raw[CTR_ID_LEN / 2];
	size_t got = 0;
	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0 && errno != EINTR)
			return cell_error_errno(err, errno, "getrandom");
		if (n > 0)
			got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	/* An ID that looks like a number confuses tools that print it. */
	if (out[0] >= '0' && out[0] <= '9' && strspn(out, "0123456789") == CTR_ID_LEN)
		out[0] = 'a';
	return 0;
}

bool ctr_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 128 || !isalnum((unsigned char)name[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_' && name[i] != '.' && name[i] != '-')
			return false;
	return true;
}

static bool is_id(const char *s)
{
	if (strlen(s) != CTR_ID_LEN)
		return false;
	for (size_t i = 0; i < CTR_ID_LEN; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

/* The IDs of every container directory of the engine (storage's layer
 * records of containers that are not ours, if any, are skipped). */
static bool id_entry(const char *name, void *unused)
{
	return is_id(name);
}

static int list_ids(struct engine *e, char ***out, cell_error **err)
{
	int r = dir_names(e->containers_fd, id_entry, NULL, false, out, NULL);
	if (r < 0)
		return cell_error_errno(err, -r, "list %s/containers", e->store->root);
	return 0;
}

/* The name in ID's container.json, or NULL (gone, or not ours). */
static char *name_of(struct engine *e, const char *id)
{
	char p[CTR_ID_LEN + 32];
	snprintf(p, sizeof(p), "%s/container.json", id);
	_cleanup_json_ json_t *j = NULL;
	if (json_load_file_at(e->containers_fd, p, RECORD_MAX, &j, NULL) < 0)
		return NULL;
	const char *n = json_string_value(json_object_get(j, "Name"));
	return n ? strdup(n) : NULL;
}

int ctr_resolve(struct engine *e, const char *ref, char id[CTR_ID_LEN + 1], cell_error **err)
{
	if (!ref || !*ref)
		return cell_error_set(err, EINVAL, "empty container name or ID");
	_cleanup_strv_ char **ids = NULL;
	int r = list_ids(e, &ids, err);
	if (r < 0)
		return r;
	for (size_t i = 0; ids[i]; i++)
		if (strcmp(ids[i], ref) == 0) {
			memcpy(id, ids[i], CTR_ID_LEN + 1);
			return 0;
		}
	for (size_t i = 0; ids[i]; i++) {
		_cleanup_free_ char *n = name_of(e, ids[i]);
		if (n && strcmp(n, ref) == 0) {
			memcpy(id, ids[i], CTR_ID_LEN + 1);
			return 0;
		}
	}
	const char *match = NULL;
	size_t rl = strlen(ref);
	bool hex = rl <= CTR_ID_LEN && strspn(ref, "0123456789abcdef") == rl;
	for (size_t i = 0; hex && ids[i]; i++) {
		if (strncmp(ids[i], ref, rl) != 0)
			continue;
		if (match)
			return cell_error_set(err, EINVAL,
					      "container ID prefix %s is ambiguous (%.12s, %.12s)", ref,
					      match, ids[i]);
		match = ids[i];
	}
	if (!match)
		return cell_error_set(err, ENOENT, "no such container: %s", ref);
	memcpy(id, match, CTR_ID_LEN + 1);
	return 0;
}

int ctr_find_name(struct engine *e, const char *name, char id[CTR_ID_LEN + 1])
{
	_cleanup_strv_ char **ids = NULL;
	if (list_ids(e, &ids, NULL) < 0)
		return 0;
	for (size_t i = 0; ids[i]; i++) {
		_cleanup_free_ char *n = name_of(e, ids[i]);
		if (n && strcmp(n, name) == 0) {
			memcpy(id, ids[i], CTR_ID_LEN + 1);
			return 1;
		}
	}
	return 0;
}

int ctr_name_generate(struct engine *e, char **out, cell_error **err)
{
	static const char *const adjectives[] = {
	    "agile",  "amber", "bold",   "brisk",   "calm",    "clever", "cosmic", "curious",
	    "daring", "deft",  "eager",  "fervent", "gentle",  "glad",   "hardy",  "humble",
	    "jolly",  "keen",  "lively", "lucid",   "mellow",  "nimble", "noble",  "patient",
	    "plucky", "quiet", "rapid",  "serene",  "sharp",   "steady", "sunny",  "swift",
	    "tender", "tidy",  "vivid",  "witty",   "zealous", "zesty",
	};
	static const char *const nouns[] = {
	    "axon",    "capsid",   "cilium",  "codon",    "cytosol",  "dendrite", "enzyme",
	    "exon",    "flagella", "gamete",  "genome",   "golgi",    "helix",    "histone",
	    "intron",  "kinase",   "lipid",   "lysosome", "membrane", "mitosis",  "neuron",
	    "nucleus", "operon",   "peptide", "plasmid",  "plastid",  "protein",  "ribosome",
	    "spindle", "stroma",   "synapse", "telomere", "vacuole",  "vesicle",  "zygote",
	};
	_cleanup_strv_ char **ids = NULL, **names = NULL;
	int r = list_ids(e, &ids, err);
	if (r < 0)
		return r;
	for (size_t i = 0; ids[i]; i++) {
		char *n = name_of(e, ids[i]);
		if (n && strv_push_take(&names, n) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
	}
	for (int attempt = 0; attempt < 64; attempt++) {
		unsigned int rnd[2];
		if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
			return cell_error_errno(err, errno, "getrandom");
		char *n = NULL;
		int len = attempt < 32 ? asprintf(&n, "%s_%s", adjectives[rnd[0] % ARRAY_SIZE(adjectives)],
						  nouns[rnd[1] % ARRAY_SIZE(nouns)])
				       : asprintf(&n, "%s_%s%u", adjectives[rnd[0] % ARRAY_SIZE(adjectives)],
						  nouns[rnd[1] % ARRAY_SIZE(nouns)], rnd[0] % 100);
		if (len < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
		if (!strv_contains(names, n)) {
			*out = n;
			return 0;
		}
		free(n);
	}
	return cell_error_set(err, EEXIST, "no free container name found; give one with --name");
}

static int load_json(int dirfd, const char *name, const char *id, json_t **out, cell_error **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = read_file_at(dirfd, name, RECORD_MAX, &buf, &len);
	if (r < 0)
		return cell_error_errno(err, r, "container %.12s: read %s", id, name);
	if (json_load_buffer(buf, len, name, out, err) < 0)
		return cell_error_prefix(err, "container %.12s", id);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return cell_error_set(err, EINVAL, "container %.12s: %s: not an object", id, name);
	}
	return 0;
}

int ctr_reload(struct ctr *c, cell_error **err)
{
	json_t *rec = NULL, *st = NULL;
	int r = load_json(c->dirfd, "container.json", c->id, &rec, err);
	if (r < 0)
		return r;
	r = load_json(c->dirfd, "state.json", c->id, &st, err);
	if (r < 0) {
		json_decref(rec);
		return r;
	}
	json_decref(c->record);
	json_decref(c->state);
	c->record = rec;
	c->state = st;
	c->durable = !ctr_bool(rec, "HostConfig.AutoRemove");
	ctr_refresh(c);
	return 0;
}

/* A removal renames the directory away before it empties it: once we
 * hold the lock, the name must still lead to our directory. */
static bool still_there(const struct ctr *c)
{
	struct stat a, b;
	return fstat(c->dirfd, &a) == 0 && fstatat(c->parent_fd, c->id, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	       a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

int ctr_lock(struct ctr *c, cell_error **err)
{
	if (c->locked)
		return 0;
	while (flock(c->dirfd, LOCK_EX) < 0)
		if (errno != EINTR)
			return cell_error_errno(err, errno, "lock container %.12s", c->id);
	c->locked = true;
	if (!still_there(c)) {
		ctr_unlock(c);
		return cell_error_set(err, ENOENT, "no such container: %s", c->id);
	}
	return 0;
}

void ctr_unlock(struct ctr *c)
{
	if (c->locked)
		flock(c->dirfd, LOCK_UN);
	c->locked = false;
}

int ctr_open_id(struct engine *e, const char *id, bool lock, struct ctr **out, cell_error **err)
{
	_cleanup_ctr_ struct ctr *c = calloc(1, sizeof(*c));
	if (!c)
		return cell_error_set(err, ENOMEM, "out of memory");
	c->dirfd = -EBADF;
	if (!is_id(id))
		return cell_error_set(err, EINVAL, "invalid container ID \"%s\"", id);
	memcpy(c->id, id, CTR_ID_LEN + 1);
	c->dirfd = path_open_beneath(e->containers_fd, id, O_RDONLY | O_DIRECTORY);
	if (c->dirfd < 0)
		return c->dirfd == -ENOENT ? cell_error_set(err, ENOENT, "no such container: %s", id)
					   : cell_error_errno(err, -c->dirfd, "container %s", id);
	c->parent_fd = e->containers_fd;
	int r;
	if (lock && (r = ctr_lock(c, err)) < 0)
		return r;
	if ((r = ctr_reload(c, err)) < 0)
		return r;
	*out = TAKE_PTR(c);
	return 0;
}

int ctr_open(struct engine *e, const char *ref, bool lock, struct ctr **out, cell_error **err)
{
	char id[CTR_ID_LEN + 1];
	int r = ctr_resolve(e, ref, id, err);
	if (r < 0)
		return r;
	r = ctr_open_id(e, id, lock, out, err);
	if (r == -ENOENT) {
		if (err)
			cell_error_freep(err);
		return cell_error_set(err, ENOENT, "no such container: %s", ref);
	}
	return r;
}

static int by_created_desc(const void *a, const void *b)
{
	const struct ctr *x = *(const struct ctr *const *)a, *y = *(const struct ctr *const *)b;
	const char *cx = ctr_str(x->record, "Created"), *cy = ctr_str(y->record, "Created");
	int c = strcmp(cy ? cy : "", cx ? cx : "");
	return c ? c : strcmp(x->id, y->id);
}

int ctr_list(struct engine *e, struct ctr ***out, size_t *n, cell_error **err)
{
	_cleanup_strv_ char **ids = NULL;
	int r = list_ids(e, &ids, err);
	if (r < 0)
		return r;
	size_t cnt = strv_length(ids), k = 0;
	struct ctr **v = calloc(cnt + 1, sizeof(*v));
	if (!v)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < cnt; i++) {
		cell_error *e2 = NULL;
		if (ctr_open_id(e, ids[i], false, &v[k], &e2) == 0)
			k++;
		cell_error_free(e2);
	}
	qsort(v, k, sizeof(*v), by_created_desc);
	*out = v;
	*n = k;
	return 0;
}

void ctr_list_free(struct ctr **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		ctr_free(v[i]);
	free(v);
}

int ctr_write_file(struct ctr *c, const char *name, const char *text, cell_error **err)
{
	int r = write_file_replace(c->dirfd, name, text, strlen(text), 0600, c->durable);
	if (r < 0)
		return cell_error_errno(err, r, "container %.12s: write %s", c->id, name);
	return 0;
}

static int save_json(struct ctr *c, const char *name, json_t *j, cell_error **err)
{
	_cleanup_free_ char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text)
		return cell_error_set(err, ENOMEM, "out of memory");
	return ctr_write_file(c, name, text, err);
}

int ctr_save_state(struct ctr *c, cell_error **err)
{
	int r = save_json(c, "state.json", c->state, err);
	if (r == 0)
		ctr_refresh(c);
	return r;
}

int ctr_save_record(struct ctr *c, cell_error **err)
{
	return save_json(c, "container.json", c->record, err);
}

const char *ctr_name(const struct ctr *c)
{
	const char *n = json_string_value(json_object_get(c->record, "Name"));
	return n ? n : "";
}

static json_t *lookup(json_t *obj, const char *path)
{
	char key[128];
	while (obj && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		obj = json_object_get(obj, key);
		path += n + (dot ? 1 : 0);
	}
	return obj;
}

const char *ctr_str(json_t *obj, const char *path)
{
	return json_string_value(lookup(obj, path));
}

int64_t ctr_int(json_t *obj, const char *path, int64_t dflt)
{
	json_t *v = lookup(obj, path);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

bool ctr_bool(json_t *obj, const char *path)
{
	return json_is_true(lookup(obj, path));
}

void ctr_state_set(struct ctr *c, const char *key, json_t *value)
{
	json_object_set_new(c->state, key, value);
}

void ctr_state_set_pid(struct ctr *c, const char *key, pid_t pid)
{
	unsigned long long st = 0;
	char startkey[64];
	snprintf(startkey, sizeof(startkey), "%sStart", strncmp(key, "Monitor", 7) == 0 ? "Monitor" : "Pid");
	if (pid > 0)
		pid_stat(pid, &st, NULL);
	ctr_state_set(c, key, json_integer(pid));
	ctr_state_set(c, startkey, json_integer((json_int_t)st));
}

bool ctr_pid_alive(const struct ctr *c, const char *key)
{
	char startkey[64];
	snprintf(startkey, sizeof(startkey), "%sStart", strncmp(key, "Monitor", 7) == 0 ? "Monitor" : "Pid");
	pid_t pid = (pid_t)ctr_int(c->state, key, 0);
	unsigned long long want = (unsigned long long)ctr_int(c->state, startkey, 0), st = 0;
	char state = 0;
	if (pid <= 0 || pid_stat(pid, &st, &state) < 0)
		return false;
	return st == want && state != 'Z' && state != 'X';
}

int ctr_read_exit(int dirfd, int64_t gen, int *code, char *finished_at, size_t len)
{
	_cleanup_free_ char *buf = NULL;
	if (read_file_at(dirfd, "exit", 4096, &buf, NULL) < 0)
		return 0;
	long long g;
	int c;
	char when[64];
	if (sscanf(buf, "%lld %d %63s", &g, &c, when) != 3 || g != gen)
		return 0;
	*code = c;
	snprintf(finished_at, len, "%s", when);
	return 1;
}

void ctr_refresh(struct ctr *c)
{
	const char *st = ctr_str(c->state, "Status");
	int64_t gen = ctr_int(c->state, "Generation", 0);
	c->exit_code = (int)ctr_int(c->state, "ExitCode", 0);
	snprintf(c->finished_at, sizeof(c->finished_at), "%s", ctr_str(c->state, "FinishedAt") ?: "");
	c->init_alive = c->monitor_alive = c->exit_recorded = false;
	if (!st || strcmp(st, "created") == 0) {
		c->status = CTR_CREATED;
		return;
	}
	if (strcmp(st, "exited") == 0) {
		c->status = CTR_EXITED;
		return;
	}
	c->monitor_alive = ctr_pid_alive(c, "MonitorPid");
	if (strcmp(st, "restarting") == 0) {
		c->status = c->monitor_alive ? CTR_RESTARTING : CTR_EXITED;
		return;
	}
	/* "running": the monitor's exit record wins; then the live process. */
	if (ctr_read_exit(c->dirfd, gen, &c->exit_code, c->finished_at, sizeof(c->finished_at)) == 1) {
		c->exit_recorded = true;
		c->status = CTR_EXITED;
		return;
	}
	c->init_alive = ctr_pid_alive(c, "Pid");
	if (c->init_alive || c->monitor_alive) {
		/* A process that just ended is the monitor's to record. */
		c->status = CTR_RUNNING;
		return;
	}
	/* Both gone without a record: the monitor was killed; the exit code
	 * is lost. */
	c->status = CTR_EXITED;
	c->exit_code = -1;
}
