"""Byte plumbing for image blobs: bounded reads, sha256 while streaming, capped gzip/zstd decoding.

Every byte of a blob passes through `RawBlob`, which hashes it on the way (the blob digest), and
then through a `Decoded` stream, which hashes the uncompressed bytes (the layer's diff_id) and
charges them to a `Budget` so a decompression bomb stops at a configured size. Chunks are at
most `CHUNK` bytes: no blob or layer is ever held in memory.
"""

from __future__ import annotations

import hashlib
import zlib
from typing import Any, Callable, Protocol

CHUNK = 1 << 20
SMALL_CHUNK = 256 << 10
# Past this many decoded bytes, a layer that expanded more than MAX_RATIO times is called a bomb
# (gzip tops out near 1032:1, zstd goes far beyond; real layers stay well under 100:1). Only
# with the default cap: a `--max-decompressed` the user chose is trusted as it is.
RATIO_CHECK_AFTER = 1 << 30
MAX_RATIO = 200
# zstd frames may ask for a window of up to 2 GiB; real layers use a few MiB (level 19: 8 MiB).
ZSTD_MAX_WINDOW = 1 << 25

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class ReadProblem(Exception):
    """A blob could not be read to the end: `kind` is `truncated`, `bomb` or `corrupt`."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class Source(Protocol):
    def readinto(self, view: memoryview) -> int: ...


class Budget:
    """How many decompressed bytes an image may expand to (`--max-decompressed`)."""

    def __init__(self, limit: int, explicit: bool = False) -> None:
        self.limit = limit
        self.explicit = explicit  # chosen by the user: no ratio guard on top
        self.used = 0

    def spend(self, count: int) -> None:
        self.used += count
        if self.used > self.limit:
            raise ReadProblem(
                "bomb",
                f"decompressed layers exceed {format_size(self.limit)} (`--max-decompressed`); "
                "reading stopped",
            )


class RawBlob:
    """Exactly `size` bytes of `source` (or up to its end when `size` is None), hashed as read."""

    def __init__(self, source: Source, size: int | None, algorithm: str | None = "sha256") -> None:
        self.source = source
        self.size = size
        self.count = 0
        self.hasher: Any = hashlib.new(algorithm) if algorithm else _NoHash()
        self._scratch: bytearray | None = None
        self._head = memoryview(b"")

    def peek(self, size: int) -> bytes:
        """The first `size` bytes (or fewer), which later reads return again."""
        buf = bytearray(size)
        got = self.readinto(memoryview(buf))
        self._head = memoryview(bytes(buf[:got]))
        return bytes(self._head)

    def readinto(self, view: memoryview) -> int:
        if self._head.nbytes:
            count = min(len(view), self._head.nbytes)
            view[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        want = len(view) if self.size is None else min(len(view), self.size - self.count)
        if want <= 0:
            return 0
        got = self.source.readinto(view[:want]) or 0
        if got:
            self.hasher.update(view[:got])
            self.count += got
        return got

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes (zstandard's stream reader pulls compressed input this way)."""
        if size is None or size < 0:
            size = CHUNK
        buf = bytearray(min(size, CHUNK))
        got = self.readinto(memoryview(buf))
        del buf[got:]
        return bytes(buf)

    def drain(self) -> None:
        """Read (and hash) whatever is left of the blob."""
        if self._scratch is None:
            self._scratch = bytearray(CHUNK)
        view = memoryview(self._scratch)
        while self.readinto(view):
            pass

    @property
    def short(self) -> bool:
        """The source ended before the declared size."""
        return self.size is not None and self.count < self.size

    def digest(self) -> str:
        return f"{self.hasher.name}:{self.hasher.hexdigest()}"


class _NoHash:
    """For streams no digest names (an outer archive read from stdin)."""

    name = "none"

    def update(self, data: Any) -> None:
        pass

    def hexdigest(self) -> str:
        return ""


