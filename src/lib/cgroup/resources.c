/* Parsing linux.resources into struct cgroup_resources, and the conversions
 * between v1 and v2 values. */
#include "resources.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"

void cgroup_resources_free(struct cgroup_resources *r)
{
	if (!r)
		return;
	free(r->weight_devices);
	for (int k = 0; k < CGROUP_THROTTLE_KINDS; k++)
		free(r->throttle[k]);
	free(r->hugepages);
	free(r->net_priorities);
	free(r->rdma);
	free(r->unified);
	free(r->devices);
	json_decref(r->json);
	free(r);
}

/* where.key as one string, for nested objects' messages. */
static char *sub_where(const char *where, const char *key)
{
	char p[512];
	return strdup(json_path_key(p, sizeof(p), where, key));
}

static int parse_memory(struct cgroup_resources *r, const json_t *m, const char *w, cell_error **err)
{
	int64_t ignored;
	int rc;
	if ((rc = json_get_i64(m, w, "limit", false, -1, INT64_MAX, &r->memory_limit, &r->has_memory_limit,
			       err)) < 0 ||
	    (rc = json_get_i64(m, w, "reservation", false, -1, INT64_MAX, &r->memory_reservation,
			       &r->has_memory_reservation, err)) < 0 ||
	    (rc = json_get_i64(m, w, "swap", false, -1, INT64_MAX, &r->memory_swap, &r->has_memory_swap,
			       err)) < 0 ||
	    /* kernel and kernelTCP: checked for type, then ignored, as kernels
	     * since 5.16 ignore kernel memory limits (and v2 never had them). */
	    (rc = json_get_i64(m, w, "kernel", false, -1, INT64_MAX, &ignored, NULL, err)) < 0 ||
	    (rc = json_get_i64(m, w, "kernelTCP", false, -1, INT64_MAX, &ignored, NULL, err)) < 0 ||
	    (rc = json_get_u64(m, w, "swappiness", false, &r->swappiness, &r->has_swappiness, err)) < 0)
		return rc;
	if (r->has_swappiness && r->swappiness > 100) {
		/* runc and docker send 2^64-1 (-1 as unsigned) for "leave it". */
		if (r->swappiness != UINT64_MAX)
			return cell_error_set(err, EINVAL, "%s.swappiness: must be from 0 to 100, got %llu",
					      w, (unsigned long long)r->swappiness);
		r->has_swappiness = false;
	}
	json_t *v = json_object_get(m, "disableOOMKiller");
	if ((rc = json_get_bool(m, w, "disableOOMKiller", false, &r->disable_oom_killer, err)) < 0)
		return rc;
	r->has_disable_oom_killer = v && !json_is_null(v);
	v = json_object_get(m, "useHierarchy");
	if ((rc = json_get_bool(m, w, "useHierarchy", false, &r->use_hierarchy, err)) < 0)
		return rc;
	r->has_use_hierarchy = v && !json_is_null(v);
	return json_get_bool(m, w, "checkBeforeUpdate", false, &r->check_before_update, err);
}

