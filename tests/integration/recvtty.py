#!/usr/bin/env python3
"""A --console-socket receiver of our own, standing in for conmon or
containerd's shim.

    recvtty.py SOCKET [--send TEXT] [--timeout S]

Listens on the unix stream socket SOCKET, accepts one connection, receives
the terminal's master fd (SCM_RIGHTS) and prints on stderr:

    recvtty: name NAME        the data that came with the fd
    recvtty: fd ok            the fd is a pty master

then copies everything the container writes on its terminal to stdout until
the terminal closes; with --send, types TEXT into it first. Writes
SOCKET.ready once it listens, so that a test can wait for it.
"""
import argparse
import array
import fcntl
import os
import select
import socket
import sys
import termios
import time

TIOCGPTN = 0x80045430  # _IOR("T", 0x30, unsigned int); Python does not name it


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("--send", default=None)
    ap.add_argument("--timeout", type=float, default=30)
    a = ap.parse_args()

    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(a.socket)
    srv.listen(1)
    open(a.socket + ".ready", "w").close()
    srv.settimeout(a.timeout)
    conn, _ = srv.accept()
    fds = array.array("i")
    msg, anc, flags, _ = conn.recvmsg(4096, socket.CMSG_SPACE(4 * fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    if len(fds) != 1:
        print("recvtty: got %d fds" % len(fds), file=sys.stderr)
        return 1
    master = fds[0]
    print("recvtty: name %s" % msg.decode(errors="replace"), file=sys.stderr)
    # TIOCGPTN only works on a pty master.
    buf = array.array("I", [0])
    fcntl.ioctl(master, TIOCGPTN, buf)
    print("recvtty: fd ok", file=sys.stderr)
    sys.stderr.flush()
    if a.send is not None:
        os.write(master, a.send.encode().decode("unicode_escape").encode())
    deadline = time.time() + a.timeout
    while time.time() < deadline:
        r, _, _ = select.select([master], [], [], 0.2)
        if not r:
            continue
        try:
            data = os.read(master, 4096)
        except OSError:
            break  # EIO: every slave end closed
        if not data:
            break
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
