#!/usr/bin/env python3
"""Print a tree as sorted lines, one per object below the top: path, type,
mode, owner, size, content sha256 or link target, device numbers, xattrs.
Two trees that print the same are the same for the interop tests (cell's
unpack against umoci's). Overlay whiteout devices and xattrs are shown as
they are: a merged view has none."""
import hashlib
import os
import stat
import sys


def xattrs(path):
    try:
        names = sorted(os.listxattr(path, follow_symlinks=False))
    except OSError:
        return ""
    out = []
    for n in names:
        try:
            v = os.getxattr(path, n, follow_symlinks=False)
        except OSError:
            continue
        out.append("%s=%s" % (n, v.hex()))
    return ";".join(out)


def describe(top, rel, with_mtime):
    p = os.path.join(top, rel)
    st = os.lstat(p)
    kind = stat.S_IFMT(st.st_mode)
    extra = ""
    if stat.S_ISREG(st.st_mode):
        h = hashlib.sha256()
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        extra = h.hexdigest()
        t = "file"
    elif stat.S_ISDIR(st.st_mode):
        t = "dir"
    elif stat.S_ISLNK(st.st_mode):
        t = "symlink"
        extra = os.readlink(p)
    elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        t = "chr" if stat.S_ISCHR(st.st_mode) else "blk"
        extra = "%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
    elif stat.S_ISFIFO(st.st_mode):
        t = "fifo"
    else:
        t = "other%o" % kind
    size = st.st_size if stat.S_ISREG(st.st_mode) else 0
    line = "%s %s %04o %d:%d %d %s %s" % (rel, t, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, size, extra,
                                         xattrs(p))
    if with_mtime and not stat.S_ISDIR(st.st_mode):
        line += " mtime=%d" % int(st.st_mtime)
    return line


def main():
    args = sys.argv[1:]
    with_mtime = "--mtime" in args
    args = [a for a in args if a != "--mtime"]
    top = args[0]
    lines = []
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            rel = os.path.relpath(os.path.join(root, name), top)
            lines.append(describe(top, rel, with_mtime))
    for line in sorted(lines):
        print(line)


main()
