"""Where an image's blobs come from: an OCI layout folder, a seekable tar (docker-archive,
oci-archive) or a tar stream (stdin), each behind one small interface.

Folders and seekable tars are random access: the reader first learns the layout from
`index.json`/`manifest.json`, then reads the chosen image's config and layers in order. Streams
(stdin) are `streamstore.StreamStore`'s. Nothing is spooled to disk.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass
from typing import Any, BinaryIO, Callable

from docklint.errors import InputError
from docklint.model.imagefs.layer import LayerScan, Problem, ScanOptions, normalise, scan_layer
from docklint.model.imagefs.stream import GZIP_MAGIC, ZSTD_MAGIC, RawBlob, format_size
from docklint.model.imagefs.tarstream import TarProblem, TarWalker

MAX_JSON = 16 << 20  # an index, manifest or config larger than this is not a real one
MAX_KEPT_JSON = 64 << 20  # all small documents a stream may keep, together
MAX_OUTER_MEMBERS = 200_000  # archives hold a few members per layer
DIGEST = re.compile(r"^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$")


@dataclass(frozen=True, slots=True)
class BlobRef:
    """A blob named by digest (OCI), by member name (docker-archive), or both."""

    digest: str | None = None
    name: str | None = None
    size: int | None = None
    media_type: str | None = None

    @property
    def label(self) -> str:
        return self.digest or self.name or "?"


def check_digest(digest: Any, where: str) -> str:
    if not isinstance(digest, str) or not DIGEST.match(digest):
        raise InputError(f"{where}: invalid digest {str(digest)[:80]!r}")
    return digest


def parse_json(data: bytes, what: str) -> Any:
    try:
        return json.loads(data)
    except RecursionError:
        raise InputError(f"{what} is not valid JSON (nested too deeply)") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise InputError(f"{what} is not valid JSON ({str(error)[:120]})") from None


class Store:
    """Random access to the blobs and named files of an image archive."""

    kind = "archive"

    def __init__(self, display: str) -> None:
        self.display = display
        self.problems: list[Problem] = []
        self._scanned: dict[str, LayerScan] = {}

    def has(self, name: str) -> bool:
        raise NotImplementedError

    def _open(self, name: str) -> tuple[Any, int]:
        raise NotImplementedError

    def blob_name(self, ref: BlobRef) -> str:
        if ref.name is not None:
            return ref.name
        assert ref.digest is not None
        algorithm, _, hexa = ref.digest.partition(":")
        return f"blobs/{algorithm}/{hexa}"

    def read_json(self, ref: BlobRef, what: str) -> Any:
        """A JSON document, size-capped, its digest checked against the reference."""
        name = self.blob_name(ref)
        if not self.has(name):
            raise InputError(f"{self.display}: {what} `{ref.label}` is missing from the archive")
        source, size = self._open(name)
        if size > MAX_JSON:
            raise InputError(f"{self.display}: {what} `{name}` is {format_size(size)}, too large to be real")
        raw = RawBlob(source, size, _algorithm(ref))
        data = raw.read(size) if size else b""
        self.verify(ref, raw, what)
        return parse_json(data, f"{self.display}: {what} `{name}`")

    def scan(self, ref: BlobRef, options: ScanOptions) -> LayerScan:
        name = self.blob_name(ref)
        if not self.has(name):
            raise InputError(f"{self.display}: layer blob `{ref.label}` is missing from the archive")
        if name in self._scanned:  # the same blob listed twice: read it once
            return self._scanned[name]
        source, size = self._open(name)
        scan = scan_layer(source, size, options, _algorithm(ref))
        self.check_scan(ref, scan)
        self._scanned[name] = scan
        return scan

    def check_scan(self, ref: BlobRef, scan: LayerScan) -> None:
        if ref.digest is not None and scan.blob_digest != ref.digest:
            scan.problems.append(
                Problem("digest-mismatch", f"layer blob `{ref.digest}` hashes to `{scan.blob_digest}`: it was altered or damaged")
            )
        if ref.size is not None and scan.stored_size != ref.size:
            scan.problems.append(
                Problem("size-mismatch", f"layer blob `{ref.label}` has {scan.stored_size} bytes, its descriptor says {ref.size}")
            )

    def verify(self, ref: BlobRef, raw: RawBlob, what: str) -> None:
        expected = ref.digest or _digest_from_name(ref.name)
        if expected is not None and raw.digest() != expected:
            self.problems.append(
                Problem("digest-mismatch", f"{what} `{ref.label}` hashes to `{raw.digest()}`: it was altered or damaged")
            )
        if ref.size is not None and raw.count != ref.size:
            self.problems.append(Problem("size-mismatch", f"{what} `{ref.label}` has {raw.count} bytes, its descriptor says {ref.size}"))

    def read_file_json(self, name: str) -> Any:
        return self.read_json(BlobRef(name=name), f"`{name}`")

    def close(self) -> None:
        pass


class DirectoryStore(Store):
    """An OCI image layout folder (or an unpacked `docker save` folder)."""

    kind = "oci-layout"

    def __init__(self, root: str, display: str) -> None:
        super().__init__(display)
        self.root = os.path.realpath(root)
        self._files: list[BinaryIO] = []

    def _path(self, name: str) -> str | None:
        clean, issue = normalise(name)
        if clean is None or issue == "traversal":
            return None
        path = os.path.realpath(os.path.join(self.root, clean.lstrip("/")))
        return path if path.startswith(self.root + os.sep) else None

    def has(self, name: str) -> bool:
        path = self._path(name)
        return path is not None and os.path.isfile(path)

    def _open(self, name: str) -> tuple[Any, int]:
        path = self._path(name)
        assert path is not None
        handle = open(path, "rb", buffering=0)  # noqa: SIM115 - closed in close()
        self._files.append(handle)
        return handle, os.fstat(handle.fileno()).st_size

    def close(self) -> None:
        for handle in self._files:
            handle.close()
        self._files.clear()


class _Seek:
    """A seekable file seen as the forward stream `TarWalker` reads, skipping data by seeking."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.pos = handle.tell()
        self.end = os.fstat(handle.fileno()).st_size

    def read(self, size: int) -> bytes:
        self.handle.seek(self.pos)
        data = self.handle.read(size)
        self.pos += len(data)
        return data

    def skip(self, size: int, sink: Callable[[Any], Any] | None = None) -> int:
        step = max(0, min(size, self.end - self.pos))
        self.pos += step
        return step


