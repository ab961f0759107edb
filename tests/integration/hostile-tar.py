#!/usr/bin/env python3
"""Hand-made hostile layer tarballs for cell's layer-safety tests.

    hostile-tar.py KIND OUT.tar [CANARY]

CANARY is a path outside any store that a successful attack would create
or change. Each KIND is one way a layer may try to write outside its
directory or confuse the overlay driver."""
import io
import sys
import tarfile


def add_file(t, name, data=b"pwned\n", **kw):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = kw.get("mode", 0o644)
    for k, v in kw.items():
        if k != "mode":
            setattr(info, k, v)
    t.addfile(info, io.BytesIO(data))


def add(t, name, kind, **kw):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = kw.pop("mode", 0o755)
    for k, v in kw.items():
        setattr(info, k, v)
    t.addfile(info)


def build(kind, out, canary):
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        add(t, "etc", tarfile.DIRTYPE)
        add_file(t, "etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
        if kind == "dotdot":
            add_file(t, "../../../../../../.." + canary)
        elif kind == "dotdot-inner":
            add_file(t, "etc/../../../../../../.." + canary)
        elif kind == "absolute":
            add_file(t, canary)
        elif kind == "symlink-abs":
            # a symlink to the canary's directory, then a file through it
            add(t, "evil", tarfile.SYMTYPE, linkname=canary.rsplit("/", 1)[0])
            add_file(t, "evil/" + canary.rsplit("/", 1)[1])
        elif kind == "symlink-rel":
            add(t, "evil", tarfile.SYMTYPE, linkname="../../../../../../.." + canary.rsplit("/", 1)[0])
            add_file(t, "evil/" + canary.rsplit("/", 1)[1])
        elif kind == "symlink-file":
            # a symlink to the canary itself, then a file of the same name
            add(t, "evil", tarfile.SYMTYPE, linkname=canary)
            add_file(t, "evil", b"replaced\n")
        elif kind == "hardlink-out":
            add(t, "evil", tarfile.LNKTYPE, linkname="../../../../../../.." + canary)
        elif kind == "hardlink-abs":
            add(t, "evil", tarfile.LNKTYPE, linkname=canary)
        elif kind == "hardlink-overwrite":
            # a hardlink to etc/passwd, then a file of the link's name: the
            # file must replace the link, not write into etc/passwd
            add(t, "evil", tarfile.LNKTYPE, linkname="etc/passwd")
            add_file(t, "evil", b"written through the link\n")
        elif kind == "hardlink-dir":
            add(t, "evil", tarfile.LNKTYPE, linkname="etc")
        elif kind == "device":
            add(t, "dev", tarfile.DIRTYPE)
            add(t, "dev/null", tarfile.CHRTYPE, devmajor=1, devminor=3, mode=0o666)
        elif kind == "overlay-xattr":
            info = tarfile.TarInfo("redirected")
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            info.pax_headers = {"SCHILY.xattr.trusted.overlay.redirect": "/etc"}
            t.addfile(info)
        elif kind == "whiteout-dotdot":
            add_file(t, "etc/.wh...", b"")
        elif kind == "plant-symlink":
            # the first of two layers: a directory that is a symlink out
            add(t, "data", tarfile.SYMTYPE, linkname=canary.rsplit("/", 1)[0])
        elif kind == "through-planted":
            # the second: a file below it (without declaring data/ itself)
            add_file(t, "data/" + canary.rsplit("/", 1)[1])
        elif kind == "fine":
            add_file(t, "ok", b"fine\n")
        else:
            sys.exit("unknown kind " + kind)


build(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "/tmp/cell-canary")
