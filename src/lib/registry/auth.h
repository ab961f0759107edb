/* Registry credentials in the containers-auth.json(5) format, shared with
 * podman, skopeo and buildah:
 *   {"auths": {"localhost:5000": {"auth": "base64(user:password)"}}}
 * `cell login` writes $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json
 * (root: /run/containers/0/auth.json); lookups also read
 * $XDG_CONFIG_HOME/containers/auth.json and Docker's ~/.docker/config.json.
 * Keys may name a registry or a repository within it; the longest match wins. */
#pragma once

#include "base/error.h"

struct credentials {
	char *username;
	char *password;
};

/* The file `login` writes (a new string). */
char *auth_file_path(void);

/* Credentials for name ("host[:port][/repo/path]"); -ENOENT when none. */
int auth_lookup(const char *name, struct credentials *out, cell_error **err);
/* The same in one file only (--authfile). */
int auth_lookup_in(const char *file, const char *name, struct credentials *out, cell_error **err);

/* Store or remove credentials for key (a registry or repository) in
 * auth_file_path(), atomically, mode 0600. */
int auth_store(const char *key, const char *username, const char *password, cell_error **err);
int auth_remove(const char *key, cell_error **err);
int auth_remove_all(cell_error **err);

void credentials_clear(struct credentials *c);