static int parse_cpu(struct cgroup_resources *r, const json_t *c, const char *w, cell_error **err)
{
	int rc;
	if ((rc = json_get_u64(c, w, "shares", false, &r->cpu_shares, &r->has_cpu_shares, err)) < 0 ||
	    (rc = json_get_i64(c, w, "quota", false, INT64_MIN, INT64_MAX, &r->cpu_quota, &r->has_cpu_quota,
			       err)) < 0 ||
	    (rc = json_get_u64(c, w, "period", false, &r->cpu_period, &r->has_cpu_period, err)) < 0 ||
	    (rc = json_get_u64(c, w, "burst", false, &r->cpu_burst, &r->has_cpu_burst, err)) < 0 ||
	    (rc = json_get_i64(c, w, "realtimeRuntime", false, INT64_MIN, INT64_MAX, &r->rt_runtime,
			       &r->has_rt_runtime, err)) < 0 ||
	    (rc = json_get_u64(c, w, "realtimePeriod", false, &r->rt_period, &r->has_rt_period, err)) < 0 ||
	    (rc = json_get_string(c, w, "cpus", false, &r->cpus, err)) < 0 ||
	    (rc = json_get_string(c, w, "mems", false, &r->mems, err)) < 0 ||
	    (rc = json_get_i64(c, w, "idle", false, 0, 1, &r->cpu_idle, &r->has_cpu_idle, err)) < 0)
		return rc;
	/* 0 means "not set" for these, as in runc. */
	if (r->has_cpu_shares && r->cpu_shares == 0)
		r->has_cpu_shares = false;
	if (r->has_cpu_quota && r->cpu_quota == 0)
		r->has_cpu_quota = false;
	if (r->has_cpu_period && r->cpu_period == 0)
		r->has_cpu_period = false;
	if (r->has_rt_runtime && r->rt_runtime == 0)
		r->has_rt_runtime = false;
	if (r->has_rt_period && r->rt_period == 0)
		r->has_rt_period = false;
	if (r->cpus && !*r->cpus)
		r->cpus = NULL;
	if (r->mems && !*r->mems)
		r->mems = NULL;
	if (r->has_cpu_shares && (r->cpu_shares < 2 || r->cpu_shares > 262144))
		return cell_error_set(err, EINVAL, "%s.shares: must be from 2 to 262144, got %llu", w,
				      (unsigned long long)r->cpu_shares);
	if (r->has_cpu_period && (r->cpu_period < 1000 || r->cpu_period > 1000000))
		return cell_error_set(err, EINVAL,
				      "%s.period: must be from 1000 to 1000000 microseconds, got %llu", w,
				      (unsigned long long)r->cpu_period);
	if (r->has_cpu_quota && r->cpu_quota > 0 && r->cpu_quota < 1000)
		return cell_error_set(err, EINVAL,
				      "%s.quota: must be at least 1000 microseconds (or -1), got %lld", w,
				      (long long)r->cpu_quota);
	return 0;
}

static int parse_major_minor(const json_t *o, const char *w, int64_t *major, int64_t *minor, bool required,
			     cell_error **err)
{
	int rc;
	*major = *minor = -1;
	if ((rc = json_get_i64(o, w, "major", required, -1, UINT32_MAX, major, NULL, err)) < 0 ||
	    (rc = json_get_i64(o, w, "minor", required, -1, UINT32_MAX, minor, NULL, err)) < 0)
		return rc;
	return 0;
}

static int parse_weight(const json_t *o, const char *w, const char *key, bool *has, uint16_t *out,
			cell_error **err)
{
	int64_t v;
	int rc = json_get_i64(o, w, key, false, 0, 1000, &v, has, err);
	if (rc < 0)
		return rc;
	if (*has && v == 0) {
		*has = false; /* 0: not set */
		return 0;
	}
	if (*has && v < 10)
		return cell_error_set(err, EINVAL, "%s.%s: must be from 10 to 1000, got %lld", w, key,
				      (long long)v);
	*out = (uint16_t)v;
	return 0;
}

static const char *const throttle_keys[CGROUP_THROTTLE_KINDS] = {
    "throttleReadBpsDevice", "throttleWriteBpsDevice", "throttleReadIOPSDevice", "throttleWriteIOPSDevice"};

