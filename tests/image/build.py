"""Build image archives in tests: layer tars from entry lists, docker-archives, OCI layouts.

Everything is made in memory (bytes) or under a test's `tmp_path`; the hostile-archive tests
take these bytes apart and break them on purpose.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_TYPES = {
    None: "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}
MTIME = 1700000000


@dataclass
class E:
    """One layer entry. `kind`: file, dir, symlink, hardlink, char, block, fifo, whiteout, opaque."""

    path: str
    data: bytes | str = b""
    mode: int | None = None
    kind: str = "file"
    link: str = ""
    uid: int = 0
    gid: int = 0
    size: int | None = None  # a file of this many zero bytes instead of `data`

    @property
    def content(self) -> bytes:
        if self.size is not None:
            return bytes(self.size)
        return self.data.encode() if isinstance(self.data, str) else self.data


def entry(spec: Mapping[str, Any]) -> E:
    """An entry from a rule-case mapping: `{path, data, mode, kind, link, uid, gid, size}`."""
    mode = spec.get("mode")
    return E(
        path=str(spec["path"]),
        data=spec.get("data", b""),
        mode=int(str(mode), 8) if isinstance(mode, str) else mode,
        kind=str(spec.get("kind", "file")),
        link=str(spec.get("link", "")),
        uid=int(spec.get("uid", 0)),
        gid=int(spec.get("gid", 0)),
        size=spec.get("size"),
    )


def layer_tar(entries: Iterable[E]) -> bytes:
    """An uncompressed layer tar (names without a leading `./`, as buildah writes them)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for item in entries:
            info = tarfile.TarInfo(item.path)
            info.mtime = MTIME
            info.uid, info.gid = item.uid, item.gid
            payload = None
            if item.kind == "whiteout":
                parent, _, name = item.path.rstrip("/").rpartition("/")
                info.name = f"{parent}/.wh.{name}" if parent else f".wh.{name}"
                info.mode = 0
            elif item.kind == "opaque":
                info.name = item.path.rstrip("/") + "/.wh..wh..opq"
                info.mode = 0
            elif item.kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o755 if item.mode is None else item.mode
            elif item.kind == "symlink":
                info.type, info.linkname, info.mode = tarfile.SYMTYPE, item.link, 0o777
            elif item.kind == "hardlink":
                info.type, info.linkname, info.mode = tarfile.LNKTYPE, item.link, 0o644 if item.mode is None else item.mode
            elif item.kind in ("char", "block"):
                info.type = tarfile.CHRTYPE if item.kind == "char" else tarfile.BLKTYPE
                info.devmajor, info.devminor, info.mode = 1, 3, 0o666
            elif item.kind == "fifo":
                info.type, info.mode = tarfile.FIFOTYPE, 0o644
            else:
                payload = item.content
                info.size = len(payload)
                info.mode = 0o644 if item.mode is None else item.mode
            tar.addfile(info, io.BytesIO(payload) if payload is not None else None)
    return out.getvalue()


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def compress(data: bytes, how: str | None) -> bytes:
    if how == "gzip":
        return gzip.compress(data, mtime=0)
    if how == "zstd":
        import zstandard

        return zstandard.ZstdCompressor().compress(data)
    return data


@dataclass
class Spec:
    """An image: its layers (entry lists or ready tars) and config fields."""

    layers: Sequence[Sequence[E] | bytes]
    user: str | None = None
    env: Sequence[str] = ("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",)
    exposed_ports: Sequence[str] = ()
    volumes: Sequence[str] = ()
    labels: Mapping[str, str] | None = None
    cmd: Sequence[str] | None = ("/bin/sh",)
    entrypoint: Sequence[str] | None = None
    healthcheck: Mapping[str, Any] | None = None
    history: Sequence[Mapping[str, Any]] | None = None  # default: one `created_by` per layer
    tags: Sequence[str] = ("example.com/app:1.0",)
    os: str = "linux"
    architecture: str = "amd64"
    variant: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def tars(self) -> list[bytes]:
        return [layer if isinstance(layer, bytes) else layer_tar(layer) for layer in self.layers]

    def config(self, tars: Sequence[bytes] | None = None) -> dict[str, Any]:
        tars = self.tars() if tars is None else tars
        inner: dict[str, Any] = {"Env": list(self.env)}
        if self.user is not None:
            inner["User"] = self.user
        if self.exposed_ports:
            inner["ExposedPorts"] = {port: {} for port in self.exposed_ports}
        if self.volumes:
            inner["Volumes"] = {volume: {} for volume in self.volumes}
        if self.labels:
            inner["Labels"] = dict(self.labels)
        if self.cmd is not None:
            inner["Cmd"] = list(self.cmd)
        if self.entrypoint is not None:
            inner["Entrypoint"] = list(self.entrypoint)
        if self.healthcheck is not None:
            inner["Healthcheck"] = dict(self.healthcheck)
        history = self.history
        if history is None:
            history = [{"created_by": f"/bin/sh -c #(nop) COPY dir:{i:064x} in / "} for i in range(len(tars))]
        config = {
            "created": "2023-11-14T22:13:20Z",
            "architecture": self.architecture,
            "os": self.os,
            "config": inner,
            "rootfs": {"type": "layers", "diff_ids": [sha256(t) for t in tars]},
            "history": list(history),
            **self.extra,
        }
        if self.variant:
            config["variant"] = self.variant
        return config


