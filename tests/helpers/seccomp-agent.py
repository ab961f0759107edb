#!/usr/bin/env python3
"""A seccomp agent for the tests: listens on a unix socket, takes one
container process state with its notify fd (SCM_RIGHTS), writes the state
to STATE_FILE, and answers every notification with errno ANSWER until the
container's filter goes away.

    seccomp-agent.py SOCKET STATE_FILE ANSWER
"""
import array
import fcntl
import json
import os
import socket
import struct
import sys

SECCOMP_IOCTL_NOTIF_RECV = 0xC0502100  # _IOWR('!', 0, struct seccomp_notif), 80 bytes
SECCOMP_IOCTL_NOTIF_SEND = 0xC0182101  # _IOWR('!', 1, struct seccomp_notif_resp), 24 bytes


def main():
    path, state_file, answer = sys.argv[1], sys.argv[2], int(sys.argv[3])
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    # Tell the test we listen.
    open(state_file + ".ready", "w").close()
    conn, _ = srv.accept()
    fds = array.array("i")
    msg, anc, _, _ = conn.recvmsg(65536, socket.CMSG_LEN(16 * fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
    rest = conn.recv(1)
    state = json.loads(msg)
    state["_received_fds"] = len(fds)
    state["_fd_kind"] = os.readlink("/proc/self/fd/%d" % fds[0]) if fds else ""
    state["_closed_after"] = rest == b""
    with open(state_file + ".tmp", "w") as f:
        json.dump(state, f)
    os.rename(state_file + ".tmp", state_file)
    if not fds:
        return 1
    while True:
        req = bytearray(80)
        try:
            fcntl.ioctl(fds[0], SECCOMP_IOCTL_NOTIF_RECV, req)
        except OSError:
            return 0  # the filter is gone: the container exited
        notif_id, pid = struct.unpack_from("=QI", req)
        nr = struct.unpack_from("=i", req, 16)[0]
        with open(state_file + ".calls", "a") as f:
            f.write("%d %d\n" % (pid, nr))
        resp = struct.pack("=QqiI", notif_id, 0, -answer, 0)
        try:
            fcntl.ioctl(fds[0], SECCOMP_IOCTL_NOTIF_SEND, bytearray(resp))
        except OSError:
            pass


if __name__ == "__main__":
    sys.exit(main())
