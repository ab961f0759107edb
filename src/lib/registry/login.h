/* cell login and logout: credentials checked against the registry, then
 * kept in (or removed from) the containers-auth.json file auth.h names. */
#pragma once

#include <stdbool.h>

#include "base/error.h"
#include "client.h"

/* The auth file's key for what the user typed ("https://host:5000/" →
 * "host:5000", "docker.io" for Docker Hub's names); a new string, or NULL
 * with err set when it names no registry. */
char *registry_login_key(const char *registry, cell_error **err);

/* Check o's username and password against registry ("host[:port]" or
 * "host[:port]/namespace") and store them. */
int registry_login(const char *registry, const struct registry_opts *o, cell_error **err);

/* Forget the credentials of registry, or of every registry with all. */
int registry_logout(const char *registry, bool all, cell_error **err);