def _tar_of(members: Sequence[tuple[str, bytes | None, str]]) -> bytes:
    """An outer archive: (name, data, symlink target) members; data None with a target: symlink."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data, target in members:
            info = tarfile.TarInfo(name)
            info.mtime = MTIME
            if data is None:
                info.type, info.linkname = tarfile.SYMTYPE, target
                tar.addfile(info)
            else:
                info.size = len(data)
                info.mode = 0o444
                tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def docker_archive(*specs: Spec, compression: str | None = None, legacy_links: bool = False) -> bytes:
    """A `docker save` tarball: `<diff-id>.tar` layers, `<config-digest>.json`, `manifest.json` last."""
    members: list[tuple[str, bytes | None, str]] = []
    manifest = []
    written: set[str] = set()
    for spec in specs:
        tars = spec.tars()
        config = json.dumps(spec.config(tars)).encode()
        config_name = sha256(config)[7:] + ".json"
        layer_names = []
        for number, tar in enumerate(tars):
            name = sha256(tar)[7:] + ".tar"
            if name not in written:
                members.append((name, compress(tar, compression), ""))
                written.add(name)
            if legacy_links:
                folder = hashlib.sha256(f"{config_name}{number}".encode()).hexdigest()
                members.append((f"{folder}/layer.tar", None, f"../{name}"))
                name = f"{folder}/layer.tar"
            layer_names.append(name)
        members.append((config_name, config, ""))
        manifest.append({"Config": config_name, "RepoTags": list(spec.tags), "Layers": layer_names})
    members.append(("manifest.json", json.dumps(manifest).encode(), ""))
    return _tar_of(members)


def oci_blobs(
    specs: Sequence[Spec], compression: str | None = "gzip", platforms: bool = False, extra_manifests: Sequence[dict[str, Any]] = ()
) -> tuple[dict[str, bytes], dict[str, Any]]:
    """The blobs (digest -> bytes) and `index.json` of an OCI layout holding `specs`."""
    blobs: dict[str, bytes] = {}

    def put(data: bytes) -> str:
        digest = sha256(data)
        blobs[digest] = data
        return digest

    descriptors = []
    for spec in specs:
        tars = spec.tars()
        config = json.dumps(spec.config(tars)).encode()
        layers = []
        for tar in tars:
            stored = compress(tar, compression)
            layers.append({"mediaType": LAYER_TYPES[compression], "digest": put(stored), "size": len(stored)})
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": put(config), "size": len(config)},
            "layers": layers,
        }
        data = json.dumps(manifest).encode()
        descriptor: dict[str, Any] = {"mediaType": OCI_MANIFEST, "digest": put(data), "size": len(data)}
        if spec.tags:
            descriptor["annotations"] = {"org.opencontainers.image.ref.name": spec.tags[0]}
        if platforms:
            descriptor["platform"] = {"os": spec.os, "architecture": spec.architecture}
            if spec.variant:
                descriptor["platform"]["variant"] = spec.variant
        descriptors.append(descriptor)
    for extra in extra_manifests:
        data = json.dumps(extra["manifest"]).encode()
        descriptors.append({**extra.get("descriptor", {}), "digest": put(data), "size": len(data)})
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descriptors}
    return blobs, index


def oci_archive(*specs: Spec, compression: str | None = "gzip", platforms: bool = False, **kw: Any) -> bytes:
    """An oci-archive: blobs in digest order (as skopeo writes them), then index.json."""
    blobs, index = oci_blobs(specs, compression, platforms, **kw)
    members: list[tuple[str, bytes | None, str]] = [("oci-layout", b'{"imageLayoutVersion": "1.0.0"}', "")]
    for digest in sorted(blobs):
        members.append((f"blobs/sha256/{digest[7:]}", blobs[digest], ""))
    members.append(("index.json", json.dumps(index).encode(), ""))
    return _tar_of(members)


def oci_layout(root: Path, *specs: Spec, compression: str | None = "gzip", platforms: bool = False, **kw: Any) -> Path:
    """An OCI image layout folder under `root`."""
    blobs, index = oci_blobs(specs, compression, platforms, **kw)
    (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    for digest, data in blobs.items():
        (root / "blobs" / "sha256" / digest[7:]).write_bytes(data)
    (root / "index.json").write_text(json.dumps(index))
    return root


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)
