#include "sysctl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "procfs.h"

int sysctl_apply(const struct oci_linux *l, int procfd, struct init_error *e)
{
	if (l->n_sysctl == 0)
		return 0;
	if (procfd < 0)
		return init_fail(e, procfd, "linux.sysctl: no verified procfs to write through");
	for (size_t i = 0; i < l->n_sysctl; i++) {
		const char *key = l->sysctl[i].key, *value = l->sysctl[i].value;
		char rel[512];
		if (strlen(key) + 4 >= sizeof(rel))
			return init_fail(e, ENAMETOOLONG, "linux.sysctl.%s", key);
		/* "net.ipv4.ip_forward" → sys/net/ipv4/ip_forward; a key already
		 * written with slashes keeps its dots (interface names such as
		 * eth0.100). */
		snprintf(rel, sizeof(rel), "sys/%s", key);
		if (!strchr(key, '/'))
			for (char *s = rel + 4; *s; s++)
				if (*s == '.')
					*s = '/';
		int r = procfs_write(procfd, rel, value);
		if (r < 0)
			return init_fail(e, r, "linux.sysctl.%s: write \"%s\" to /proc/%s", key, value, rel);
	}
	return 0;
}
