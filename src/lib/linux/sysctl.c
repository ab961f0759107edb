#include "sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/file.h"

int sysctl_apply(const struct oci_linux *l, struct init_error *e)
{
	if (l->n_sysctl == 0)
		return 0;
	_cleanup_close_ int procfd = open("/proc/sys", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (procfd < 0)
		return init_fail(e, errno, "linux.sysctl: open /proc/sys in the container");
	struct statfs sfs;
	if (fstatfs(procfd, &sfs) < 0)
		return init_fail(e, errno, "linux.sysctl: check /proc/sys");
	if (sfs.f_type != PROC_SUPER_MAGIC)
		return init_fail(e, EXDEV, "linux.sysctl: /proc/sys is not procfs");
	for (size_t i = 0; i < l->n_sysctl; i++) {
		const char *key = l->sysctl[i].key, *value = l->sysctl[i].value;
		char rel[512];
		if (strlen(key) >= sizeof(rel))
			return init_fail(e, ENAMETOOLONG, "linux.sysctl.%s", key);
		/* "net.ipv4.ip_forward" → net/ipv4/ip_forward; a key already written
		 * with slashes keeps its dots (interface names such as eth0.100). */
		strcpy(rel, key);
		if (!strchr(rel, '/'))
			for (char *s = rel; *s; s++)
				if (*s == '.')
					*s = '/';
		struct open_how how = {.flags = O_WRONLY | O_CLOEXEC,
				       .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV |
						  RESOLVE_NO_MAGICLINKS};
		_cleanup_close_ int fd = (int)syscall(SYS_openat2, procfd, rel, &how, sizeof(how));
		if (fd < 0 && errno == ENOSYS)
			fd = openat(procfd, rel, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return init_fail(e, errno, "linux.sysctl.%s: open /proc/sys/%s", key, rel);
		int r = write_all(fd, value, strlen(value));
		if (r < 0)
			return init_fail(e, r, "linux.sysctl.%s: write \"%s\"", key, value);
	}
	return 0;
}
