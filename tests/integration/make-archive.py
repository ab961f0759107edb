#!/usr/bin/env python3
"""Write a docker-archive (what `docker save` writes) from layer tarballs:

    make-archive.py OUT.tar NAME LAYER.tar [LAYER.tar...]

Layers may be plain or gzip-compressed; the config's diffIDs are the
sha256 of each layer's uncompressed bytes. Used to build multi-layer and
hostile images without a registry or a builder."""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def diff_id(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        magic = f.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def main():
    out, name, layers = sys.argv[1], sys.argv[2], sys.argv[3:]
    diff_ids = [diff_id(p) for p in layers]
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": "2024-01-01T00:00:00Z",
        "config": {"Cmd": ["sh"], "Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "make-archive.py layer %d" % i}
                    for i in range(len(layers))],
    }
    cbytes = json.dumps(config).encode()
    cname = hashlib.sha256(cbytes).hexdigest() + ".json"
    names = []
    with tarfile.open(out, "w") as t:
        for i, p in enumerate(layers):
            lname = "%s/layer.tar" % diff_ids[i][7:]
            names.append(lname)
            t.add(p, arcname=lname)
        info = tarfile.TarInfo(cname)
        info.size = len(cbytes)
        t.addfile(info, io.BytesIO(cbytes))
        manifest = json.dumps([{"Config": cname, "RepoTags": [name] if name != "-" else [],
                                "Layers": names}]).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        t.addfile(info, io.BytesIO(manifest))


main()
