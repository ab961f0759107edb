/* The files an engine puts into every container, as Podman and Docker do:
 * /etc/hosts (localhost and the container's own name), /etc/hostname, and
 * /etc/resolv.conf (the host's, without loopback name servers a separate
 * network namespace cannot reach). They live in the container's directory
 * and are bound over the image's. */
#pragma once

#include <stdbool.h>

#include "base/error.h"

struct hostfiles_input {
	const char *hostname;
	const char *name;  /* the container's name: an alias in /etc/hosts */
	bool host_network; /* --network host: the host's files, as they are */
	bool durable;      /* flushed to disk as they are written */
};

/* Write hosts, hostname and resolv.conf into the directory dirfd. */
int hostfiles_write(int dirfd, const struct hostfiles_input *in, cell_error **err);

/* resolv.conf for a container from the host's text: without name servers
 * on loopback unless keep_loopback. A new string. */
char *hostfiles_resolv_conf(const char *host_text, bool keep_loopback);
