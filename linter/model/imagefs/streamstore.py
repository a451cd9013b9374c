"""Reading an image archive from a stream that cannot seek (stdin, or a gzip-compressed archive).

`docker save` writes `manifest.json` last and oci-archives store blobs in digest order, so the
roles of the blobs are unknown while they stream past. Each member is read once, as it comes:
small JSON documents are kept, every other blob is scanned as a layer on arrival (keeping only
its scan: entries, small contents, secret hits), and the layout is resolved at the end.
Nothing is spooled to disk.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from docklint.errors import InputError
from docklint.model.imagefs.archive import (
    MAX_JSON,
    MAX_KEPT_JSON,
    MAX_OUTER_MEMBERS,
    BlobRef,
    Store,
    _algorithm,
    _algorithm_of_name,
    _json_name,
    _link_target,
    _member_name,
    parse_json,
)
from docklint.model.imagefs.layer import LayerScan, ScanOptions, scan_layer
from docklint.model.imagefs.stream import GZIP_MAGIC, ZSTD_MAGIC, GzipDecoded, PlainDecoded, RawBlob, ZstdDecoded, format_size
from docklint.model.imagefs.tarstream import TarProblem, TarWalker


class StreamStore(Store):
    """A tar stream read once: small documents kept, other blobs scanned as layers on arrival."""

    kind = "stream"

    def __init__(self, handle: BinaryIO, display: str, options: ScanOptions) -> None:
        super().__init__(display)
        self.handle = handle
        self.documents: dict[str, bytes] = {}
        self.scans: dict[str, LayerScan] = {}
        self.links: dict[str, str] = {}
        self._read_all(handle, options)

    def _read_all(self, handle: BinaryIO, options: ScanOptions) -> None:
        outer = RawBlob(handle, None, algorithm=None)  # type: ignore[arg-type]  # BinaryIO has readinto
        head = outer.peek(4)
        if head.startswith(GZIP_MAGIC):
            stream: Any = GzipDecoded(outer, options.budget)
        elif head.startswith(ZSTD_MAGIC):
            stream = ZstdDecoded(outer, options.budget)
        else:
            stream = PlainDecoded(outer)
        walker = TarWalker(stream)
        kept = 0
        try:
            for member in walker:
                if walker.count > MAX_OUTER_MEMBERS:
                    raise InputError(f"{self.display}: more than {MAX_OUTER_MEMBERS} members; not an image archive")
                name = _member_name(member.name)
                if member.kind in ("symlink", "hardlink"):
                    self.links[name] = _link_target(name, member.linkname, member.kind)
                if member.kind != "file":
                    continue
                source = walker.source()
                head = _read_head(source, min(member.size, 1024))
                if head.lstrip()[:1] in (b"{", b"[") or _json_name(name):
                    if member.size > MAX_JSON:
                        raise InputError(f"{self.display}: `{name}` is {format_size(member.size)}, too large to be real")
                    data = head + walker.read()
                    kept += len(data)
                    if kept > MAX_KEPT_JSON:
                        raise InputError(f"{self.display}: more than {format_size(MAX_KEPT_JSON)} of metadata; not an image archive")
                    self.documents[name] = data
                    continue
                scan = scan_layer(_Chain(head, source), member.size, options, _algorithm_of_name(name))
                if scan.is_tar or scan.entries:
                    self.scans[name] = scan
        except TarProblem as problem:
            raise InputError(f"{self.display}: the archive stream is damaged ({problem})") from None

    def _resolve(self, name: str) -> str | None:
        name = _member_name(name)
        for _ in range(16):
            if name in self.documents or name in self.scans:
                return name
            if name not in self.links:
                return None
            name = self.links[name]
        return None

    def has(self, name: str) -> bool:
        return self._resolve(name) is not None

    def read_json(self, ref: BlobRef, what: str) -> Any:
        name = self._resolve(self.blob_name(ref))
        if name is None or name not in self.documents:
            raise InputError(f"{self.display}: {what} `{ref.label}` is missing from the archive")
        data = self.documents[name]
        raw = RawBlob(_Bytes(data), len(data), _algorithm(ref))
        raw.read(len(data))
        self.verify(ref, raw, what)
        return parse_json(data, f"{self.display}: {what} `{name}`")

    def close(self) -> None:
        self.handle.close()

    def scan(self, ref: BlobRef, options: ScanOptions) -> LayerScan:
        name = self._resolve(self.blob_name(ref))
        if name is None or name not in self.scans:
            raise InputError(f"{self.display}: layer blob `{ref.label}` is missing from the archive")
        scan = self.scans[name]
        self.check_scan(ref, scan)
        return scan


def _read_head(source: Any, size: int) -> bytes:
    buf = bytearray(size)
    view = memoryview(buf)
    got = 0
    while got < size:
        step = source.readinto(view[got:])
        if not step:
            break
        got += step
    return bytes(buf[:got])


class _Chain:
    """`head` (bytes already read to sniff a blob), then the rest of `source`."""

    def __init__(self, head: bytes, source: Any) -> None:
        self.head = memoryview(head)
        self.source = source

    def readinto(self, view: memoryview) -> int:
        if self.head.nbytes:
            count = min(len(view), self.head.nbytes)
            view[:count] = self.head[:count]
            self.head = self.head[count:]
            return count
        return int(self.source.readinto(view))


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self.view = memoryview(data)

    def readinto(self, view: memoryview) -> int:
        count = min(len(view), self.view.nbytes)
        view[:count] = self.view[:count]
        self.view = self.view[count:]
        return count
