/* /proc/PID/mountinfo, one line at a time, with the octal escapes the kernel
 * writes for spaces, tabs, newlines and backslashes undone. */
#pragma once

struct mountinfo_entry {
	int id, parent;
	unsigned int major, minor;
	const char *root;       /* the path inside its file system that is mounted */
	const char *mountpoint; /* where, as the reading process sees it */
	const char *options;    /* per-mount options: "rw,nosuid,…" */
	const char *fstype;
	const char *source;
	const char *super_options; /* the superblock's options */
};

/* Call fn for each well-formed line of path (lines that are not are passed
 * over). fn returns 0 to go on, anything else to stop: mountinfo_foreach
 * then returns what fn returned. A path that cannot be opened is -errno.
 * The strings of an entry last until fn returns. */
int mountinfo_foreach(const char *path, int (*fn)(const struct mountinfo_entry *m, void *data), void *data);
