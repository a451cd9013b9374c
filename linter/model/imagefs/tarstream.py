"""A forward-only tar reader for layer streams: one pass, bounded memory, strict about damage.

`tarfile`'s stream mode (`mode="r|"`) would do the walking, but it keeps every `TarInfo` it has
seen in `TarFile.members` (a million-member layer is a million objects), reads in 10 KiB blocks
and treats a member that runs past the end of a stream as a short read. This reader keeps only
the current member, skips data in 1 MiB steps through `Decoded.skip`, and raises `TarProblem`
for a bad checksum, a truncated member or metadata records too large to be real. It knows the
formats image tools write: ustar, GNU (`L`/`K` long names, base-256 numbers) and pax (`x`/`g`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from docklint.model.imagefs.stream import Decoded

BLOCK = 512
ZERO_BLOCK = bytes(BLOCK)
MAX_META = 1 << 20  # a pax or long-name record beyond this is hostile
_HEADER = struct.Struct("100s8s8s8s12s12s8s1s100s6s2s32s32s8s8s155s12x")
# Type flags whose member carries data in the archive (like tarfile: unknown types do too).
_NO_DATA = frozenset("12345")
KIND = {
    "0": "file", "\0": "file", "7": "file", "S": "file",
    "1": "hardlink", "2": "symlink", "3": "char", "4": "block", "5": "dir", "6": "fifo",
}  # fmt: skip


class TarProblem(Exception):
    """The layer's tar stream is damaged or hostile: `kind` is `truncated` or `corrupt`."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(slots=True)
class Member:
    """One tar member as stored: the raw name (leading `./` and `/` kept), type and metadata."""

    name: str
    kind: str  # file, dir, symlink, hardlink, char, block, fifo, other
    mode: int
    uid: int
    gid: int
    size: int  # bytes of data stored in the archive for this member
    linkname: str


class TarWalker:
    """Iterate the members of a tar stream; read or skip each member's data before the next.

    Data not read by the caller is skipped (and still hashed by the stream underneath) when
    the iteration moves on.
    """

    def __init__(self, stream: Decoded) -> None:
        self.stream = stream
        self.ended = False  # the end-of-archive marker was seen
        self.count = 0
        self._left = 0  # data bytes of the current member not yet read
        self._pad = 0
        self._name = ""

    def __iter__(self) -> Iterator[Member]:
        pax_global: dict[str, str] = {}
        pax: dict[str, str] = {}
        long_name: str | None = None
        long_link: str | None = None
        while True:
            self._finish_member()
            block = self.stream.read(BLOCK)
            if not block:
                return  # no end marker: tolerated, as GNU tar does
            if len(block) < BLOCK:
                raise TarProblem("truncated", "the layer ends inside a tar header (truncated archive)")
            if block == ZERO_BLOCK:
                self.ended = True
                return
            fields = _HEADER.unpack(block)
            _check_checksum(block, fields[6])
            flag = fields[7].decode("latin-1")
            size = _number(fields[4], "size")
            if flag in "xgLK" and flag:
                data = self._meta(size, flag)
                if flag == "x":
                    pax = _pax_records(data)
                elif flag == "g":
                    pax_global.update(_pax_records(data))
                elif flag == "L":
                    long_name = _text(data)
                else:
                    long_link = _text(data)
                continue
            merged = {**pax_global, **pax} if pax_global else pax
            member = _member(fields, flag, size, merged, long_name, long_link)
            pax, long_name, long_link = {}, None, None
            self.count += 1
            self._name = member.name
            self._left = 0 if flag in _NO_DATA else member.size
            self._pad = -self._left % BLOCK
            yield member

    def read(self) -> bytes:
        """All data of the current member (callers check `member.size` against their limit)."""
        want = self._left
        data = self.stream.read(want)
        self._left = 0
        if len(data) < want:
            raise _truncated(self._name, want, len(data))
        return data

    def skip(self, sink: Callable[[Any], Any] | None = None) -> None:
        """Skip the current member's data, handing it to `sink` (a hash's `update`) if given."""
        want = self._left
        self._left = 0
        got = self.stream.skip(want, sink)
        if got < want:
            raise _truncated(self._name, want, got)

    def source(self) -> MemberData:
        """The current member's data as a readable source (for blobs inside an outer archive)."""
        return MemberData(self)

    def _finish_member(self) -> None:
        if self._left:
            self.skip()
        if self._pad:
            pad, self._pad = self._pad, 0
            if self.stream.skip(pad) < pad:
                raise TarProblem("truncated", "the layer ends inside a tar member's padding (truncated archive)")

    def _meta(self, size: int, flag: str) -> bytes:
        if size > MAX_META:
            raise TarProblem("corrupt", f"a tar metadata record (type `{flag}`) claims {size} bytes")
        data = self.stream.read(size)
        if len(data) < size:
            raise TarProblem("truncated", "the layer ends inside a tar metadata record (truncated archive)")
        pad = -size % BLOCK
        if self.stream.skip(pad) < pad:
            raise TarProblem("truncated", "the layer ends inside a tar metadata record (truncated archive)")
        return data


