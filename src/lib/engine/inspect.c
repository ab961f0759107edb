#include "inspect.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/strv.h"
#include "lifecycle.h"
#include "options.h"

static int64_t now_secs(void)
{
	return (int64_t)time(NULL);
}

static int64_t secs_of(const char *rfc3339)
{
	int64_t ns;
	return rfc3339 && opt_rfc3339_ns(rfc3339, &ns) ? ns / 1000000000 : 0;
}

void engine_human_duration(int64_t s, char *buf, size_t len)
{
	if (s < 1)
		snprintf(buf, len, "Less than a second");
	else if (s == 1)
		snprintf(buf, len, "1 second");
	else if (s < 60)
		snprintf(buf, len, "%lld seconds", (long long)s);
	else if (s < 120)
		snprintf(buf, len, "About a minute");
	else if (s < 3600)
		snprintf(buf, len, "%lld minutes", (long long)(s / 60));
	else if (s < 7200)
		snprintf(buf, len, "About an hour");
	else if (s < 48 * 3600)
		snprintf(buf, len, "%lld hours", (long long)(s / 3600));
	else if (s < 14 * 86400)
		snprintf(buf, len, "%lld days", (long long)(s / 86400));
	else if (s < 60 * 86400)
		snprintf(buf, len, "%lld weeks", (long long)(s / (7 * 86400)));
	else if (s < 730 * 86400)
		snprintf(buf, len, "%lld months", (long long)(s / (30 * 86400)));
	else
		snprintf(buf, len, "%lld years", (long long)(s / (365 * 86400)));
}

void engine_status_text(const struct ctr *c, char *buf, size_t len)
{
	char d[64];
	switch (c->status) {
	case CTR_CREATED:
		snprintf(buf, len, "Created");
		return;
	case CTR_RUNNING:
		engine_human_duration(now_secs() - secs_of(ctr_str(c->state, "StartedAt")), d, sizeof(d));
		snprintf(buf, len, "Up %s", d);
		return;
	case CTR_RESTARTING:
		engine_human_duration(now_secs() - secs_of(ctr_str(c->state, "FinishedAt")), d, sizeof(d));
		snprintf(buf, len, "Restarting (%d) %s ago", (int)ctr_int(c->state, "ExitCode", 0), d);
		return;
	case CTR_EXITED:
	default:
		engine_human_duration(now_secs() - secs_of(c->finished_at), d, sizeof(d));
		snprintf(buf, len, "Exited (%d) %s ago", c->exit_code, d);
		return;
	}
}

char *engine_command_text(const struct ctr *c)
{
	size_t cap = 4096, o = 0;
	char *s = malloc(cap);
	if (!s)
		return NULL;
	o += (size_t)snprintf(s + o, cap - o, "\"%s", ctr_str(c->record, "Path") ?: "");
	size_t i;
	json_t *a;
	json_array_foreach (json_object_get(c->record, "Args"), i, a)
		if (o < cap)
			o += (size_t)snprintf(s + o, cap - o, " %s", json_string_value(a) ?: "");
	if (o < cap)
		snprintf(s + o, cap - o, "\"");
	return s;
}

static json_t *state_json(const struct ctr *c)
{
	const char *status = ctr_status_name(c->status);
	bool running = c->status == CTR_RUNNING;
	return json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:I, s:i, s:s, s:s, s:s, s:I}", "Status", status,
			 "Running", running, "Paused", false, "Restarting", c->status == CTR_RESTARTING,
			 "OOMKilled", false, "Dead", false, "Pid",
			 (json_int_t)(running && c->init_alive ? ctr_int(c->state, "Pid", 0) : 0), "ExitCode",
			 c->exit_code, "Error", ctr_str(c->state, "Error") ?: "", "StartedAt",
			 ctr_str(c->state, "StartedAt") ?: "", "FinishedAt", c->finished_at, "MonitorPid",
			 (json_int_t)(c->monitor_alive ? ctr_int(c->state, "MonitorPid", 0) : 0));
}

json_t *engine_inspect_json(struct engine *e, const struct ctr *c, bool size)
{
	json_t *j = json_deep_copy(c->record);
	if (!j)
		return NULL;
	/* The resolved seccomp program stays internal; HostConfig names it. */
	json_object_del(j, "Seccomp");
	json_object_set_new(j, "State", state_json(c));
	json_object_set_new(j, "RestartCount", json_integer(ctr_int(c->state, "RestartCount", 0)));
	if (size)
		json_object_set_new(j, "SizeRw", json_integer((json_int_t)engine_rw_size(e, c->id)));
	return j;
}

