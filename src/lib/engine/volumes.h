/* Named volumes: directories the store keeps outside any container, at
 * ROOT/volumes/NAME/_data with their record in ROOT/volumes/NAME/volume.json
 * ({"Name", "Driver": "local", "Mountpoint", "CreatedAt", "Labels",
 * "Options", "Scope", "Anonymous"}). A volume is made in a temporary
 * directory and renamed into place, so that a killed process leaves at most
 * a ".tmp-" directory, which the next change under the store lock removes.
 * Every change needs the exclusive store lock (engine_lock). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "engine.h"

/* Create a volume. name NULL: an anonymous one (a random 64-hex name).
 * labels and options (objects, may be NULL) are kept in its record. An
 * existing volume of that name is not an error: *created tells. *out
 * (may be NULL) receives its name. */
int volume_create(struct engine *e, const char *name, json_t *labels, json_t *options, char **out,
		  bool *created, cell_error **err);

/* The record of a volume (new reference); -ENOENT: "no such volume". */
int volume_inspect(struct engine *e, const char *name, json_t **out, cell_error **err);

/* The directory that holds a volume's content. */
char *volume_data_path(struct engine *e, const char *name);
int volume_data_fd(struct engine *e, const char *name, cell_error **err);

/* Names of every volume, sorted. */
int volume_list(struct engine *e, char ***names, cell_error **err);

/* IDs of the containers whose mounts use the volume. */
int volume_users(struct engine *e, const char *name, char ***ids, cell_error **err);

/* Remove a volume; one in use only with force (its users keep an empty
 * mount point). */
int volume_remove(struct engine *e, const char *name, bool force, cell_error **err);

/* Remove volumes no container uses: anonymous ones, or all with all.
 * removed receives their names, reclaimed the bytes they held. */
int volume_prune(struct engine *e, bool all, json_t *label_filters, char ***removed, uint64_t *reclaimed,
		 cell_error **err);

/* Bytes below a directory (regular files, hard links counted once). */
uint64_t volume_dir_size(int dirfd);

/* Remove ".tmp-" directories left in ROOT/volumes by killed processes;
 * list only, with names (for `system check`). */
int volume_debris(struct engine *e, bool remove, char ***names, cell_error **err);