class _Slice:
    """`size` bytes of a file from `offset`, read with positioned reads."""

    def __init__(self, fd: int, offset: int, size: int) -> None:
        self.fd, self.pos, self.end = fd, offset, offset + size

    def readinto(self, view: memoryview) -> int:
        want = min(len(view), self.end - self.pos)
        if want <= 0:
            return 0
        got = os.preadv(self.fd, [view[:want]], self.pos)
        self.pos += got
        return got


class TarStore(Store):
    """A docker-archive or oci-archive on disk: one header pass, then positioned reads."""

    def __init__(self, handle: BinaryIO, display: str) -> None:
        super().__init__(display)
        self.handle = handle
        self.members: dict[str, tuple[int, int]] = {}  # name -> (offset, size)
        self.links: dict[str, str] = {}
        walker = TarWalker(_Seek(handle))  # type: ignore[arg-type]
        try:
            for member in walker:
                if walker.count > MAX_OUTER_MEMBERS:
                    raise InputError(f"{display}: more than {MAX_OUTER_MEMBERS} members; not an image archive")
                name = _member_name(member.name)
                if member.kind == "file":
                    offset = walker.stream.pos  # type: ignore[attr-defined]
                    if offset + member.size > walker.stream.end:  # type: ignore[attr-defined]
                        raise InputError(f"{display}: `{name}` runs past the end of the archive (truncated archive)")
                    self.members[name] = (offset, member.size)
                elif member.kind in ("symlink", "hardlink"):
                    self.links[name] = _link_target(name, member.linkname, member.kind)
        except TarProblem as problem:
            raise InputError(f"{display}: not a readable tar archive ({problem})") from None
        self.kind = "oci-archive" if "index.json" in self.members and "manifest.json" not in self.members else "docker-archive"

    def _resolve(self, name: str) -> str | None:
        name = _member_name(name)
        for _ in range(16):
            if name in self.members:
                return name
            if name not in self.links:
                return None
            name = self.links[name]
        return None

    def has(self, name: str) -> bool:
        return self._resolve(name) is not None

    def _open(self, name: str) -> tuple[Any, int]:
        resolved = self._resolve(name)
        assert resolved is not None
        offset, size = self.members[resolved]
        return _Slice(self.handle.fileno(), offset, size), size

    def close(self) -> None:
        self.handle.close()  # stdin is opened with closefd=False: its descriptor stays open


