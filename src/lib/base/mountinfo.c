#include "mountinfo.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

/* \ooo → the byte it stands for, in place. */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
		    s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* The next space-separated field of *s, NUL-terminated; NULL at the end. */
static char *field(char **s)
{
	char *f = *s;
	if (!f || !*f)
		return NULL;
	char *sp = strchr(f, ' ');
	if (sp) {
		*sp = '\0';
		*s = sp + 1;
	} else {
		*s = NULL;
	}
	return f;
}

/* id parent maj:min root mountpoint options [optional fields…] - fstype source super */
static bool parse(char *line, struct mountinfo_entry *m)
{
	line[strcspn(line, "\n")] = '\0';
	char *s = line, *id = field(&s), *parent = field(&s), *dev = field(&s);
	char *root = field(&s), *mp = field(&s), *opts = field(&s);
	if (!opts || sscanf(id, "%d", &m->id) != 1 || sscanf(parent, "%d", &m->parent) != 1 ||
	    sscanf(dev, "%u:%u", &m->major, &m->minor) != 2)
		return false;
	char *f;
	while ((f = field(&s)) && strcmp(f, "-") != 0)
		; /* optional fields: shared:N, master:N, … */
	char *fstype = field(&s), *source = field(&s), *super = field(&s);
	if (!f || !fstype || !source)
		return false;
	unescape(root);
	unescape(mp);
	unescape(source);
	*m = (struct mountinfo_entry){
	    .id = m->id,
	    .parent = m->parent,
	    .major = m->major,
	    .minor = m->minor,
	    .root = root,
	    .mountpoint = mp,
	    .options = opts,
	    .fstype = fstype,
	    .source = source,
	    .super_options = super ? super : "",
	};
	return true;
}

int mountinfo_foreach(const char *path, int (*fn)(const struct mountinfo_entry *m, void *data), void *data)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		struct mountinfo_entry m;
		if (!parse(line, &m))
			continue;
		int r = fn(&m, data);
		if (r != 0)
			return r;
	}
	return 0;
}