static int parse_blkio(struct cgroup_resources *r, const json_t *b, const char *w, cell_error **err)
{
	int rc;
	json_t *a = NULL;
	char p[512];
	if ((rc = parse_weight(b, w, "weight", &r->has_blkio_weight, &r->blkio_weight, err)) < 0 ||
	    (rc = parse_weight(b, w, "leafWeight", &r->has_blkio_leaf_weight, &r->blkio_leaf_weight, err)) <
		0 ||
	    (rc = json_get_array(b, w, "weightDevice", false, &a, err)) < 0)
		return rc;
	size_t n = json_array_size(a);
	if (n && !(r->weight_devices = calloc(n, sizeof(*r->weight_devices))))
		return cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(a, i);
		struct cgroup_weight_device *d = &r->weight_devices[i];
		json_path_index(p, sizeof(p), w, "weightDevice", i);
		if (!json_is_object(o))
			return cell_error_set(err, EINVAL, "%s: must be an object", p);
		if ((rc = parse_major_minor(o, p, &d->major, &d->minor, true, err)) < 0 ||
		    (rc = parse_weight(o, p, "weight", &d->has_weight, &d->weight, err)) < 0 ||
		    (rc = parse_weight(o, p, "leafWeight", &d->has_leaf_weight, &d->leaf_weight, err)) < 0)
			return rc;
		if (d->major < 0 || d->minor < 0)
			return cell_error_set(err, EINVAL, "%s: major and minor must not be negative", p);
		r->n_weight_devices++;
	}
	for (int k = 0; k < CGROUP_THROTTLE_KINDS; k++) {
		a = NULL;
		if ((rc = json_get_array(b, w, throttle_keys[k], false, &a, err)) < 0)
			return rc;
		n = json_array_size(a);
		if (n && !(r->throttle[k] = calloc(n, sizeof(*r->throttle[k]))))
			return cell_error_set(err, ENOMEM, "out of memory");
		for (size_t i = 0; i < n; i++) {
			json_t *o = json_array_get(a, i);
			struct cgroup_throttle_device *d = &r->throttle[k][i];
			json_path_index(p, sizeof(p), w, throttle_keys[k], i);
			if (!json_is_object(o))
				return cell_error_set(err, EINVAL, "%s: must be an object", p);
			if ((rc = parse_major_minor(o, p, &d->major, &d->minor, true, err)) < 0 ||
			    (rc = json_get_u64(o, p, "rate", true, &d->rate, NULL, err)) < 0)
				return rc;
			if (d->major < 0 || d->minor < 0)
				return cell_error_set(err, EINVAL, "%s: major and minor must not be negative",
						      p);
			r->n_throttle[k]++;
		}
	}
	return 0;
}

/* "2MB", "64KB", "1GB": digits then a unit the kernel uses in file names. */
static bool page_size_valid(const char *s)
{
	const char *u = s;
	while (isdigit((unsigned char)*u))
		u++;
	if (u == s || u - s > 12)
		return false;
	return strcmp(u, "KB") == 0 || strcmp(u, "MB") == 0 || strcmp(u, "GB") == 0 || strcmp(u, "TB") == 0;
}

static int parse_hugepages(struct cgroup_resources *r, json_t *a, const char *w, cell_error **err)
{
	size_t n = json_array_size(a);
	char p[512];
	int rc;
	if (n && !(r->hugepages = calloc(n, sizeof(*r->hugepages))))
		return cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(a, i);
		struct cgroup_hugepage_limit *h = &r->hugepages[i];
		json_path_index(p, sizeof(p), w, NULL, i);
		if (!json_is_object(o))
			return cell_error_set(err, EINVAL, "%s: must be an object", p);
		if ((rc = json_get_string(o, p, "pageSize", true, &h->page_size, err)) < 0 ||
		    (rc = json_get_u64(o, p, "limit", true, &h->limit, NULL, err)) < 0)
			return rc;
		if (!page_size_valid(h->page_size))
			return cell_error_set(
			    err, EINVAL, "%s.pageSize: \"%s\" is not a page size such as \"2MB\" or \"1GB\"",
			    p, h->page_size);
		r->n_hugepages++;
	}
	return 0;
}

static int parse_network(struct cgroup_resources *r, const json_t *o, const char *w, cell_error **err)
{
	int64_t id;
	json_t *a = NULL;
	char p[512];
	int rc;
	if ((rc = json_get_i64(o, w, "classID", false, 0, UINT32_MAX, &id, &r->has_class_id, err)) < 0 ||
	    (rc = json_get_array(o, w, "priorities", false, &a, err)) < 0)
		return rc;
	r->class_id = (uint32_t)id;
	size_t n = json_array_size(a);
	if (n && !(r->net_priorities = calloc(n, sizeof(*r->net_priorities))))
		return cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(a, i);
		struct cgroup_net_priority *np = &r->net_priorities[i];
		int64_t prio;
		json_path_index(p, sizeof(p), w, "priorities", i);
		if (!json_is_object(e))
			return cell_error_set(err, EINVAL, "%s: must be an object", p);
		if ((rc = json_get_string(e, p, "name", true, &np->name, err)) < 0 ||
		    (rc = json_get_i64(e, p, "priority", true, 0, UINT32_MAX, &prio, NULL, err)) < 0)
			return rc;
		if (!*np->name || strlen(np->name) >= 16 || strpbrk(np->name, " \t\n/"))
			return cell_error_set(err, EINVAL, "%s.name: \"%s\" is not an interface name", p,
					      np->name);
		np->priority = (uint32_t)prio;
		r->n_net_priorities++;
	}
	return 0;
}

