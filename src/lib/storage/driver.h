/* Storage drivers: how read-only layers are laid out and how a container's
 * root file system is put together from them. A small vtable, as LXC's
 * storage ops: overlay (kernel overlayfs, each layer holds only its changes)
 * and vfs (each layer is a full copy, the fallback that works anywhere). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "unpack.h"

struct storage;

struct storage_driver {
	const char *name;
	/* How a layer's whiteouts are written into its directory. */
	enum whiteout_mode whiteouts;
	/* True when a layer's directory does not need its parent's to be built
	 * (its layers can be unpacked in parallel). */
	bool independent_layers;
	/* Can this driver work here? Fills err with why not. */
	int (*probe)(struct storage *s, cell_error **err);
	/* Fill the new, empty directory diff_fd before the layer's tar goes in
	 * (vfs copies the parent's tree; parent_diff_fd is -1 for a base layer). */
	int (*prepare_layer)(struct storage *s, int parent_diff_fd, int diff_fd, cell_error **err);
	/* Make the container directory cdir_fd ready to hold its writable layer
	 * over the layer whose tree is top_diff_fd (-1: an image without layers). */
	int (*create_rw)(struct storage *s, int top_diff_fd, int cdir_fd, cell_error **err);
	/* Mount layers (diff paths, topmost first) with the writable layer of the
	 * container at cdir (NULL: read-only) on target. */
	int (*mount)(struct storage *s, size_t n, char *const *lower_paths, const char *cdir,
		     const char *target, unsigned flags, cell_error **err);
	/* Where a container's root file system is, once mounted. */
	const char *rootfs_name;
};

extern const struct storage_driver storage_driver_overlay;
extern const struct storage_driver storage_driver_vfs;
