#!/usr/bin/env python3
"""Run a command on a terminal of our own, the way a user at a terminal would.

    ptyrun.py [--size ROWSxCOLS] [--step MARKER:ACTION ...] [--timeout S] -- CMD...

The command gets a new pty as its controlling terminal and stdio. What it
writes is copied to our stdout. Each --step waits until MARKER has appeared
in the output after the previous step's marker (an empty MARKER matches at
once), then does ACTION:

    send=TEXT       type TEXT (\\n, \\r and \\x03 escapes work)
    sleep=S         wait S seconds
    resize=RxC      resize the terminal (the command gets SIGWINCH)
    mode            report whether the terminal is in raw mode right now

At the end it prints, on lines of their own:
    ptyrun: status N          the command's exit status (128+N for a signal)
    ptyrun: raw yes|no        for each mode step
    ptyrun: termios restored|changed   the terminal's settings against those
                                        it had before the command ran
"""
import argparse
import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def parse_size(s):
    rows, cols = s.lower().split("x")
    return int(rows), int(cols)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="24x80")
    ap.add_argument("--step", action="append", default=[])
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("cmd", nargs="+")
    a = ap.parse_args()

    steps = []
    for s in a.step:
        marker, action = s.split(":", 1)
        steps.append((marker.encode(), action))

    pid, master = pty.fork()
    if pid == 0:
        os.execvp(a.cmd[0], a.cmd)
    set_size(master, *parse_size(a.size))
    # The settings the command starts from, to compare at the end. On Linux
    # the master's termios calls act on the slave.
    before = termios.tcgetattr(master)
    output = b""
    seen = 0  # how much of output the next marker is searched in
    reports = []
    deadline = time.time() + a.timeout
    status = None
    closed = False
    while True:
        while steps and steps[0][0] in output[seen:]:
            marker, action = steps.pop(0)
            seen = output.index(marker, seen) + len(marker)
            if action.startswith("send="):
                text = action[5:].encode().decode("unicode_escape").encode()
                os.write(master, text)
            elif action.startswith("resize="):
                set_size(master, *parse_size(action[7:]))
            elif action.startswith("sleep="):
                time.sleep(float(action[6:]))
            elif action == "mode":
                lflag = termios.tcgetattr(master)[3]
                reports.append("ptyrun: raw %s" % ("no" if lflag & termios.ICANON else "yes"))
        if time.time() > deadline and status is None:
            os.kill(pid, 9)
            reports.append("ptyrun: timed out")
            deadline = float("inf")
        r = []
        if not closed:
            r, _, _ = select.select([master], [], [], 0.1)
        if r:
            try:
                data = os.read(master, 4096)
            except OSError:
                data = b""
            if data:
                output += data
                continue
            closed = True  # EIO: the command and all it started are gone
        if status is None:
            done, st = os.waitpid(pid, 0 if closed else os.WNOHANG)
            if done:
                status = os.waitstatus_to_exitcode(st)
                if status < 0:
                    status = 128 - status
        if status is not None and not r:
            break
    after = termios.tcgetattr(master)
    sys.stdout.buffer.write(output)
    sys.stdout.write("\n")
    for line in reports:
        print(line)
    print("ptyrun: status %d" % status)
    print("ptyrun: termios %s" % ("restored" if before == after else "changed"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