static int parse_rdma(struct cgroup_resources *r, json_t *o, const char *w, cell_error **err)
{
	size_t n = json_object_size(o);
	const char *dev;
	json_t *v;
	char p[512];
	int rc;
	if (n && !(r->rdma = calloc(n, sizeof(*r->rdma))))
		return cell_error_set(err, ENOMEM, "out of memory");
	json_object_foreach (o, dev, v) {
		struct cgroup_rdma_limit *l = &r->rdma[r->n_rdma];
		int64_t x;
		json_path_key(p, sizeof(p), w, dev);
		if (!json_is_object(v))
			return cell_error_set(err, EINVAL, "%s: must be an object", p);
		if (!*dev || strpbrk(dev, " \t\n/"))
			return cell_error_set(err, EINVAL, "%s: \"%s\" is not an RDMA device name", w, dev);
		l->device = dev;
		if ((rc = json_get_i64(v, p, "hcaHandles", false, 0, UINT32_MAX, &x, &l->has_hca_handles,
				       err)) < 0)
			return rc;
		l->hca_handles = (uint32_t)x;
		if ((rc = json_get_i64(v, p, "hcaObjects", false, 0, UINT32_MAX, &x, &l->has_hca_objects,
				       err)) < 0)
			return rc;
		l->hca_objects = (uint32_t)x;
		r->n_rdma++;
	}
	return 0;
}

static int parse_unified(struct cgroup_resources *r, json_t *o, const char *w, cell_error **err)
{
	size_t n = json_object_size(o);
	const char *key;
	json_t *v;
	if (n && !(r->unified = calloc(n, sizeof(*r->unified))))
		return cell_error_set(err, ENOMEM, "out of memory");
	json_object_foreach (o, key, v) {
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
			return cell_error_set(err, EINVAL, "%s.%s: must be a string", w, key);
		r->unified[r->n_unified++] = (struct cgroup_unified_entry){key, json_string_value(v)};
	}
	return 0;
}

static int parse_access(const char *s, const char *w, unsigned *out, cell_error **err)
{
	unsigned a = 0;
	for (const char *c = s; *c; c++) {
		switch (*c) {
		case 'r':
			a |= CGROUP_DEV_READ;
			break;
		case 'w':
			a |= CGROUP_DEV_WRITE;
			break;
		case 'm':
			a |= CGROUP_DEV_MKNOD;
			break;
		default:
			return cell_error_set(err, EINVAL, "%s.access: \"%s\" may only hold r, w and m", w,
					      s);
		}
	}
	*out = a;
	return 0;
}

static int parse_devices(struct cgroup_resources *r, json_t *a, const char *w, cell_error **err)
{
	size_t n = json_array_size(a);
	char p[512];
	int rc;
	r->has_devices = n > 0;
	if (n && !(r->devices = calloc(n, sizeof(*r->devices))))
		return cell_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(a, i);
		struct cgroup_device_rule *d = &r->devices[i];
		const char *type = "a", *access = "rwm";
		json_path_index(p, sizeof(p), w, NULL, i);
		if (!json_is_object(o))
			return cell_error_set(err, EINVAL, "%s: must be an object", p);
		if ((rc = json_get_bool(o, p, "allow", true, &d->allow, err)) < 0 ||
		    (rc = json_get_string(o, p, "type", false, &type, err)) < 0 ||
		    (rc = json_get_string(o, p, "access", false, &access, err)) < 0 ||
		    (rc = parse_major_minor(o, p, &d->major, &d->minor, false, err)) < 0 ||
		    (rc = parse_access(access, p, &d->access, err)) < 0)
			return rc;
		if (strcmp(type, "a") != 0 && strcmp(type, "c") != 0 && strcmp(type, "b") != 0)
			return cell_error_set(err, EINVAL,
					      "%s.type: must be \"a\", \"c\" or \"b\", got \"%s\"", p, type);
		d->type = type[0];
		if (!*access)
			d->access = CGROUP_DEV_ALL;
		r->n_devices++;
	}
	return 0;
}

