#!/usr/bin/env python3
"""Make test images for tests/12-image.bats from the course image.

  mkoci.py derive SRC DST [--config JSON] [--layer TAR]...
      DST: a copy of the OCI layout SRC, its config's "config" updated with
      the JSON object given, each TAR (an uncompressed tar) added as a layer
      on top; the digests of config, manifest and index written anew.
  mkoci.py hostile KIND OUT DIR
      OUT: a tar layer whose entry aims out of the layer at the folder DIR
      (KIND: dotdot, absolute, symlink, hardlink) or holds a device node
      (device).
"""
import hashlib, io, json, os, shutil, sys, tarfile


def put_blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def get_blob(layout, desc):
    with open(os.path.join(layout, "blobs", "sha256", desc["digest"][7:]), "rb") as f:
        return f.read()


def derive(src, dst, config_update, layers):
    shutil.copytree(src, dst)
    index = json.load(open(os.path.join(dst, "index.json")))
    mdesc = index["manifests"][0]
    manifest = json.loads(get_blob(dst, mdesc))
    config = json.loads(get_blob(dst, manifest["config"]))
    config.setdefault("config", {}).update(config_update)
    for path in layers:
        data = open(path, "rb").read()
        desc = put_blob(dst, data)
        desc["mediaType"] = "application/vnd.oci.image.layer.v1.tar"
        manifest["layers"].append(desc)
        config["rootfs"]["diff_ids"].append(desc["digest"])
    manifest["config"].update(put_blob(dst, json.dumps(config).encode()))
    mdesc.update(put_blob(dst, json.dumps(manifest).encode()))
    json.dump(index, open(os.path.join(dst, "index.json"), "w"))


def entry(name, kind=tarfile.REGTYPE, data=b"", link=""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size, info.mode = kind, link, len(data), 0o644
    return info, io.BytesIO(data)


def hostile(kind, out, outside):
    entries = {
        "dotdot": [entry("../../../../escaped", data=b"out\n")],
        "absolute": [entry(outside + "/escaped", data=b"out\n")],
        "symlink": [entry("link", tarfile.SYMTYPE, link=outside),
                    entry("link/sub/escaped", data=b"out\n")],
        "hardlink": [entry("hl", tarfile.LNKTYPE, link="../../../../target")],
        "device": [entry("disk", tarfile.BLKTYPE)],
    }[kind]
    with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as tar:
        for info, data in entries:
            if info.type == tarfile.BLKTYPE:
                info.devmajor, info.devminor = 7, 0
            tar.addfile(info, data if info.type == tarfile.REGTYPE else None)


if __name__ == "__main__":
    if sys.argv[1] == "derive":
        args, config, layers = sys.argv[4:], {}, []
        while args:
            opt, val, args = args[0], args[1], args[2:]
            if opt == "--config":
                config.update(json.loads(val))
            else:
                layers.append(val)
        derive(sys.argv[2], sys.argv[3], config, layers)
    else:
        hostile(sys.argv[2], sys.argv[3], sys.argv[4])
