/* Sends its argument (with "\n" turned into newlines) as one datagram to
 * $NOTIFY_SOCKET, as sd_notify(3) would: the container side of the
 * NOTIFY_SOCKET tests (busybox has no unix-socket client). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (argc != 2 || !path) {
		fprintf(stderr, "usage: NOTIFY_SOCKET=PATH sdnotify MESSAGE\n");
		return 2;
	}
	char msg[4096];
	size_t n = 0;
	for (const char *s = argv[1]; *s && n < sizeof(msg) - 1; s++) {
		if (s[0] == '\\' && s[1] == 'n') {
			msg[n++] = '\n';
			s++;
		} else {
			msg[n++] = *s;
		}
	}
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strncpy(a.sun_path, path, sizeof(a.sun_path) - 1);
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0 || sendto(fd, msg, n, 0, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("sdnotify");
		return 1;
	}
	return 0;
}