/* One optional sub-object parsed by fn, with its own path for messages. */
static int parse_sub(struct cgroup_resources *r, json_t *j, const char *where, const char *key,
		     int (*fn)(struct cgroup_resources *, const json_t *, const char *, cell_error **),
		     cell_error **err)
{
	json_t *o = NULL;
	int rc = json_get_object(j, where, key, false, &o, err);
	if (rc < 0 || !o)
		return rc;
	_cleanup_free_ char *w = sub_where(where, key);
	if (!w)
		return cell_error_set(err, ENOMEM, "out of memory");
	return fn(r, o, w, err);
}

/* An optional member of kind array or object, parsed by fn with its path. */
static int parse_member(struct cgroup_resources *r, json_t *j, const char *where, const char *key, bool array,
			int (*fn)(struct cgroup_resources *, json_t *, const char *, cell_error **),
			cell_error **err)
{
	json_t *v = NULL;
	int rc = array ? json_get_array(j, where, key, false, &v, err)
		       : json_get_object(j, where, key, false, &v, err);
	if (rc < 0 || !v)
		return rc;
	_cleanup_free_ char *w = sub_where(where, key);
	if (!w)
		return cell_error_set(err, ENOMEM, "out of memory");
	return fn(r, v, w, err);
}

static int parse_pids(struct cgroup_resources *r, json_t *o, const char *w, cell_error **err)
{
	int rc =
	    json_get_i64(o, w, "limit", true, INT64_MIN, INT64_MAX, &r->pids_limit, &r->has_pids_limit, err);
	if (rc < 0)
		return rc;
	if (r->pids_limit == 0)
		r->has_pids_limit = false;
	return 0;
}

int cgroup_resources_parse(json_t *json, const char *where, struct cgroup_resources **out, cell_error **err)
{
	_cleanup_resources_ struct cgroup_resources *r = calloc(1, sizeof(*r));
	int rc;
	if (!r)
		return cell_error_set(err, ENOMEM, "out of memory");
	r->json = json ? json_incref(json) : json_object();
	if (!r->json)
		return cell_error_set(err, ENOMEM, "out of memory");
	if (!json_is_object(r->json))
		return cell_error_set(err, EINVAL, "%s: must be an object", where);
	json_t *j = r->json;
	if ((rc = parse_sub(r, j, where, "memory", parse_memory, err)) < 0 ||
	    (rc = parse_sub(r, j, where, "cpu", parse_cpu, err)) < 0 ||
	    (rc = parse_sub(r, j, where, "blockIO", parse_blkio, err)) < 0 ||
	    (rc = parse_sub(r, j, where, "network", parse_network, err)) < 0 ||
	    (rc = parse_member(r, j, where, "pids", false, parse_pids, err)) < 0 ||
	    (rc = parse_member(r, j, where, "hugepageLimits", true, parse_hugepages, err)) < 0 ||
	    (rc = parse_member(r, j, where, "rdma", false, parse_rdma, err)) < 0 ||
	    (rc = parse_member(r, j, where, "unified", false, parse_unified, err)) < 0 ||
	    (rc = parse_member(r, j, where, "devices", true, parse_devices, err)) < 0)
		return rc;
	*out = TAKE_PTR(r);
	return 0;
}

/* Devices every container may use whatever its rules say: the nodes the
 * runtime creates itself, the terminal ones, and mknod of anything (opening
 * a node made that way is still subject to the rules). */
