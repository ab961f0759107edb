/* Users and groups as an image defines them: "USER name:group" in an image
 * config is resolved through the image's own /etc/passwd and /etc/group,
 * read inside its root file system with path_open_in_root(), never the
 * host's. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"

struct image_user {
	uid_t uid;
	gid_t gid;
	gid_t *additional_gids; /* groups that list the user as a member */
	size_t n_additional;
	char *home; /* from passwd, "/" when unknown */
};

/* Resolve spec ("", "name", "uid", "name:group", "uid:gid", …) in the tree
 * rootfd. A name that the image does not define is an error naming it; a
 * numeric id needs no entry. */
int image_user_resolve(int rootfd, const char *spec, struct image_user *out, cell_error **err);
void image_user_clear(struct image_user *u);
