#include "stats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/file.h"
#include "base/json.h"
#include "options.h"
#include "runtime/control.h"

static uint64_t u64_at(json_t *obj, const char *a, const char *b)
{
	json_t *v = json_object_get(json_object_get(obj, a), b);
	uint64_t out = 0;
	return json_as_u64(v, &out) ? out : 0;
}

static void net_bytes(pid_t pid, uint64_t *rx, uint64_t *tx)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/net/dev", (int)pid);
	_cleanup_free_ char *buf = NULL;
	*rx = *tx = 0;
	if (read_file_at(AT_FDCWD, path, 1 << 20, &buf, NULL) < 0)
		return;
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		char *name = line;
		while (*name == ' ')
			name++;
		if (strcmp(name, "lo") == 0)
			continue;
		unsigned long long r, t, skip;
		if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu", &r, &skip, &skip, &skip,
			   &skip, &skip, &skip, &skip, &t) == 9) {
			*rx += r;
			*tx += t;
		}
	}
}

int engine_stats_sample(struct engine *e, const struct ctr *c, const struct ctr_stats *prev,
			struct ctr_stats *out, cell_error **err)
{
	memset(out, 0, sizeof(*out));
	_cleanup_json_ json_t *ev = NULL;
	int r = runtime_stats(&e->rt, c->id, &ev, err);
	if (r < 0)
		return r;
	json_t *data = json_object_get(ev, "data");
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	out->at_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	out->cpu_ns = u64_at(json_object_get(data, "cpu"), "usage", "total");
	json_t *mem = json_object_get(data, "memory");
	out->mem_usage = u64_at(mem, "usage", "usage");
	out->mem_limit = u64_at(mem, "usage", "limit");
	uint64_t phys = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
	if (!out->mem_limit || out->mem_limit > phys)
		out->mem_limit = phys;
	out->mem_percent = out->mem_limit ? 100.0 * (double)out->mem_usage / (double)out->mem_limit : 0;
	out->pids = u64_at(data, "pids", "current");
	size_t i;
	json_t *b;
	json_array_foreach (json_object_get(json_object_get(data, "blkio"), "ioServiceBytesRecursive"), i,
			    b) {
		const char *op = json_string_value(json_object_get(b, "op"));
		uint64_t v = 0;
		json_as_u64(json_object_get(b, "value"), &v);
		if (op && strcasecmp(op, "read") == 0)
			out->blk_read += v;
		else if (op && strcasecmp(op, "write") == 0)
			out->blk_write += v;
	}
	if (c->init_alive)
		net_bytes((pid_t)ctr_int(c->state, "Pid", 0), &out->net_rx, &out->net_tx);
	if (prev && out->at_ns > prev->at_ns) {
		out->cpu_percent =
		    100.0 * (double)(out->cpu_ns - prev->cpu_ns) / (double)(out->at_ns - prev->at_ns);
	} else {
		int64_t started = 0;
		struct timespec rt;
		clock_gettime(CLOCK_REALTIME, &rt);
		int64_t now = (int64_t)rt.tv_sec * 1000000000 + rt.tv_nsec;
		const char *s = ctr_str(c->state, "StartedAt");
		if (s && opt_rfc3339_ns(s, &started) && now > started)
			out->cpu_percent = 100.0 * (double)out->cpu_ns / (double)(now - started);
	}
	return 0;
}

void engine_binary_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	double v = (double)bytes;
	size_t u = 0;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.4g%s" : "%.0f%s", v, units[u]);
}

static void pair(uint64_t a, uint64_t b, char *buf, size_t len)
{
	char x[32], y[32];
	engine_binary_size(a, x, sizeof(x));
	engine_binary_size(b, y, sizeof(y));
	snprintf(buf, len, "%s / %s", x, y);
}

json_t *engine_stats_json(const struct ctr *c, const struct ctr_stats *s)
{
	char cpu[32], mem[80], memp[32], net[80], blk[80], pids[32], id[13];
	snprintf(cpu, sizeof(cpu), "%.2f%%", s->cpu_percent);
	pair(s->mem_usage, s->mem_limit, mem, sizeof(mem));
	snprintf(memp, sizeof(memp), "%.2f%%", s->mem_percent);
	pair(s->net_rx, s->net_tx, net, sizeof(net));
	pair(s->blk_read, s->blk_write, blk, sizeof(blk));
	snprintf(pids, sizeof(pids), "%llu", (unsigned long long)s->pids);
	snprintf(id, sizeof(id), "%.12s", c->id);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", id, "Name", ctr_name(c), "CPUPerc",
			 cpu, "MemUsage", mem, "MemPerc", memp, "NetIO", net, "BlockIO", blk, "PIDs", pids);
}
