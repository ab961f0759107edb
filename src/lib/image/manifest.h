/* Image manifests and indexes, OCI and Docker schema2: media types, content
 * descriptors, parsing with messages that name the JSON path, and choosing a
 * platform's manifest from an index (or a Docker manifest list). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/digest.h"
#include "base/error.h"

#define MT_OCI_MANIFEST     "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX        "application/vnd.oci.image.index.v1+json"
#define MT_OCI_CONFIG       "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER        "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZIP   "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_OCI_LAYER_ZSTD   "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_OCI_LAYER_ND     "application/vnd.oci.image.layer.nondistributable.v1.tar"
#define MT_OCI_LAYER_ND_GZ  "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
#define MT_OCI_LAYER_ND_ZS  "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
#define MT_DOCKER_MANIFEST  "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST      "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_CONFIG    "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER     "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MT_DOCKER_FOREIGN   "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
#define MT_DOCKER_LAYER_TAR "application/vnd.docker.image.rootfs.diff.tar"

#define ANNOTATION_REF_NAME "org.opencontainers.image.ref.name"

/* What a document is, from its media type (or its shape when it has none). */
enum manifest_kind {
	KIND_UNKNOWN = 0,
	KIND_MANIFEST, /* OCI image manifest or Docker schema2 manifest */
	KIND_INDEX,    /* OCI image index or Docker manifest list */
};

struct platform {
	char os[32];
	char architecture[32];
	char variant[32];
};

struct descriptor {
	char *media_type;
	char digest[DIGEST_BUF];
	int64_t size;
	char **urls;         /* NULL when none */
	json_t *annotations; /* borrowed from the document, may be NULL */
	bool has_platform;
	struct platform platform;
};

struct manifest {
	enum manifest_kind kind;
	char *media_type; /* as declared, or the OCI one when absent */
	struct descriptor config;
	struct descriptor *layers;
	size_t n_layers;
	struct descriptor *manifests; /* KIND_INDEX */
	size_t n_manifests;
	json_t *json; /* the whole document, owned */
};

/* Parse a manifest or index. media_type is what the container (an index's
 * descriptor, an HTTP header) said it is, or NULL. what names the document. */
int manifest_parse(const char *buf, size_t len, const char *media_type, const char *what,
		   struct manifest *out, cell_error **err);
void manifest_clear(struct manifest *m);

/* A layer media type we can unpack; *foreign is set for non-distributable
 * layers (which may be missing from an archive and live at their urls). */
bool manifest_layer_type_known(const char *media_type, bool *foreign);

/* "os/arch[/variant]" into p. */
int platform_parse(const char *s, struct platform *p, cell_error **err);
/* The platform this program runs on, as Go spells it (linux/amd64). */
void platform_host(struct platform *p);
void platform_format(const struct platform *p, char *buf, size_t len);

/* Index of the manifest in an index that fits the platform (an exact variant
 * match first; one without variant if the platform has none). */
int manifest_select_platform(const struct manifest *index, const struct platform *p, size_t *out,
			     cell_error **err);