class Decoded:
    """The uncompressed bytes of a blob, read forward only: `read`, `skip` and `drain`."""

    compression = "none"

    def __init__(self, raw: RawBlob, budget: Budget | None) -> None:
        self.raw = raw
        self.budget = budget
        self.total = 0  # decoded bytes so far
        self.hasher: Any = hashlib.sha256() if budget is not None else None
        self._buf = b""
        self._pos = 0

    def _chunk(self) -> bytes:
        raise NotImplementedError

    def _pull(self) -> bytes:
        chunk = self._chunk()
        if chunk:
            self.total += len(chunk)
            if self.budget is not None:
                self.budget.spend(len(chunk))
                if not self.budget.explicit and self.total > RATIO_CHECK_AFTER and self.total > MAX_RATIO * max(self.raw.count, 1):
                    raise ReadProblem(
                        "bomb",
                        f"the layer expands more than {MAX_RATIO}:1 ({format_size(self.raw.count)} to over "
                        f"{format_size(self.total)}), a decompression bomb; reading stopped (set "
                        "`--max-decompressed` to read it anyway)",
                    )
            if self.hasher is not None:
                self.hasher.update(chunk)
        return chunk

    def read(self, size: int) -> bytes:
        """`size` bytes, fewer only at the end of the blob."""
        pos = self._pos
        end = pos + size
        if end <= len(self._buf):
            self._pos = end
            return self._buf[pos:end]
        parts = [self._buf[pos:]]
        got = len(parts[0])
        self._buf, self._pos = b"", 0
        while got < size:
            chunk = self._pull()
            if not chunk:
                break
            need = size - got
            if len(chunk) > need:
                parts.append(chunk[:need])
                self._buf, self._pos = chunk, need
                got = size
                break
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)

    def readinto(self, view: memoryview) -> int:
        """Copy up to `len(view)` decoded bytes into `view`; 0 at the end."""
        pos = self._pos
        avail = len(self._buf) - pos
        if not avail:
            self._buf, self._pos = self._pull(), 0
            pos, avail = 0, len(self._buf)
            if not avail:
                return 0
        count = min(avail, len(view))
        view[:count] = memoryview(self._buf)[pos : pos + count]
        self._pos = pos + count
        return count

    def skip(self, size: int, sink: Callable[[Any], Any] | None = None) -> int:
        """Move `size` bytes forward, handing them to `sink` if given; returns how many."""
        pos = self._pos
        avail = len(self._buf) - pos
        if avail >= size:
            if sink is not None:
                sink(memoryview(self._buf)[pos : pos + size])
            self._pos = pos + size
            return size
        if sink is not None and avail:
            sink(memoryview(self._buf)[pos:])
        self._buf, self._pos = b"", 0
        return avail + self._skip_fresh(size - avail, sink)

    def _skip_fresh(self, size: int, sink: Callable[[Any], Any] | None) -> int:
        done = 0
        while done < size:
            chunk = self._pull()
            if not chunk:
                break
            need = size - done
            if len(chunk) > need:
                if sink is not None:
                    sink(memoryview(chunk)[:need])
                self._buf, self._pos = chunk, need
                return size
            if sink is not None:
                sink(chunk)
            done += len(chunk)
        return done

    def drain(self) -> None:
        """Decode to the end of the blob (so both digests cover every byte)."""
        self._buf, self._pos = b"", 0
        while self._pull():
            pass

    def diff_id(self) -> str:
        return f"sha256:{self.hasher.hexdigest()}" if self.hasher is not None else self.raw.digest()


