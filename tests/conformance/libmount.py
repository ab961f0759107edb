"""A stand-in for python3-libmount, which Debian 12 does not ship.

crun's test_mounts.py imports libmount only to read a mountinfo file and
look up a mount by its target; this module does exactly that, so the
suite's mount tests run instead of skipping themselves.
"""


def _unescape(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 3 < len(s) and s[i + 1:i + 4].isdigit():
            out.append(chr(int(s[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


class Fs:
    def __init__(self, target, vfs_options, fstype, source, fs_options):
        self.target = target
        self.vfs_options = vfs_options
        self.fstype = fstype
        self.source = source
        self.fs_options = fs_options


class Table:
    def __init__(self, path):
        self._mounts = []
        with open(path) as f:
            for line in f:
                if " - " not in line:
                    continue
                head, tail = line.rstrip("\n").split(" - ", 1)
                fields = head.split()
                if len(fields) < 6:
                    continue
                rest = tail.split()
                if len(rest) < 3:
                    rest += [""] * (3 - len(rest))
                self._mounts.append(Fs(_unescape(fields[4]), fields[5], rest[0], rest[1], rest[2]))

    def find_target(self, target):
        # The last mount on a target is the one that shows.
        for m in reversed(self._mounts):
            if m.target == target:
                return m
        return None
