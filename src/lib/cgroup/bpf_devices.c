#include "bpf_devices.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"

/* The name our programs carry, so that update replaces ours and only ours. */
#define PROG_NAME "cell_devices"

/* Registers: r1 the context; r3 device type, r4 access, r5 major, r6 minor. */
enum { R0, R1, R2, R3, R4, R5, R6 };

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	return (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

#define LDX_W(dst, src, off)     insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define MOV32_REG(dst, src)      insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define AND32_IMM(dst, imm)      insn(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH32_IMM(dst, imm)      insn(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define MOV64_IMM(dst, imm)      insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JNE32_IMM(dst, imm, off) insn(BPF_JMP32 | BPF_JNE | BPF_K, dst, 0, off, imm)
#define JSET_IMM(dst, imm, off)  insn(BPF_JMP | BPF_JSET | BPF_K, dst, 0, off, imm)
#define EXIT()                   insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static unsigned devcg_access(unsigned a)
{
	return ((a & CGROUP_DEV_READ) ? BPF_DEVCG_ACC_READ : 0) |
	       ((a & CGROUP_DEV_WRITE) ? BPF_DEVCG_ACC_WRITE : 0) |
	       ((a & CGROUP_DEV_MKNOD) ? BPF_DEVCG_ACC_MKNOD : 0);
}

static bool rule_matches_all(const struct cgroup_device_rule *r)
{
	return r->type == 'a' && r->major < 0 && r->minor < 0 &&
	       (r->access & CGROUP_DEV_ALL) == CGROUP_DEV_ALL;
}

int bpf_devices_build(const struct cgroup_device_rule *rules, size_t n_rules, struct bpf_insn **out,
		      size_t *n, cell_error **err)
{
	/* 6 to load the context, at most 6 per rule, 2 for the final deny. */
	if (n_rules > 4096)
		return cell_error_set(err, E2BIG, "linux.resources.devices: %zu rules are more than 4096",
				      n_rules);
	struct bpf_insn *p = calloc(6 + 6 * n_rules + 2, sizeof(*p));
	if (!p)
		return cell_error_set(err, ENOMEM, "out of memory");
	size_t k = 0;
	p[k++] = LDX_W(R2, R1, 0);
	p[k++] = MOV32_REG(R3, R2);
	p[k++] = AND32_IMM(R3, 0xffff);
	p[k++] = MOV32_REG(R4, R2);
	p[k++] = RSH32_IMM(R4, 16);
	p[k++] = LDX_W(R5, R1, 4);
	p[k++] = LDX_W(R6, R1, 8);
	/* Last rule first: the first match decides, and a rule that matches
	 * everything ends the search (the verifier refuses code that cannot
	 * be reached, so nothing follows it). */
	bool complete = false;
	for (size_t i = n_rules; i-- > 0;) {
		const struct cgroup_device_rule *r = &rules[i];
		struct bpf_insn cond[4];
		int nc = 0;
		if (r->type != 'a')
			cond[nc++] =
			    JNE32_IMM(R3, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
		unsigned acc = devcg_access(r->access);
		if ((acc & 7) != 7)
			cond[nc++] = JSET_IMM(R4, (int32_t)(~acc & 7), 0);
		if (r->major >= 0)
			cond[nc++] = JNE32_IMM(R5, (int32_t)(uint32_t)r->major, 0);
		if (r->minor >= 0)
			cond[nc++] = JNE32_IMM(R6, (int32_t)(uint32_t)r->minor, 0);
		for (int c = 0; c < nc; c++) {
			cond[c].off = (int16_t)(nc - c - 1 + 2);
			p[k++] = cond[c];
		}
		p[k++] = MOV64_IMM(R0, r->allow ? 1 : 0);
		p[k++] = EXIT();
		if (rule_matches_all(r)) {
			complete = true;
			break;
		}
	}
	if (!complete) {
		p[k++] = MOV64_IMM(R0, 0);
		p[k++] = EXIT();
	}
	*out = p;
	*n = k;
	return 0;
}

int bpf_devices_eval(const struct bpf_insn *prog, size_t n, char type, uint32_t major, uint32_t minor,
		     unsigned access)
{
	uint64_t reg[11] = {0};
	uint32_t ctx[3] = {(devcg_access(access) << 16) |
			       (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR),
			   major, minor};
	for (size_t pc = 0; pc < n; pc++) {
		const struct bpf_insn *i = &prog[pc];
		uint64_t *d = &reg[i->dst_reg];
		switch (i->code) {
		case BPF_LDX | BPF_MEM | BPF_W:
			*d = ctx[i->off / 4];
			break;
		case BPF_ALU | BPF_MOV | BPF_X:
			*d = (uint32_t)reg[i->src_reg];
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			*d = (uint32_t)*d & (uint32_t)i->imm;
			break;
		case BPF_ALU | BPF_RSH | BPF_K:
			*d = (uint32_t)*d >> i->imm;
			break;
		case BPF_ALU64 | BPF_MOV | BPF_K:
			*d = (uint64_t)(int64_t)i->imm;
			break;
		case BPF_JMP32 | BPF_JNE | BPF_K:
			if ((uint32_t)*d != (uint32_t)i->imm)
				pc += (size_t)i->off;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			if (*d & (uint64_t)(int64_t)i->imm)
				pc += (size_t)i->off;
			break;
		case BPF_JMP | BPF_EXIT:
			return (int)reg[R0];
		default:
			return -EINVAL;
		}
	}
	return -EINVAL;
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/* Our programs attached directly to cgroup_fd, by id. */
static int query_ours(int cgroup_fd, uint32_t *ids, uint32_t *n)
{
	union bpf_attr q;
	memset(&q, 0, sizeof(q));
	q.query.target_fd = (uint32_t)cgroup_fd;
	q.query.attach_type = BPF_CGROUP_DEVICE;
	q.query.prog_ids = (uint64_t)(uintptr_t)ids;
	q.query.prog_cnt = *n;
	if (sys_bpf(BPF_PROG_QUERY, &q) < 0)
		return -errno;
	uint32_t kept = 0;
	for (uint32_t i = 0; i < q.query.prog_cnt && i < *n; i++) {
		union bpf_attr g;
		memset(&g, 0, sizeof(g));
		g.prog_id = ids[i];
		_cleanup_close_ int fd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &g);
		if (fd < 0)
			continue;
		struct bpf_prog_info info;
		memset(&info, 0, sizeof(info));
		union bpf_attr in;
		memset(&in, 0, sizeof(in));
		in.info.bpf_fd = (uint32_t)fd;
		in.info.info_len = sizeof(info);
		in.info.info = (uint64_t)(uintptr_t)&info;
		if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &in) < 0)
			continue;
		if (strncmp(info.name, PROG_NAME, sizeof(info.name)) == 0)
			ids[kept++] = ids[i];
	}
	*n = kept;
	return 0;
}

