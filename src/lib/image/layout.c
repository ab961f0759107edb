#include "layout.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/digest.h"
#include "base/file.h"
#include "base/json.h"
#include "manifest.h"

#define INDEX_MAX (64 << 20)

static int write_json_atomic(int rootfd, const char *root, const char *name, json_t *j, cell_error **err)
{
	_cleanup_free_ char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text)
		return cell_error_set(err, ENOMEM, "out of memory");
	size_t len = strlen(text);
	text[len] = '\n';
	int r = write_file_atomic(rootfd, name, text, len + 1, 0644);
	text[len] = '\0';
	if (r < 0)
		return cell_error_errno(err, -r, "write %s/%s", root, name);
	return 0;
}

int layout_init(int rootfd, const char *root, cell_error **err)
{
	if (faccessat(rootfd, "oci-layout", F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		_cleanup_json_ json_t *j = json_pack("{s:s}", "imageLayoutVersion", "1.0.0");
		int r = j ? write_json_atomic(rootfd, root, "oci-layout", j, err) : -ENOMEM;
		if (r < 0)
			return r == -ENOMEM ? cell_error_set(err, ENOMEM, "out of memory") : r;
	}
	if (faccessat(rootfd, "index.json", F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		_cleanup_json_ json_t *j =
		    json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", MT_OCI_INDEX, "manifests");
		int r = j ? write_json_atomic(rootfd, root, "index.json", j, err) : -ENOMEM;
		if (r < 0)
			return r == -ENOMEM ? cell_error_set(err, ENOMEM, "out of memory") : r;
	}
	return 0;
}

int layout_index_read(int rootfd, const char *root, json_t **index, cell_error **err)
{
	json_t *j = NULL;
	int r = json_load_file_at(rootfd, "index.json", INDEX_MAX, &j, err);
	if (r < 0)
		return cell_error_prefix(err, "store %s", root);
	json_t *m = json_is_object(j) ? json_object_get(j, "manifests") : NULL;
	if (!json_is_array(m)) {
		json_decref(j);
		return cell_error_set(err, EINVAL, "%s/index.json: manifests: must be an array", root);
	}
	size_t i;
	json_t *d;
	json_array_foreach (m, i, d) {
		const char *digest = layout_entry_digest(d);
		json_t *ann = json_object_get(d, "annotations");
		json_t *name = ann ? json_object_get(ann, ANNOTATION_REF_NAME) : NULL;
		if (!digest || !json_is_string(json_object_get(d, "mediaType")) ||
		    (ann && !json_is_object(ann)) || (name && !json_is_string(name))) {
			json_decref(j);
			return cell_error_set(
			    err, EINVAL, "%s/index.json: manifests[%zu]: not a valid descriptor", root, i);
		}
	}
	*index = j;
	return 0;
}

int layout_index_write(int rootfd, const char *root, json_t *index, cell_error **err)
{
	return write_json_atomic(rootfd, root, "index.json", index, err);
}

const char *layout_entry_name(const json_t *desc)
{
	json_t *ann = json_object_get(desc, "annotations");
	return json_string_value(json_object_get(ann, ANNOTATION_REF_NAME));
}

const char *layout_entry_digest(const json_t *desc)
{
	const char *d = json_string_value(json_object_get(desc, "digest"));
	return digest_valid(d) ? d : NULL;
}

json_t *layout_find_name(json_t *index, const char *name)
{
	json_t *m = json_object_get(index, "manifests"), *d;
	size_t i;
	json_array_foreach (m, i, d) {
		const char *n = layout_entry_name(d);
		if (n && strcmp(n, name) == 0)
			return d;
	}
	return NULL;
}

static bool has_other_entry(json_t *m, const char *digest, size_t skip)
{
	size_t i;
	json_t *d;
	json_array_foreach (m, i, d)
		if (i != skip && strcmp(layout_entry_digest(d), digest) == 0)
			return true;
	return false;
}

int layout_remove_name(json_t *index, const char *name, bool keep_dangling)
{
	json_t *m = json_object_get(index, "manifests");
	for (size_t i = 0; i < json_array_size(m); i++) {
		json_t *d = json_array_get(m, i);
		const char *n = layout_entry_name(d);
		if (!n || strcmp(n, name) != 0)
			continue;
		if (keep_dangling && !has_other_entry(m, layout_entry_digest(d), i)) {
			json_t *ann = json_object_get(d, "annotations");
			json_object_del(ann, ANNOTATION_REF_NAME);
			if (json_object_size(ann) == 0)
				json_object_del(d, "annotations");
		} else {
			json_array_remove(m, i);
		}
		return 0;
	}
	return -ENOENT;
}

int layout_set_name(json_t *index, const char *name, const char *digest, const char *media_type, int64_t size)
{
	json_t *m = json_object_get(index, "manifests");
	layout_remove_name(index, name, true);
	for (size_t i = 0; i < json_array_size(m);) {
		json_t *d = json_array_get(m, i);
		if (!layout_entry_name(d) && strcmp(layout_entry_digest(d), digest) == 0)
			json_array_remove(m, i);
		else
			i++;
	}
	json_t *d = json_pack("{s:s, s:s, s:I, s:{s:s}}", "mediaType", media_type, "digest", digest, "size",
			      (json_int_t)size, "annotations", ANNOTATION_REF_NAME, name);
	if (!d || json_array_append_new(m, d) < 0)
		return -ENOMEM;
	return 0;
}

int layout_add_unnamed(json_t *index, const char *digest, const char *media_type, int64_t size)
{
	json_t *m = json_object_get(index, "manifests");
	if (has_other_entry(m, digest, (size_t)-1))
		return 0;
	json_t *d =
	    json_pack("{s:s, s:s, s:I}", "mediaType", media_type, "digest", digest, "size", (json_int_t)size);
	if (!d || json_array_append_new(m, d) < 0)
		return -ENOMEM;
	return 0;
}

void layout_remove_digest(json_t *index, const char *digest)
{
	json_t *m = json_object_get(index, "manifests");
	for (size_t i = 0; i < json_array_size(m);) {
		if (strcmp(layout_entry_digest(json_array_get(m, i)), digest) == 0)
			json_array_remove(m, i);
		else
			i++;
	}
}

const char **layout_names_of(json_t *index, const char *digest)
{
	json_t *m = json_object_get(index, "manifests"), *d;
	const char **v = calloc(json_array_size(m) + 1, sizeof(char *));
	size_t i, n = 0;
	if (!v)
		return NULL;
	json_array_foreach (m, i, d) {
		const char *name = layout_entry_name(d);
		if (name && strcmp(layout_entry_digest(d), digest) == 0)
			v[n++] = name;
	}
	return v;
}