class MemberData:
    """Reads the data of a walker's current member, and no further."""

    def __init__(self, walker: TarWalker) -> None:
        self.walker = walker

    def readinto(self, view: memoryview) -> int:
        walker = self.walker
        left = walker._left
        if left <= 0:
            return 0
        got = walker.stream.readinto(view[: min(len(view), left)])
        walker._left -= got
        return got


def _truncated(name: str, want: int, got: int) -> TarProblem:
    return TarProblem(
        "truncated", f"`{name}` declares {want} bytes but the layer ends after {got} (truncated or lying header)"
    )


def _check_checksum(block: bytes, field: bytes) -> None:
    stored = _number(field, "checksum")
    unsigned = sum(block) - sum(block[148:156]) + 8 * 32
    if stored == unsigned:
        return
    signed = sum(b - 256 if b > 127 else b for b in block[:148] + block[156:]) + 8 * 32
    if stored != signed:
        raise TarProblem("corrupt", "a tar header has a bad checksum (not a tar stream, or damaged)")


def _number(field: bytes, what: str) -> int:
    if field[:1] in (b"\x80", b"\xff"):
        value = int.from_bytes(field[1:], "big")
        if field[0] == 0xFF:
            raise TarProblem("corrupt", f"a tar header has a negative {what}")
        return value
    text = field.split(b"\0", 1)[0].strip(b" \0")
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError:
        raise TarProblem("corrupt", f"a tar header has an unreadable {what} field") from None


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _pax_records(data: bytes) -> dict[str, str]:
    """`"%d %s=%s\\n"` records; a malformed record ends the parse (keeping what came before)."""
    records: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos, pos + 24)
        if space < 0:
            break
        try:
            length = int(data[pos:space])
        except ValueError:
            break
        end = pos + length
        if length <= 0 or end > len(data) or data[end - 1 : end] != b"\n":
            break
        key, _, value = data[space + 1 : end - 1].partition(b"=")
        records[key.decode("utf-8", "replace")] = value.decode("utf-8", "surrogateescape")
        pos = end
    return records


def _member(
    fields: tuple[bytes, ...],
    flag: str,
    size: int,
    pax: dict[str, str],
    long_name: str | None,
    long_link: str | None,
) -> Member:
    name = _text(fields[0])
    magic = fields[9]
    if magic == b"ustar\0" and fields[15][:1] != b"\0":
        name = _text(fields[15]) + "/" + name
    if long_name is not None:
        name = long_name
    linkname = long_link if long_link is not None else _text(fields[8])
    uid = _number(fields[2], "uid")
    gid = _number(fields[3], "gid")
    if pax:
        name = pax.get("path", name)
        linkname = pax.get("linkpath", linkname)
        try:
            size = int(pax.get("size", size))
            uid = int(pax.get("uid", uid))
            gid = int(pax.get("gid", gid))
        except ValueError:
            raise TarProblem("corrupt", f"`{name}` has an unreadable pax number") from None
    kind = KIND.get(flag, "other")
    if kind == "file" and flag == "\0" and name.endswith("/"):
        kind = "dir"  # old tars mark directories only by the trailing slash
    return Member(name, kind, _number(fields[1], "mode") & 0o7777, uid, gid, size, linkname)