int bpf_devices_apply(int cgroup_fd, const char *where, const struct cgroup_device_rule *rules,
		      size_t n_rules, cell_error **err)
{
	_cleanup_free_ struct bpf_insn *prog = NULL;
	size_t n = 0;
	int r = bpf_devices_build(rules, n_rules, &prog, &n, err);
	if (r < 0)
		return r;

	uint32_t old[64];
	uint32_t n_old = ARRAY_SIZE(old);
	if (query_ours(cgroup_fd, old, &n_old) < 0)
		n_old = 0;

	char log[4096] = "";
	union bpf_attr load;
	memset(&load, 0, sizeof(load));
	load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	load.insns = (uint64_t)(uintptr_t)prog;
	load.insn_cnt = (uint32_t)n;
	load.license = (uint64_t)(uintptr_t) "Apache-2.0";
	load.log_buf = (uint64_t)(uintptr_t)log;
	load.log_size = sizeof(log);
	load.log_level = 1;
	memcpy(load.prog_name, PROG_NAME, sizeof(PROG_NAME));
	_cleanup_close_ int prog_fd = (int)sys_bpf(BPF_PROG_LOAD, &load);
	if (prog_fd < 0 && errno == ENOSPC) {
		/* The verifier's log did not fit; load without it. */
		load.log_buf = 0;
		load.log_size = 0;
		load.log_level = 0;
		prog_fd = (int)sys_bpf(BPF_PROG_LOAD, &load);
	}
	if (prog_fd < 0) {
		int e = errno;
		log[sizeof(log) - 1] = '\0';
		log[strcspn(log, "\n")] = '\0';
		return cell_error_errno(err, e, "load the device program for cgroup %s%s%s", where,
					*log ? "; verifier: " : "", log);
	}

	union bpf_attr at;
	memset(&at, 0, sizeof(at));
	at.target_fd = (uint32_t)cgroup_fd;
	at.attach_bpf_fd = (uint32_t)prog_fd;
	at.attach_type = BPF_CGROUP_DEVICE;
	at.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &at) < 0)
		return cell_error_errno(err, errno, "attach the device program to cgroup %s", where);

	/* Only now that the new rules hold may the old ones go: while both are
	 * attached, an access needs both to allow it. */
	for (uint32_t i = 0; i < n_old; i++) {
		union bpf_attr g;
		memset(&g, 0, sizeof(g));
		g.prog_id = old[i];
		_cleanup_close_ int fd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &g);
		if (fd < 0)
			continue;
		union bpf_attr de;
		memset(&de, 0, sizeof(de));
		de.target_fd = (uint32_t)cgroup_fd;
		de.attach_bpf_fd = (uint32_t)fd;
		de.attach_type = BPF_CGROUP_DEVICE;
		if (sys_bpf(BPF_PROG_DETACH, &de) < 0 && errno != ENOENT)
			return cell_error_errno(err, errno, "detach the old device program from cgroup %s",
						where);
	}
	return 0;
}
