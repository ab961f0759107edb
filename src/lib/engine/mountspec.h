/* What a container mounts besides its image, as users write it:
 *   -v /host:/ctr[:ro,…]    a bind mount of a host path
 *   -v name:/ctr[:ro]       a named volume (created when missing)
 *   -v /ctr                 an anonymous volume
 *   --mount type=bind|volume|tmpfs,source=…,target=…,readonly,…
 *   --tmpfs /ctr[:size=64m,mode=1777,…]
 * and the record they become (Docker's inspect "Mounts" entries). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"

enum mount_spec_kind {
	MOUNT_SPEC_BIND,
	MOUNT_SPEC_VOLUME,
	MOUNT_SPEC_TMPFS,
};

struct mount_spec {
	enum mount_spec_kind kind;
	char *source; /* bind: absolute host path; volume: its name (NULL: anonymous) */
	char *target; /* absolute, normalised */
	bool readonly;
	char *propagation; /* "rprivate", "rshared", … (bind); NULL: the default */
	char **options;    /* further mount options: tmpfs size=/mode=, nosuid, noexec, nodev */
	bool nocopy;       /* volume: do not copy the image's content in */
	bool must_exist;   /* bind from --mount: a missing source is an error (-v creates it) */
};

void mount_spec_clear(struct mount_spec *m);

/* -v/--volume SRC:DST[:OPTS] or DST. */
int mount_spec_parse_volume(const char *s, struct mount_spec *out, cell_error **err);

/* --mount KEY=VALUE,… */
int mount_spec_parse_mount(const char *s, struct mount_spec *out, cell_error **err);

/* --tmpfs DST[:OPTS] */
int mount_spec_parse_tmpfs(const char *s, struct mount_spec *out, cell_error **err);

/* True for a volume name Docker accepts: [A-Za-z0-9][A-Za-z0-9_.-]*. */
bool volume_name_valid(const char *name);

/* The mount as a record ({"Type", "Name"?, "Source", "Destination",
 * "RW", "Propagation", "Options"}); source_path is where its content is on
 * the host (a volume's directory; NULL for tmpfs). */
json_t *mount_spec_to_json(const struct mount_spec *m, const char *source_path);
