#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <termios.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/path.h"
#include "mounts.h"

static bool is_devpts(int fd)
{
	struct statfs sf;
	return fstatfs(fd, &sf) == 0 && sf.f_type == DEVPTS_SUPER_MAGIC;
}

/* The slave of master: TIOCGPTPEER opens it without a path (nothing in the
 * container can swap /dev/pts/N under us); older kernels get the number and
 * a checked open. */
static int open_slave(int master, struct init_error *e)
{
	int fd = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno != EINVAL && errno != ENOTTY)
		return init_fail(e, errno, "terminal: open the pty slave");
	unsigned int n;
	if (ioctl(master, TIOCGPTN, &n) < 0)
		return init_fail(e, errno, "terminal: get the pty number");
	char path[64];
	snprintf(path, sizeof(path), "/dev/pts/%u", n);
	fd = open(path, O_RDWR | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return init_fail(e, errno, "terminal: open %s", path);
	if (!is_devpts(fd)) {
		close(fd);
		return init_fail(e, EPERM, "terminal: %s is not on devpts", path);
	}
	return fd;
}

/* /dev/console as a regular file (or the node a host /dev brought) that the
 * slave is bound onto. Opened without following a last symlink and checked,
 * so that the bind lands on /dev/console itself and nowhere else. */
static int bind_console(int slave, struct init_error *e)
{
	_cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return init_fail(e, errno, "terminal: open /");
	_cleanup_close_ int dev =
	    path_open_in_root(root, "/dev", O_PATH | O_DIRECTORY, PATH_CREATE_DIRS, 0755);
	if (dev < 0)
		return init_fail(e, dev, "terminal: open /dev");
	_cleanup_close_ int target = openat(dev, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (target < 0 && errno == ENOENT) {
		int f = openat(dev, "console", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (f < 0)
			return init_fail(e, errno, "terminal: create /dev/console");
		close(f);
		target = openat(dev, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	}
	if (target < 0)
		return init_fail(e, errno, "terminal: open /dev/console");
	struct stat st;
	if (fstat(target, &st) < 0)
		return init_fail(e, errno, "terminal: check /dev/console");
	if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
		return init_fail(e, EPERM, "terminal: /dev/console is neither a file nor a device");
	return mount_bind_at(slave, "", target, false, 0, "/dev/console", e);
}

/* The slave as stdin, stdout and stderr, inheritable, and as the controlling
 * terminal of a session of our own. */
static int make_stdio(int slave, struct init_error *e)
{
	if (setsid() < 0 && errno != EPERM)
		return init_fail(e, errno, "terminal: start a new session");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return init_fail(e, errno, "terminal: make the pty the controlling terminal");
	for (int fd = 0; fd < 3; fd++) {
		if (fd == slave) {
			if (fcntl(fd, F_SETFD, 0) < 0)
				return init_fail(e, errno, "terminal: pty as fd %d", fd);
			continue;
		}
		if (dup3(slave, fd, 0) < 0)
			return init_fail(e, errno, "terminal: pty as fd %d", fd);
	}
	return 0;
}

int terminal_setup(const struct oci_process *p, bool console, int sync_fd, struct init_error *e)
{
	_cleanup_close_ int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return init_fail(e, errno,
				 "terminal: open /dev/pts/ptmx (process.terminal needs a devpts mount on "
				 "/dev/pts)");
	if (!is_devpts(master))
		return init_fail(e, EPERM, "terminal: /dev/pts/ptmx is not on devpts");
	int unlock = 0;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		return init_fail(e, errno, "terminal: unlock the pty");
	_cleanup_close_ int slave = open_slave(master, e);
	if (slave < 0)
		return slave;
	if (p->has_console_size) {
		struct winsize ws = {.ws_row = (unsigned short)p->console_height,
				     .ws_col = (unsigned short)p->console_width};
		if (ioctl(master, TIOCSWINSZ, &ws) < 0)
			return init_fail(e, errno, "process.consoleSize: set %ux%u", p->console_width,
					 p->console_height);
	}
	/* The process owns its terminal, as after a login. An id that the user
	 * namespace does not map cannot own it; the terminal stays root's. */
	if (fchown(slave, p->uid, (gid_t)-1) < 0 && errno != EINVAL && errno != EPERM)
		return init_fail(e, errno, "terminal: give the pty to uid %u", p->uid);
	int r;
	if (console && (r = bind_console(slave, e)) < 0)
		return r;
	if ((r = make_stdio(slave, e)) < 0)
		return r;
	if ((r = sync_send(sync_fd, SYNC_CONSOLE, 0, master)) < 0)
		return init_fail(e, r, "terminal: send the pty master to the runtime");
	if (slave < 3)
		slave = -EBADF; /* it is one of the stdio fds now */
	return 0;
}
