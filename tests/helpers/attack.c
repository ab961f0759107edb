/* The attacker's side of the security regression tests
 * (tests/integration/security-*.bats): small moves that a hostile container
 * makes against the runtime, each printing what it managed. Built static by
 * the tests and copied into a container's root file system.
 *
 *   attack exe SECONDS     watch for processes of the runtime (comm "cellrt")
 *                          and try to get their /proc/PID/exe, then to reopen
 *                          it for writing (CVE-2019-5736)
 *   attack swap SECONDS A B  exchange the names A and B as fast as possible
 *                          (CVE-2021-30465)
 *   attack fds             list the open fds of this process and where they
 *                          lead (CVE-2024-21626)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int read_comm(int pid, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

#define MAX_HELD 64

/* Every process named cellrt gets one try per pid: an O_PATH handle on its
 * exe (what the 2019 exploit kept), and a write open of that handle now and
 * again until the end (which succeeds once the binary no longer runs, if the
 * handle was ever granted). */
static int attack_exe(double secs)
{
	int held[MAX_HELD], held_pid[MAX_HELD], n_held = 0, tried[4096], n_tried = 0, escaped = 0;
	double end = now() + secs;
	while (now() < end) {
		DIR *d = opendir("/proc");
		if (!d)
			return 2;
		struct dirent *de;
		while ((de = readdir(d))) {
			int pid = atoi(de->d_name);
			if (pid <= 0 || pid == getpid())
				continue;
			char comm[64];
			if (read_comm(pid, comm, sizeof(comm)) < 0 || strcmp(comm, "cellrt") != 0)
				continue;
			int seen = 0;
			for (int i = 0; i < n_tried; i++)
				seen |= tried[i] == pid;
			if (seen || n_tried == 4096)
				continue;
			tried[n_tried++] = pid;
			char path[64];
			snprintf(path, sizeof(path), "/proc/%d/exe", pid);
			int fd = open(path, O_PATH | O_CLOEXEC);
			printf("seen pid %d comm %s: open exe O_PATH: %s\n", pid, comm,
			       fd >= 0 ? "GRANTED" : strerror(errno));
			int w = open(path, O_WRONLY | O_CLOEXEC);
			printf("seen pid %d comm %s: open exe O_WRONLY: %s\n", pid, comm,
			       w >= 0 ? "GRANTED" : strerror(errno));
			if (w >= 0) {
				escaped = 1;
				close(w);
			}
			if (fd >= 0 && n_held < MAX_HELD) {
				held_pid[n_held] = pid;
				held[n_held++] = fd;
			} else if (fd >= 0) {
				close(fd);
			}
			fflush(stdout);
		}
		closedir(d);
		for (int i = 0; i < n_held; i++) {
			char path[64];
			snprintf(path, sizeof(path), "/proc/self/fd/%d", held[i]);
			int w = open(path, O_WRONLY | O_CLOEXEC);
			if (w >= 0) {
				printf("ESCAPED: reopened the exe of pid %d for writing\n", held_pid[i]);
				escaped = 1;
				close(w);
			}
		}
		usleep(200);
	}
	printf("done: %d runtime processes seen\n", n_tried);
	return escaped ? 1 : 0;
}

static int attack_swap(double secs, const char *a, const char *b)
{
	double end = now() + secs;
	long n = 0;
	while (now() < end) {
		for (int i = 0; i < 1000; i++, n++)
			if (syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) < 0) {
				printf("renameat2: %s\n", strerror(errno));
				return 2;
			}
	}
	printf("swapped %ld times\n", n);
	return 0;
}

static int attack_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d) {
		printf("opendir /proc/self/fd: %s\n", strerror(errno));
		return 2;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		int fd = atoi(de->d_name);
		if (fd == dirfd(d))
			continue;
		char path[64], target[PATH_MAX];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		printf("fd %d -> %s\n", fd, target);
	}
	closedir(d);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && strcmp(argv[1], "exe") == 0)
		return attack_exe(atof(argv[2]));
	if (argc >= 5 && strcmp(argv[1], "swap") == 0)
		return attack_swap(atof(argv[2]), argv[3], argv[4]);
	if (argc >= 2 && strcmp(argv[1], "fds") == 0)
		return attack_fds();
	fprintf(stderr, "usage: attack exe SECONDS | swap SECONDS A B | fds\n");
	return 2;
}
