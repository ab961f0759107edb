#include "hostfiles.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/file.h"

static bool loopback_server(const char *line)
{
	while (isspace((unsigned char)*line))
		line++;
	if (strncmp(line, "nameserver", 10) != 0 || !isspace((unsigned char)line[10]))
		return false;
	line += 10;
	while (isspace((unsigned char)*line))
		line++;
	return strncmp(line, "127.", 4) == 0 || strncmp(line, "::1", 3) == 0;
}

char *hostfiles_resolv_conf(const char *host_text, bool keep_loopback)
{
	size_t len = strlen(host_text);
	char *out = malloc(len + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (const char *p = host_text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
		char line[1024];
		snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1), p);
		if (keep_loopback || !loopback_server(line)) {
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
	}
	out[o] = '\0';
	return out;
}

int hostfiles_write(int dirfd, const struct hostfiles_input *in, cell_error **err)
{
	_cleanup_free_ char *hosts = NULL, *resolv = NULL, *host_hosts = NULL, *host_resolv = NULL;
	int r;
	if (read_file_at(AT_FDCWD, "/etc/resolv.conf", 1 << 20, &host_resolv, NULL) < 0 &&
	    !(host_resolv = strdup("")))
		return cell_error_set(err, ENOMEM, "out of memory");
	resolv = hostfiles_resolv_conf(host_resolv, in->host_network);
	if (in->host_network) {
		if (read_file_at(AT_FDCWD, "/etc/hosts", 1 << 20, &host_hosts, NULL) < 0)
			host_hosts =
			    strdup("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
		hosts = host_hosts ? strdup(host_hosts) : NULL;
	} else {
		bool alias = in->name && strcmp(in->name, in->hostname) != 0;
		if (asprintf(&hosts,
			     "127.0.0.1\tlocalhost\n"
			     "::1\tlocalhost ip6-localhost ip6-loopback\n"
			     "127.0.1.1\t%s%s%s\n",
			     in->hostname, alias ? " " : "", alias ? in->name : "") < 0)
			hosts = NULL;
	}
	if (!hosts || !resolv)
		return cell_error_set(err, ENOMEM, "out of memory");
	char hostname[300];
	snprintf(hostname, sizeof(hostname), "%s\n", in->hostname);
	if ((r = write_file_replace(dirfd, "hosts", hosts, strlen(hosts), 0644, in->durable)) < 0 ||
	    (r = write_file_replace(dirfd, "hostname", hostname, strlen(hostname), 0644, in->durable)) < 0 ||
	    (r = write_file_replace(dirfd, "resolv.conf", resolv, strlen(resolv), 0644, in->durable)) < 0)
		return cell_error_errno(err, r, "write the container's /etc files");
	return 0;
}