json_t *engine_ps_json(struct engine *e, const struct ctr *c, bool size)
{
	char status[128], ago[64], shortid[13];
	engine_status_text(c, status, sizeof(status));
	int64_t created = secs_of(ctr_str(c->record, "Created"));
	engine_human_duration(now_secs() - created, ago, sizeof(ago));
	snprintf(ago + strlen(ago), sizeof(ago) - strlen(ago), " ago");
	snprintf(shortid, sizeof(shortid), "%.12s", c->id);
	_cleanup_free_ char *cmd = engine_command_text(c);
	json_t *labels = json_object_get(json_object_get(c->record, "Config"), "Labels");
	json_t *j = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:i, s:I, s:O, s:O, s:s}", "ID", shortid,
	    "Id", c->id, "Names", ctr_name(c), "Image", ctr_str(c->record, "Config.Image") ?: "", "ImageID",
	    ctr_str(c->record, "Image") ?: "", "Command", cmd ? cmd : "", "Created", (json_int_t)created,
	    "CreatedAt", ctr_str(c->record, "Created") ?: "", "RunningFor", ago, "Status", status, "State",
	    ctr_status_name(c->status), "ExitCode", c->exit_code, "Pid",
	    (json_int_t)(c->init_alive ? ctr_int(c->state, "Pid", 0) : 0), "Labels",
	    labels ? labels : json_null(), "Mounts", json_object_get(c->record, "Mounts") ?: json_null(),
	    "Ports", "");
	if (j && size)
		json_object_set_new(j, "Size", json_integer((json_int_t)engine_rw_size(e, c->id)));
	return j;
}

static const char *const filter_keys[] = {"id", "name", "status", "label", "exited", "ancestor"};

int ctr_filter_add(struct ctr_filter *f, const char *kv, cell_error **err)
{
	const char *eq = strchr(kv, '=');
	if (!eq)
		return cell_error_set(err, EINVAL, "--filter \"%s\": must be KEY=VALUE", kv);
	size_t kl = (size_t)(eq - kv);
	bool known = false;
	for (size_t i = 0; i < ARRAY_SIZE(filter_keys); i++)
		known = known || (strlen(filter_keys[i]) == kl && strncmp(kv, filter_keys[i], kl) == 0);
	if (!known)
		return cell_error_set(
		    err, EINVAL,
		    "--filter \"%s\": unknown filter (id, name, status, label, exited, ancestor)", kv);
	if (strncmp(kv, "status", kl) == 0 && strcmp(eq + 1, "created") != 0 &&
	    strcmp(eq + 1, "running") != 0 && strcmp(eq + 1, "restarting") != 0 &&
	    strcmp(eq + 1, "exited") != 0 && strcmp(eq + 1, "paused") != 0 &&
	    strcmp(eq + 1, "removing") != 0 && strcmp(eq + 1, "dead") != 0)
		return cell_error_set(err, EINVAL, "--filter \"%s\": not a status", kv);
	_cleanup_free_ char *k = strndup(kv, kl);
	if (!k || strv_push(&f->keys, k) < 0 || strv_push(&f->values, eq + 1) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	return 0;
}

void ctr_filter_clear(struct ctr_filter *f)
{
	strv_free(f->keys);
	strv_free(f->values);
	f->keys = f->values = NULL;
}

static bool match_one(const char *key, const char *v, struct engine *e, const struct ctr *c)
{
	if (strcmp(key, "id") == 0)
		return strncmp(c->id, v, strlen(v)) == 0;
	if (strcmp(key, "name") == 0)
		return strstr(ctr_name(c), v) != NULL;
	if (strcmp(key, "status") == 0)
		return strcmp(ctr_status_name(c->status), v) == 0;
	if (strcmp(key, "exited") == 0)
		return c->status == CTR_EXITED && atoi(v) == c->exit_code;
	if (strcmp(key, "label") == 0) {
		json_t *labels = json_object_get(json_object_get(c->record, "Config"), "Labels");
		const char *eq = strchr(v, '=');
		char k[256];
		snprintf(k, sizeof(k), "%.*s", eq ? (int)(eq - v) : (int)strlen(v), v);
		json_t *have = json_object_get(labels, k);
		return have && (!eq || strcmp(json_string_value(have) ?: "", eq + 1) == 0);
	}
	if (strcmp(key, "ancestor") == 0) {
		const char *img = ctr_str(c->record, "Image") ?: "";
		if (strcmp(ctr_str(c->record, "Config.Image") ?: "", v) == 0 ||
		    strcmp(ctr_str(c->record, "ImageName") ?: "", v) == 0)
			return true;
		if (strlen(img) > 7 && strncmp(img + 7, v, strlen(v)) == 0 && strlen(v) >= 4)
			return true;
		struct image im;
		bool by_name;
		cell_error *ie = NULL;
		bool same = false;
		if (image_store_resolve(e->store, v, &im, &by_name, &ie) == 0) {
			same = strcmp(im.id, img) == 0;
			image_clear(&im);
		}
		cell_error_free(ie);
		return same;
	}
	return false;
}

bool ctr_filter_match(const struct ctr_filter *f, struct engine *e, const struct ctr *c)
{
	for (size_t i = 0; f->keys && f->keys[i]; i++) {
		/* Values of one key: any may match. */
		bool seen_before = false;
		for (size_t k = 0; k < i; k++)
			seen_before = seen_before || strcmp(f->keys[k], f->keys[i]) == 0;
		if (seen_before)
			continue;
		bool any = false;
		for (size_t k = i; f->keys[k]; k++)
			if (strcmp(f->keys[k], f->keys[i]) == 0 && match_one(f->keys[i], f->values[k], e, c))
				any = true;
		if (!any)
			return false;
	}
	return true;
}
