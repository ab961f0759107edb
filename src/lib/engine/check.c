#include "check.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/json.h"
#include "base/strv.h"
#include "container.h"
#include "lifecycle.h"
#include "mountspec.h"
#include "runtime/lifecycle.h"
#include "volumes.h"

static void note(char ***list, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(char ***list, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) >= 0)
		strv_push_take(list, s);
	va_end(ap);
}

static void remove_container(struct engine *e, const char *id, struct check_report *rep)
{
	cell_error *err = NULL;
	runtime_delete(&e->rt, id, true, NULL);
	if (storage_container_remove(e->store->storage, id, &err) == 0) {
		remove_tree_at(e->run_fd, id);
		note(&rep->repaired, "removed broken container %s", id);
	} else {
		note(&rep->broken, "container %s: could not be removed: %s", id, err->msg);
	}
	cell_error_free(err);
}

/* One container: its records, name, volumes. */
static void check_container(struct engine *e, const char *id, bool repair, char ***names,
			    struct check_report *rep)
{
	_cleanup_ctr_ struct ctr *c = NULL;
	cell_error *err = NULL;
	if (ctr_open_id(e, id, false, &c, &err) < 0) {
		note(&rep->broken, "%s", err->msg);
		cell_error_free(err);
		if (repair)
			remove_container(e, id, rep);
		return;
	}
	const char *name = ctr_name(c);
	if (!ctr_name_valid(name))
		note(&rep->broken, "container %.12s: invalid name \"%s\"", id, name);
	else if (strv_contains(*names, name))
		note(&rep->broken, "container %.12s: the name %s is taken by another container too", id,
		     name);
	else
		strv_push(names, name);
	size_t i;
	json_t *m;
	json_array_foreach (json_object_get(c->record, "Mounts"), i, m) {
		const char *vol = json_string_value(json_object_get(m, "Name"));
		if (!vol)
			continue;
		json_t *rec = NULL;
		if (volume_inspect(e, vol, &rec, NULL) == 0) {
			json_decref(rec);
			continue;
		}
		if (repair && volume_create(e, vol, NULL, NULL, NULL, NULL, NULL) == 0)
			note(&rep->repaired, "made volume %s again (empty) for container %.12s", vol, id);
		else
			note(&rep->broken, "container %.12s: uses volume %s, which is missing", id, vol);
	}
	if (repair && c->status == CTR_EXITED && !c->monitor_alive && ctr_lock(c, NULL) == 0) {
		if (ctr_reload(c, NULL) == 0 && engine_reconcile(e, c, NULL) == 1)
			note(&rep->repaired, "container %.12s: finished the clean-up its monitor did not",
			     id);
		ctr_unlock(c);
	}
}

static void check_volumes(struct engine *e, bool repair, struct check_report *rep)
{
	_cleanup_strv_ char **all = NULL;
	if (dir_names(e->volumes_fd, NULL, NULL, false, &all, NULL) < 0)
		return;
	for (size_t i = 0; all[i]; i++) {
		if (strncmp(all[i], ".tmp-", 5) == 0) {
			if (repair && remove_tree_at(e->volumes_fd, all[i]) == 0)
				note(&rep->repaired, "removed volumes/%s", all[i]);
			else
				note(&rep->orphaned, "volumes/%s: left by an interrupted change", all[i]);
			continue;
		}
		json_t *rec = NULL;
		cell_error *err = NULL;
		int r = volume_name_valid(all[i]) ? volume_inspect(e, all[i], &rec, &err) : -EINVAL;
		_cleanup_close_ int dfd = r == 0 ? volume_data_fd(e, all[i], NULL) : -EBADF;
		const char *n = json_string_value(json_object_get(rec, "Name"));
		bool ok = r == 0 && dfd >= 0 && n && strcmp(n, all[i]) == 0;
		if (!ok) {
			note(&rep->broken, "volume %s: %s", all[i],
			     err       ? err->msg
			     : r < 0   ? "not a volume name"
			     : dfd < 0 ? "its directory is missing"
				       : "its record names another volume");
			if (repair && remove_tree_at(e->volumes_fd, all[i]) == 0)
				note(&rep->repaired, "removed broken volume %s", all[i]);
		}
		cell_error_free(err);
		json_decref(rec);
	}
}

/* Run directories and runtime states of containers that are gone. */
static void check_run(struct engine *e, bool repair, struct check_report *rep)
{
	_cleanup_strv_ char **runs = NULL, **states = NULL;
	if (dir_names(e->run_fd, NULL, NULL, false, &runs, NULL) == 0)
		for (size_t i = 0; runs[i]; i++) {
			if (faccessat(e->containers_fd, runs[i], F_OK, AT_SYMLINK_NOFOLLOW) == 0)
				continue;
			if (repair && remove_tree_at(e->run_fd, runs[i]) == 0)
				note(&rep->repaired, "removed %s/containers/%s", e->store->runroot, runs[i]);
			else
				note(&rep->orphaned, "%s/containers/%s: the container is gone",
				     e->store->runroot, runs[i]);
		}
	_cleanup_close_ int rt = open(e->runtime_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rt >= 0 && dir_names(rt, NULL, NULL, false, &states, NULL) == 0)
		for (size_t i = 0; states[i]; i++) {
			if (faccessat(e->containers_fd, states[i], F_OK, AT_SYMLINK_NOFOLLOW) == 0)
				continue;
			if (repair && runtime_delete(&e->rt, states[i], true, NULL) == 0)
				note(&rep->repaired, "deleted the runtime's container %s", states[i]);
			else
				note(&rep->orphaned, "runtime container %s: the container is gone",
				     states[i]);
		}
}

int engine_check(struct engine *e, bool repair, struct check_report *rep, cell_error **err)
{
	int r = repair ? engine_lock(e, true, err) : image_store_lock(e->store, false, err);
	if (r < 0)
		return r;
	_cleanup_strv_ char **ids = NULL, **names = NULL;
	r = storage_container_list(e->store->storage, &ids, err);
	for (size_t i = 0; r == 0 && ids[i]; i++)
		check_container(e, ids[i], repair, &names, rep);
	if (r == 0) {
		check_volumes(e, repair, rep);
		check_run(e, repair, rep);
	}
	engine_unlock(e);
	return r;
}
