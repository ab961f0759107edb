#!/usr/bin/env python3
"""Turn a one-image oci-archive into a multi-platform one:

    make-oci-index.py IN.tar OUT.tar NAME

The result's index.json names NAME and points to a nested image index with
two manifests: the original one as linux/amd64, and a copy whose config
says linux/arm64/v8 (same layers, so only the config tells them apart)."""
import hashlib
import io
import json
import sys
import tarfile


def main():
    src, out, name = sys.argv[1:4]
    files = {}
    with tarfile.open(src) as t:
        for m in t:
            if m.isfile():
                files[m.name] = t.extractfile(m).read()
    index = json.loads(files["index.json"])
    mdesc = index["manifests"][0]
    manifest = json.loads(files["blobs/sha256/" + mdesc["digest"][7:]])
    config = json.loads(files["blobs/sha256/" + manifest["config"]["digest"][7:]])

    def put(data):
        d = hashlib.sha256(data).hexdigest()
        files["blobs/sha256/" + d] = data
        return "sha256:" + d

    config["architecture"] = "arm64"
    config["variant"] = "v8"
    cbytes = json.dumps(config).encode()
    arm = dict(manifest)
    arm["config"] = dict(manifest["config"], digest=put(cbytes), size=len(cbytes))
    abytes = json.dumps(arm).encode()
    nested = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": mdesc["mediaType"], "digest": put(json.dumps(arm).encode()), "size": len(abytes),
             "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
            {"mediaType": mdesc["mediaType"], "digest": mdesc["digest"], "size": mdesc["size"],
             "platform": {"os": "linux", "architecture": "amd64"}},
        ],
    }
    nbytes = json.dumps(nested).encode()
    files["index.json"] = json.dumps({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": put(nbytes),
                       "size": len(nbytes),
                       "annotations": {"org.opencontainers.image.ref.name": name}}],
    }).encode()
    with tarfile.open(out, "w") as t:
        for n, data in files.items():
            info = tarfile.TarInfo(n)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))


main()
