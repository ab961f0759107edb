#include "user.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/path.h"

#define DB_MAX (8 << 20)

void image_user_clear(struct image_user *u)
{
	free(u->additional_gids);
	free(u->home);
	memset(u, 0, sizeof(*u));
}

static bool parse_id(const char *s, unsigned long *out)
{
	if (!*s)
		return false;
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || s[0] == '-' || s[0] == '+' || v > UINT32_MAX - 1)
		return false;
	*out = v;
	return true;
}

/* The file's content, or NULL (not an error) when the image has none. */
static int read_db(int rootfd, const char *path, char **out, cell_error **err)
{
	*out = NULL;
	_cleanup_close_ int fd = path_open_in_root(rootfd, path, O_RDONLY, PATH_CREATE_NONE, 0);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return cell_error_errno(err, -fd, "image's %s", path);
	int r = read_all(fd, DB_MAX, out, NULL);
	if (r < 0)
		return cell_error_errno(err, -r, "read the image's %s", path);
	return 0;
}

/* Split a colon-separated line into at most max fields (in place). */
static size_t fields(char *line, char **f, size_t max)
{
	size_t n = 0;
	f[n++] = line;
	for (char *p = line; *p && n < max; p++)
		if (*p == ':') {
			*p = '\0';
			f[n++] = p + 1;
		}
	return n;
}

/* Find a passwd entry by name (or, with by_id, by uid). */
static bool passwd_find(char *db, const char *name, bool by_id, unsigned long id, struct image_user *u)
{
	if (!db)
		return false;
	char *save = NULL;
	for (char *line = strtok_r(db, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[7];
		if (line[0] == '#' || fields(line, f, 7) < 7)
			continue;
		unsigned long uid, gid;
		if (!parse_id(f[2], &uid) || !parse_id(f[3], &gid))
			continue;
		if (by_id ? uid != id : strcmp(f[0], name) != 0)
			continue;
		u->uid = (uid_t)uid;
		u->gid = (gid_t)gid;
		u->home = strdup(f[5][0] ? f[5] : "/");
		return true;
	}
	return false;
}

static bool group_find(char *db, const char *name, gid_t *gid)
{
	if (!db)
		return false;
	char *save = NULL;
	for (char *line = strtok_r(db, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[4];
		unsigned long id;
		if (line[0] == '#' || fields(line, f, 4) < 3 || !parse_id(f[2], &id))
			continue;
		if (strcmp(f[0], name) == 0) {
			*gid = (gid_t)id;
			return true;
		}
	}
	return false;
}

static int add_gid(struct image_user *u, gid_t g)
{
	if (g == u->gid)
		return 0;
	for (size_t i = 0; i < u->n_additional; i++)
		if (u->additional_gids[i] == g)
			return 0;
	gid_t *n = realloc(u->additional_gids, (u->n_additional + 1) * sizeof(gid_t));
	if (!n)
		return -ENOMEM;
	u->additional_gids = n;
	u->additional_gids[u->n_additional++] = g;
	return 0;
}

static int memberships(char *db, const char *user, struct image_user *u)
{
	if (!db || !user)
		return 0;
	char *save = NULL;
	for (char *line = strtok_r(db, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[4];
		unsigned long id;
		if (line[0] == '#' || fields(line, f, 4) < 4 || !parse_id(f[2], &id))
			continue;
		char *msave = NULL;
		for (char *m = strtok_r(f[3], ",", &msave); m; m = strtok_r(NULL, ",", &msave))
			if (strcmp(m, user) == 0 && add_gid(u, (gid_t)id) < 0)
				return -ENOMEM;
	}
	return 0;
}

/* The user name of a passwd entry with this uid, for group memberships. */
static char *name_of_uid(const char *db, uid_t uid)
{
	if (!db)
		return NULL;
	_cleanup_free_ char *copy = strdup(db);
	char *save = NULL;
	for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[7];
		unsigned long id;
		if (line[0] == '#' || fields(line, f, 7) < 7 || !parse_id(f[2], &id))
			continue;
		if (id == uid)
			return strdup(f[0]);
	}
	return NULL;
}

int image_user_resolve(int rootfd, const char *spec, struct image_user *out, cell_error **err)
{
	memset(out, 0, sizeof(*out));
	_cleanup_free_ char *buf = strdup(spec ? spec : "");
	if (!buf)
		return cell_error_set(err, ENOMEM, "out of memory");
	char *user = buf, *group = strchr(buf, ':');
	if (group)
		*group++ = '\0';
	if (group && !*group)
		return cell_error_set(err, EINVAL, "user \"%s\": empty group", spec);
	if (!*user)
		user = group ? NULL : "0";
	if (!user)
		return cell_error_set(err, EINVAL, "user \"%s\": empty user name", spec);

	_cleanup_free_ char *passwd = NULL, *groups = NULL;
	int r = read_db(rootfd, "/etc/passwd", &passwd, err);
	if (r < 0)
		return r;
	r = read_db(rootfd, "/etc/group", &groups, err);
	if (r < 0)
		return r;

	struct image_user u = {0};
	unsigned long id;
	_cleanup_free_ char *scratch = passwd ? strdup(passwd) : NULL;
	_cleanup_free_ char *name = NULL;
	if (parse_id(user, &id)) {
		if (!passwd_find(scratch, NULL, true, id, &u)) {
			u.uid = (uid_t)id;
			u.gid = 0;
		}
		u.uid = (uid_t)id;
		name = name_of_uid(passwd, u.uid);
	} else {
		if (!passwd_find(scratch, user, false, 0, &u)) {
			image_user_clear(&u);
			return cell_error_set(err, ENOENT,
					      "user \"%s\": no such user in the image's /etc/passwd", user);
		}
		name = strdup(user);
	}
	if (!u.home && !(u.home = strdup("/"))) {
		image_user_clear(&u);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	if (group) {
		_cleanup_free_ char *gscratch = groups ? strdup(groups) : NULL;
		gid_t gid;
		if (parse_id(group, &id)) {
			u.gid = (gid_t)id;
		} else if (group_find(gscratch, group, &gid)) {
			u.gid = gid;
		} else {
			image_user_clear(&u);
			return cell_error_set(err, ENOENT,
					      "group \"%s\": no such group in the image's /etc/group", group);
		}
	}
	_cleanup_free_ char *mscratch = groups ? strdup(groups) : NULL;
	if (memberships(mscratch, name, &u) < 0) {
		image_user_clear(&u);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	*out = u;
	return 0;
}