static const struct cgroup_device_rule default_rules[] = {
    {true, 'c', -1, -1, CGROUP_DEV_MKNOD}, {true, 'b', -1, -1, CGROUP_DEV_MKNOD},
    {true, 'c', 1, 3, CGROUP_DEV_ALL},     {true, 'c', 1, 5, CGROUP_DEV_ALL},
    {true, 'c', 1, 7, CGROUP_DEV_ALL},     {true, 'c', 1, 8, CGROUP_DEV_ALL},
    {true, 'c', 1, 9, CGROUP_DEV_ALL},     {true, 'c', 5, 0, CGROUP_DEV_ALL},
    {true, 'c', 5, 1, CGROUP_DEV_ALL},     {true, 'c', 5, 2, CGROUP_DEV_ALL},
    {true, 'c', 136, -1, CGROUP_DEV_ALL},
};

int cgroup_resources_add_default_devices(struct cgroup_resources *r, const struct oci_config *c,
					 cell_error **err)
{
	size_t extra = ARRAY_SIZE(default_rules) + (c ? c->linux_.n_devices : 0);
	struct cgroup_device_rule *d = realloc(r->devices, (r->n_devices + extra) * sizeof(*d));
	if (!d)
		return cell_error_set(err, ENOMEM, "out of memory");
	r->devices = d;
	/* linux.devices must be usable in the container: the spec lists them
	 * as devices it needs. */
	for (size_t i = 0; c && i < c->linux_.n_devices; i++) {
		const struct oci_device *od = &c->linux_.devices[i];
		if (od->type == 'p')
			continue;
		d[r->n_devices++] = (struct cgroup_device_rule){true, od->type == 'b' ? 'b' : 'c', od->major,
								od->minor, CGROUP_DEV_ALL};
	}
	for (size_t i = 0; i < ARRAY_SIZE(default_rules); i++)
		d[r->n_devices++] = default_rules[i];
	r->has_devices = true;
	return 0;
}

int cgroup_resources_from_config(const struct oci_config *c, struct cgroup_resources **out, cell_error **err)
{
	struct cgroup_resources *r = NULL;
	int rc = cgroup_resources_parse(c->linux_.resources, "linux.resources", &r, err);
	if (rc < 0)
		return rc;
	if (r->has_devices && (rc = cgroup_resources_add_default_devices(r, c, err)) < 0) {
		cgroup_resources_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

uint64_t cgroup_shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0;
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t cgroup_blkio_weight_to_io_weight(uint64_t weight)
{
	if (weight == 0)
		return 0;
	if (weight < 10)
		weight = 10;
	if (weight > 1000)
		weight = 1000;
	return 1 + ((weight - 10) * 9999) / 990;
}

bool cgroup_swap_to_v2(int64_t memory, int64_t swap, char *buf, size_t len, const char **why)
{
	if (swap == -1) {
		snprintf(buf, len, "max");
		return true;
	}
	if (memory <= 0) {
		*why = "a swap limit needs a memory limit";
		return false;
	}
	if (swap < memory) {
		*why = "memory+swap (memory.swap) must not be less than the memory limit";
		return false;
	}
	snprintf(buf, len, "%lld", (long long)(swap - memory));
	return true;
}

bool cgroup_parse_size(const char *s, int64_t *out)
{
	if (!s || !*s)
		return false;
	if (strcmp(s, "-1") == 0) {
		*out = -1;
		return true;
	}
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v < 0 || !isdigit((unsigned char)s[0]))
		return false;
	double mult = 1;
	char u = (char)tolower((unsigned char)*end);
	if (u) {
		const char *units = "kmgtp";
		const char *at = strchr(units, u);
		if (!at)
			return false;
		for (long i = 0; i <= at - units; i++)
			mult *= 1024;
		end++;
		if (*end == 'b' || *end == 'B')
			end++;
		else if (*end == 'i' && (end[1] == 'b' || end[1] == 'B'))
			end += 2;
	}
	if (*end)
		return false;
	v *= mult;
	if (v >= 9223372036854775807.0)
		return false;
	*out = (int64_t)v;
	return true;
}

int cgroup_resources_merge_json(json_t *base, json_t *patch)
{
	const char *key;
	json_t *v;
	json_object_foreach (patch, key, v) {
		json_t *b = json_object_get(base, key);
		if (json_is_object(b) && json_is_object(v)) {
			int r = cgroup_resources_merge_json(b, v);
			if (r < 0)
				return r;
			continue;
		}
		if (json_object_set(base, key, v) < 0)
			return -ENOMEM;
	}
	return 0;
}
