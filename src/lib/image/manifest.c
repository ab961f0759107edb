#include "manifest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "base/json.h"
#include "base/strv.h"

static const char *const layer_types[] = {
    MT_OCI_LAYER, MT_OCI_LAYER_GZIP, MT_OCI_LAYER_ZSTD, MT_DOCKER_LAYER, MT_DOCKER_LAYER_TAR,
};
static const char *const foreign_types[] = {
    MT_OCI_LAYER_ND,
    MT_OCI_LAYER_ND_GZ,
    MT_OCI_LAYER_ND_ZS,
    MT_DOCKER_FOREIGN,
};

bool manifest_layer_type_known(const char *mt, bool *foreign)
{
	*foreign = false;
	for (size_t i = 0; i < ARRAY_SIZE(layer_types); i++)
		if (strcmp(mt, layer_types[i]) == 0)
			return true;
	for (size_t i = 0; i < ARRAY_SIZE(foreign_types); i++)
		if (strcmp(mt, foreign_types[i]) == 0) {
			*foreign = true;
			return true;
		}
	return false;
}

static void descriptor_clear(struct descriptor *d)
{
	free(d->media_type);
	strv_free(d->urls);
	memset(d, 0, sizeof(*d));
}

void manifest_clear(struct manifest *m)
{
	descriptor_clear(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		descriptor_clear(&m->layers[i]);
	free(m->layers);
	for (size_t i = 0; i < m->n_manifests; i++)
		descriptor_clear(&m->manifests[i]);
	free(m->manifests);
	free(m->media_type);
	json_decref(m->json);
	memset(m, 0, sizeof(*m));
}

static int copy_field(char *dst, size_t len, const json_t *obj, const char *where, const char *key,
		      bool required, cell_error **err)
{
	const char *v = NULL;
	int r = json_get_string(obj, where, key, required, &v, err);
	if (r < 0)
		return r;
	if (v && strlen(v) >= len) {
		char p[512];
		return cell_error_set(err, EINVAL, "%s: longer than %zu characters",
				      json_path_key(p, sizeof(p), where, key), len - 1);
	}
	snprintf(dst, len, "%s", v ? v : "");
	return 0;
}

static int parse_platform(const json_t *obj, const char *where, struct platform *p, cell_error **err)
{
	if (copy_field(p->os, sizeof(p->os), obj, where, "os", true, err) < 0 ||
	    copy_field(p->architecture, sizeof(p->architecture), obj, where, "architecture", true, err) < 0 ||
	    copy_field(p->variant, sizeof(p->variant), obj, where, "variant", false, err) < 0)
		return -EINVAL;
	return 0;
}

static int parse_descriptor(const json_t *obj, const char *where, struct descriptor *d, cell_error **err)
{
	char p[512];
	if (!json_is_object(obj))
		return cell_error_set(err, EINVAL, "%s: must be an object", where);
	const char *mt = NULL, *digest = NULL;
	int64_t size = 0;
	if (json_get_string(obj, where, "mediaType", true, &mt, err) < 0 ||
	    json_get_string(obj, where, "digest", true, &digest, err) < 0 ||
	    json_get_i64(obj, where, "size", true, 0, INT64_MAX, &size, NULL, err) < 0)
		return -EINVAL;
	if (!digest_valid(digest)) {
		if (strncmp(digest, "sha256:", 7) != 0 && strchr(digest, ':'))
			return cell_error_set(err, ENOTSUP,
					      "%s: digest algorithm of \"%s\" is not supported (sha256 only)",
					      json_path_key(p, sizeof(p), where, "digest"), digest);
		return cell_error_set(err, EINVAL, "%s: \"%s\" is not a sha256 digest",
				      json_path_key(p, sizeof(p), where, "digest"), digest);
	}
	d->media_type = strdup(mt);
	if (!d->media_type)
		return cell_error_set(err, ENOMEM, "out of memory");
	memcpy(d->digest, digest, DIGEST_BUF);
	d->size = size;
	const char **urls = NULL;
	if (json_get_strv(obj, where, "urls", false, &urls, err) < 0)
		return -EINVAL;
	for (size_t i = 0; urls && urls[i]; i++)
		if (strv_push(&d->urls, urls[i]) < 0) {
			free(urls);
			return cell_error_set(err, ENOMEM, "out of memory");
		}
	free(urls);
	json_t *ann = NULL;
	if (json_get_object(obj, where, "annotations", false, &ann, err) < 0)
		return -EINVAL;
	const char *k;
	json_t *v;
	json_object_foreach (ann, k, v)
		if (!json_is_string(v))
			return cell_error_set(err, EINVAL, "%s.annotations.%s: must be a string", where, k);
	d->annotations = ann;
	json_t *plat = NULL;
	if (json_get_object(obj, where, "platform", false, &plat, err) < 0)
		return -EINVAL;
	if (plat) {
		if (parse_platform(plat, json_path_key(p, sizeof(p), where, "platform"), &d->platform, err) <
		    0)
			return -EINVAL;
		d->has_platform = true;
	}
	return 0;
}

static int parse_list(const json_t *doc, const char *what, const char *key, struct descriptor **out,
		      size_t *n, bool required, cell_error **err)
{
	json_t *arr = NULL;
	if (json_get_array(doc, what, key, required, &arr, err) < 0)
		return -EINVAL;
	size_t cnt = arr ? json_array_size(arr) : 0;
	if (cnt > 100000)
		return cell_error_set(err, E2BIG, "%s.%s: %zu entries is too many", what, key, cnt);
	*out = calloc(cnt ? cnt : 1, sizeof(struct descriptor));
	if (!*out)
		return cell_error_set(err, ENOMEM, "out of memory");
	*n = cnt;
	for (size_t i = 0; i < cnt; i++) {
		char p[512];
		if (parse_descriptor(json_array_get(arr, i), json_path_index(p, sizeof(p), what, key, i),
				     &(*out)[i], err) < 0)
			return -EINVAL;
	}
	return 0;
}

static enum manifest_kind kind_of(const char *mt)
{
	if (strcmp(mt, MT_OCI_MANIFEST) == 0 || strcmp(mt, MT_DOCKER_MANIFEST) == 0)
		return KIND_MANIFEST;
	if (strcmp(mt, MT_OCI_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0)
		return KIND_INDEX;
	return KIND_UNKNOWN;
}

int manifest_parse(const char *buf, size_t len, const char *media_type, const char *what,
		   struct manifest *out, cell_error **err)
{
	memset(out, 0, sizeof(*out));
	json_t *doc = NULL;
	int r = json_load_buffer(buf, len, what, &doc, err);
	if (r < 0)
		return r;
	out->json = doc;
	if (!json_is_object(doc)) {
		manifest_clear(out);
		return cell_error_set(err, EINVAL, "%s: must be a JSON object", what);
	}
	int64_t schema = 0;
	if (json_get_i64(doc, what, "schemaVersion", true, 0, 1000, &schema, NULL, err) < 0) {
		manifest_clear(out);
		return -EINVAL;
	}
	if (schema != 2) {
		manifest_clear(out);
		return cell_error_set(err, ENOTSUP, "%s: schemaVersion %lld is not supported (only 2)", what,
				      (long long)schema);
	}
	const char *mt = NULL;
	if (json_get_string(doc, what, "mediaType", false, &mt, err) < 0) {
		manifest_clear(out);
		return -EINVAL;
	}
	if (mt && media_type && strcmp(mt, media_type) != 0) {
		r = cell_error_set(err, EINVAL, "%s: mediaType \"%s\" differs from \"%s\" in its descriptor",
				   what, mt, media_type);
		manifest_clear(out);
		return r;
	}
	if (!mt)
		mt = media_type;
	if (!mt) /* OCI allows leaving it out: the shape says what it is. */
		mt = json_object_get(doc, "manifests") ? MT_OCI_INDEX : MT_OCI_MANIFEST;
	out->kind = kind_of(mt);
	if (out->kind == KIND_UNKNOWN) {
		r = cell_error_set(err, ENOTSUP, "%s: media type \"%s\" is not an image manifest or index",
				   what, mt);
		manifest_clear(out);
		return r;
	}
	out->media_type = strdup(mt);
	if (!out->media_type) {
		manifest_clear(out);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	if (out->kind == KIND_INDEX) {
		r = parse_list(doc, what, "manifests", &out->manifests, &out->n_manifests, true, err);
	} else {
		char p[512];
		json_t *cfg = NULL;
		r = json_get_object(doc, what, "config", true, &cfg, err);
		if (r == 0)
			r = parse_descriptor(cfg, json_path_key(p, sizeof(p), what, "config"), &out->config,
					     err);
		if (r == 0)
			r = parse_list(doc, what, "layers", &out->layers, &out->n_layers, true, err);
		for (size_t i = 0; r == 0 && i < out->n_layers; i++) {
			bool foreign;
			if (!manifest_layer_type_known(out->layers[i].media_type, &foreign))
				r = cell_error_set(err, ENOTSUP,
						   "%s.layers[%zu]: layer media type \"%s\" is not supported",
						   what, i, out->layers[i].media_type);
		}
	}
	if (r < 0) {
		manifest_clear(out);
		return r;
	}
	return 0;
}

int platform_parse(const char *s, struct platform *p, cell_error **err)
{
	memset(p, 0, sizeof(*p));
	char os[64] = "", arch[64] = "", variant[64] = "";
	const char *a = strchr(s, '/');
	const char *v = a ? strchr(a + 1, '/') : NULL;
	if (!a || a == s || !a[1] || (v && (v == a + 1 || !v[1] || strchr(v + 1, '/'))))
		return cell_error_set(err, EINVAL, "platform \"%s\": expected OS/ARCH[/VARIANT]", s);
	snprintf(os, sizeof(os), "%.*s", (int)(a - s), s);
	if (v) {
		snprintf(arch, sizeof(arch), "%.*s", (int)(v - a - 1), a + 1);
		snprintf(variant, sizeof(variant), "%s", v + 1);
	} else {
		snprintf(arch, sizeof(arch), "%s", a + 1);
	}
	if (strlen(os) >= sizeof(p->os) || strlen(arch) >= sizeof(p->architecture) ||
	    strlen(variant) >= sizeof(p->variant))
		return cell_error_set(err, EINVAL, "platform \"%s\": too long", s);
	memcpy(p->os, os, strlen(os) + 1);
	memcpy(p->architecture, arch, strlen(arch) + 1);
	memcpy(p->variant, variant, strlen(variant) + 1);
	return 0;
}

void platform_host(struct platform *p)
{
	static const struct {
		const char *machine, *arch, *variant;
	} map[] = {
	    {"x86_64", "amd64", ""},    {"aarch64", "arm64", "v8"}, {"armv7l", "arm", "v7"},
	    {"armv6l", "arm", "v6"},    {"i686", "386", ""},        {"i386", "386", ""},
	    {"ppc64le", "ppc64le", ""}, {"s390x", "s390x", ""},     {"riscv64", "riscv64", ""},
	};
	struct utsname u;
	memset(p, 0, sizeof(*p));
	strcpy(p->os, "linux");
	if (uname(&u) < 0)
		u.machine[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (strcmp(u.machine, map[i].machine) == 0) {
			snprintf(p->architecture, sizeof(p->architecture), "%s", map[i].arch);
			snprintf(p->variant, sizeof(p->variant), "%s", map[i].variant);
			return;
		}
	snprintf(p->architecture, sizeof(p->architecture), "%s", u.machine);
}

void platform_format(const struct platform *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s%s%s", p->os, p->architecture, p->variant[0] ? "/" : "", p->variant);
}

int manifest_select_platform(const struct manifest *index, const struct platform *p, size_t *out,
			     cell_error **err)
{
	ssize_t loose = -1;
	for (size_t i = 0; i < index->n_manifests; i++) {
		const struct descriptor *d = &index->manifests[i];
		if (kind_of(d->media_type) != KIND_MANIFEST || !d->has_platform)
			continue;
		if (strcmp(d->platform.os, p->os) != 0 ||
		    strcmp(d->platform.architecture, p->architecture) != 0)
			continue;
		if (strcmp(d->platform.variant, p->variant) == 0) {
			*out = i;
			return 0;
		}
		/* arm64's variant is usually left out; amd64 has none. */
		if (loose < 0 && (!d->platform.variant[0] || !p->variant[0]))
			loose = (ssize_t)i;
	}
	if (loose >= 0) {
		*out = (size_t)loose;
		return 0;
	}
	char want[128];
	platform_format(p, want, sizeof(want));
	return cell_error_set(err, ENOENT, "no image for platform %s in the index", want);
}
