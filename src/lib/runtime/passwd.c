#include "passwd.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/file.h"
#include "base/path.h"

char *passwd_home(int rootfd, uid_t uid)
{
	_cleanup_close_ int fd = path_open_in_root(rootfd, "/etc/passwd", O_RDONLY, PATH_CREATE_NONE, 0);
	_cleanup_free_ char *buf = NULL;
	if (fd < 0 || read_all(fd, 4 << 20, &buf, NULL) < 0)
		return strdup("/");
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		/* name:password:uid:gid:gecos:home:shell */
		char *f[7] = {0};
		int n = 0;
		for (char *s = line; n < 7; n++) {
			f[n] = s;
			s = strchr(s, ':');
			if (!s)
				break;
			*s++ = '\0';
		}
		if (n < 6 || !*f[2])
			continue;
		char *end;
		unsigned long v = strtoul(f[2], &end, 10);
		if (*end == '\0' && (uid_t)v == uid && *f[5])
			return strdup(f[5]);
	}
	return strdup("/");
}