def open_store(path: str, options: ScanOptions, stdin: BinaryIO | None = None) -> Store:
    """The store for a path (`-`: stdin); raises InputError when it is no image archive."""
    from docklint.model.imagefs.streamstore import StreamStore

    if path == "-":
        handle = stdin if stdin is not None else _stdin()
        if _is_regular(handle):
            return _tar_store(handle, "-")
        return StreamStore(handle, "-", options)
    if os.path.isdir(path):
        if not (os.path.isfile(os.path.join(path, "index.json")) or os.path.isfile(os.path.join(path, "manifest.json"))):
            raise InputError(f"{path}: not an image folder (no `index.json` or `manifest.json`)")
        return DirectoryStore(path, path)
    try:
        handle = open(path, "rb", buffering=0)  # noqa: SIM115 - owned by the store
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror or error}") from None
    try:
        head = handle.read(4)
        handle.seek(0)
        if head.startswith(GZIP_MAGIC) or head.startswith(ZSTD_MAGIC):
            return StreamStore(handle, path, options)  # `docker save | gzip`: read it as a stream
        return _tar_store(handle, path)
    except BaseException:
        handle.close()
        raise


def _tar_store(handle: BinaryIO, display: str) -> TarStore:
    store = TarStore(handle, display)
    if not (store.has("index.json") or store.has("manifest.json")):
        store.close()
        raise InputError(f"{display}: not an image archive (no `manifest.json` or `index.json`; truncated?)")
    return store


def _stdin() -> BinaryIO:
    import sys

    return open(sys.stdin.fileno(), "rb", buffering=0, closefd=False)


def _is_regular(handle: BinaryIO) -> bool:
    try:
        return stat.S_ISREG(os.fstat(handle.fileno()).st_mode)
    except (OSError, AttributeError, ValueError):
        return False


def _member_name(name: str) -> str:
    clean, _ = normalise(name)
    return (clean or "/").lstrip("/")


def _link_target(name: str, target: str, kind: str) -> str:
    if kind == "hardlink" or target.startswith("/"):
        return _member_name(target)
    folder = name.rpartition("/")[0]
    return _member_name(f"{folder}/{target}" if folder else target)


def _json_name(name: str) -> bool:
    return name.endswith(".json") or name in ("oci-layout", "repositories") or name.endswith("/json")


def _algorithm(ref: BlobRef) -> str:
    if ref.digest is not None:
        return ref.digest.partition(":")[0]
    return "sha256"


def _algorithm_of_name(name: str) -> str:
    parts = name.split("/")
    return "sha512" if len(parts) == 3 and parts[0] == "blobs" and parts[1] == "sha512" else "sha256"


def _digest_from_name(name: str | None) -> str | None:
    """A docker-archive config named `<hex>.json` (or a `blobs/sha256/<hex>` path) names its digest."""
    if name is None:
        return None
    match = re.search(r"(?:^|/)(?:blobs/(sha256|sha512)/)?([a-f0-9]{64}|[a-f0-9]{128})(?:\.json)?$", name)
    if not match:
        return None
    algorithm = match.group(1) or ("sha256" if len(match.group(2)) == 64 else "sha512")
    return f"{algorithm}:{match.group(2)}"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()