class PlainDecoded(Decoded):
    """An uncompressed tar: decoded bytes are the raw bytes, hashed once (diff_id = digest)."""

    def __init__(self, raw: RawBlob, budget: Budget | None = None) -> None:
        super().__init__(raw, None)
        self._scratch = bytearray(CHUNK)

    def _chunk(self) -> bytes:
        return self.raw.read(SMALL_CHUNK)

    def readinto(self, view: memoryview) -> int:
        if len(self._buf) > self._pos:
            return super().readinto(view)
        got = self.raw.readinto(view)
        self.total += got
        return got

    def _skip_fresh(self, size: int, sink: Callable[[Any], Any] | None) -> int:
        view = memoryview(self._scratch)
        done = 0
        while done < size:
            got = self.raw.readinto(view[: min(size - done, CHUNK)])
            if not got:
                break
            if sink is not None:
                sink(view[:got])
            done += got
        self.total += done
        return done

    def drain(self) -> None:
        self._buf, self._pos = b"", 0
        before = self.raw.count
        self.raw.drain()
        self.total += self.raw.count - before


class GzipDecoded(Decoded):
    """gzip, including multi-member files (each member decoded in turn)."""

    compression = "gzip"

    def __init__(self, raw: RawBlob, budget: Budget) -> None:
        super().__init__(raw, budget)
        self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._fresh = True  # no input fed to the current member yet
        self._input = bytearray(SMALL_CHUNK)
        self._pending = b""

    def _chunk(self) -> bytes:
        try:
            while True:
                if self._pending:
                    data, self._pending = self._pending, b""
                else:
                    got = self.raw.readinto(memoryview(self._input))
                    if not got:
                        if not self._fresh:
                            raise ReadProblem("truncated", "the gzip stream ends early (truncated layer)")
                        return b""
                    data = bytes(self._input[:got])
                if self._fresh:
                    data = data.lstrip(b"\0")  # zero padding after the last member
                    if not data:
                        continue
                    self._fresh = False
                out = self._inflate.decompress(data, CHUNK)
                self._pending = self._inflate.unconsumed_tail
                if self._inflate.eof:
                    self._pending = self._inflate.unused_data
                    self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    self._fresh = True
                if out:
                    return out
        except zlib.error as error:
            raise ReadProblem("corrupt", f"the gzip data is corrupt ({error})") from None


class ZstdDecoded(Decoded):
    """zstd (the zstandard package, imported only for zstd layers), frames read back to back."""

    compression = "zstd"

    def __init__(self, raw: RawBlob, budget: Budget) -> None:
        super().__init__(raw, budget)
        import zstandard

        self._error = zstandard.ZstdError
        decompressor = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW)
        self._reader = decompressor.stream_reader(
            raw,  # type: ignore[arg-type]  # zstandard only calls `read`, which RawBlob has
            read_size=SMALL_CHUNK,
            read_across_frames=True,
            closefd=False,
        )
        self._out = bytearray(CHUNK)

    def _chunk(self) -> bytes:
        try:
            got = self._reader.readinto(self._out)
        except self._error as error:
            text = str(error)
            if "window" in text.lower() or "frameParameter" in text or "too much memory" in text:
                raise ReadProblem("bomb", f"the zstd frame needs a window above {format_size(ZSTD_MAX_WINDOW)}") from None
            raise ReadProblem("corrupt", f"the zstd data is corrupt ({text})") from None
        return bytes(self._out[:got]) if got else b""


def open_decoded(raw: RawBlob, head: bytes, budget: Budget) -> Decoded:
    """A decoder chosen by the blob's first bytes (media types can lie; magic numbers cannot)."""
    if head.startswith(GZIP_MAGIC):
        return GzipDecoded(raw, budget)
    if head.startswith(ZSTD_MAGIC):
        return ZstdDecoded(raw, budget)
    return PlainDecoded(raw)


def format_size(size: float) -> str:
    """`1.5 MiB`, `312 B`: binary units, one decimal above bytes."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError


def parse_size(text: str) -> int:
    """`512MB`, `2GiB`, `100k`, `1048576`: decimal (kB, MB, GB) and binary (KiB, MiB, GiB) units."""
    import re

    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)b?\s*", text.lower())
    if not match:
        raise ValueError(f"not a size: {text!r} (use e.g. 512MB or 2GiB)")
    number, prefix, binary = match.groups()
    base = 1024 if binary or not prefix else 1000
    power = " kmgt".index(prefix or " ")
    return int(float(number) * base**power)
