"""Scanning one layer blob in a single pass: its members, whiteouts, unsafe entries, the
contents rules need (account files, os-release, sudoers) and secrets in text files.

The blob is read once, front to back: `RawBlob` hashes the stored bytes (the blob digest), the
decoder hashes the tar stream (the diff_id), and `TarWalker` walks the members. Nothing is
written anywhere and no member is held in memory beyond the small files read on purpose.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from docklint.model.imagefs.stream import Budget, Decoded, RawBlob, ReadProblem, Source, open_decoded
from docklint.model.imagefs.tarstream import TarProblem, TarWalker

if TYPE_CHECKING:
    from docklint.secrets import SecretHit

MAX_SPECIAL = 1 << 20  # account files, os-release and sudoers larger than this are not read
# Files whose contents rules read, wherever secret scanning stands.
SPECIAL_FILES = frozenset(
    {
        "/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow", "/etc/master.passwd", "/etc/os-release",
        "/usr/lib/os-release", "/etc/alpine-release", "/etc/debian_version", "/etc/sudoers",
    }
)  # fmt: skip
SPECIAL_DIRS = ("/etc/sudoers.d/",)
SPECIAL_NAMES = frozenset({".npmrc", ".pypirc", ".netrc", ".git-credentials", "config.json"})


@dataclass(frozen=True, slots=True)
class Problem:
    """Something unsafe or broken in an archive (IM213's facts); `layer` is set for layer problems."""

    kind: str  # absolute, traversal, device, fifo, link-escape, hardlink-missing, symlink-loop,
    #            bomb, truncated, corrupt, digest-mismatch, size-mismatch
    message: str
    path: str | None = None
    layer: int | None = None


@dataclass(slots=True)
class Entry:
    """One member of one layer, its name normalised to an absolute path inside the image."""

    path: str
    kind: str  # file, dir, symlink, hardlink, char, block, fifo, other, whiteout, opaque
    mode: int
    uid: int
    gid: int
    size: int
    link: str  # symlink target as stored, or the normalised hard-link target path


@dataclass
class ScanOptions:
    """What to read beyond the members' headers."""

    budget: Budget
    secrets: bool = True
    secret_max_size: int = 1 << 20
    secret_skip: Callable[[str], bool] | None = None  # paths never scanned for secrets
    content_digests: bool = False  # sha256 of every regular file (duplicate-content rule)


@dataclass
class LayerScan:
    """What one pass over a layer blob found."""

    entries: list[Entry] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, tuple[SecretHit, ...]] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    blob_digest: str = ""
    diff_id: str | None = None  # None when the layer could not be read to its end
    stored_size: int = 0  # bytes of the blob as stored (compressed)
    tar_size: int = 0  # bytes of the uncompressed tar stream
    files_size: int = 0  # bytes of regular-file data (what `docker history` and dive call size)
    compression: str = "none"
    complete: bool = True
    is_tar: bool = True
    scanned_files: int = 0
    scanned_bytes: int = 0


def scan_layer(source: Source, size: int | None, options: ScanOptions, algorithm: str = "sha256") -> LayerScan:
    """Read one layer blob from `source` (exactly `size` bytes when known) in one pass."""
    raw = RawBlob(source, size, algorithm)
    head = raw.peek(8)
    decoded = open_decoded(raw, head, options.budget)
    scan = LayerScan(compression=decoded.compression)
    walker = TarWalker(decoded)
    try:
        _walk(walker, scan, options)
        decoded.drain()
    except (TarProblem, ReadProblem) as problem:
        scan.complete = False
        if walker.count == 0 and isinstance(problem, TarProblem) and problem.kind == "corrupt":
            scan.is_tar = False
        scan.problems.append(Problem(problem.kind, str(problem)))
        raw.drain()
    if raw.short:
        scan.complete = False
        scan.problems.append(Problem("truncated", f"the blob ends after {raw.count} of {raw.size} bytes (truncated archive)"))
    scan.blob_digest = raw.digest()
    scan.stored_size = raw.count
    scan.tar_size = decoded.total
    if scan.complete:
        scan.diff_id = decoded.diff_id()
    return scan


def _walk(walker: TarWalker, scan: LayerScan, options: ScanOptions) -> None:
    entries = scan.entries
    problems = scan.problems
    for member in walker:
        path, issue = normalise(member.name)
        if path is None:
            problems.append(Problem("traversal", f"`{member.name}` climbs out of the image root with `..`", member.name))
            continue
        if issue is not None:
            problems.append(_name_problem(issue, member.name, path))
        if path == "/":
            continue
        parent, _, base = path.rpartition("/")
        if base.startswith(".wh."):
            if base == ".wh..wh..opq":
                entries.append(Entry(parent or "/", "opaque", 0, 0, 0, 0, ""))
            elif not base.startswith(".wh..wh."):  # other `.wh..wh.` names are AUFS bookkeeping
                entries.append(Entry(f"{parent}/{base[4:]}", "whiteout", 0, 0, 0, 0, ""))
            continue
        kind = member.kind
        link = member.linkname
        if kind in ("char", "block", "fifo"):
            problems.append(_node_problem(kind, path))
        elif kind == "symlink" and escapes(path, link):
            problems.append(Problem("link-escape", f"symbolic link `{path}` points outside the image root (`{link}`)", path))
        elif kind == "hardlink":
            target, target_issue = normalise(link)
            if target is None or target_issue == "traversal":
                problems.append(Problem("link-escape", f"hard link `{path}` points outside the image root (`{link}`)", path))
                continue
            link = target
        entries.append(Entry(path, kind, member.mode, member.uid, member.gid, member.size, link))
        if kind == "file" and member.size:
            scan.files_size += member.size
            _contents(walker, scan, options, path, base, member.size)


def _contents(walker: TarWalker, scan: LayerScan, options: ScanOptions, path: str, base: str, size: int) -> None:
    """Read the member's data if a rule needs it; otherwise leave it to be skipped (or digest it)."""
    special = size <= MAX_SPECIAL and (
        path in SPECIAL_FILES or base in SPECIAL_NAMES or path.startswith(SPECIAL_DIRS)
    )
    secret = (
        options.secrets
        and size <= options.secret_max_size
        and not _binary_name(base)
        and not (options.secret_skip is not None and options.secret_skip(path))
    )
    if not (special or secret):
        if options.content_digests:
            hasher = hashlib.sha256()
            walker.skip(hasher.update)
            scan.digests[path] = hasher.hexdigest()
        return
    data = walker.read()
    if options.content_digests:
        scan.digests[path] = hashlib.sha256(data).hexdigest()
    if special:
        scan.texts[path] = data.decode("utf-8", "replace")
    if secret:
        from docklint.model.imagefs.secretscan import scan_file

        scan.scanned_files += 1
        scan.scanned_bytes += size
        hits = scan_file(path, data)
        if hits:
            scan.secrets[path] = hits


def _binary_name(base: str) -> bool:
    from docklint.model.imagefs.secretscan import is_binary_name

    return is_binary_name(base)


def normalise(name: str) -> tuple[str | None, str | None]:
    """The absolute path a member name lands on, and what was odd about the name.

    `./etc/passwd` and `etc/passwd` give `/etc/passwd`. An absolute name is taken relative to
    the root (as Docker and containerd apply layers) and flagged `absolute`; a name with `..`
    components is flagged `traversal`, and gives None when it climbs above the root.
    """
    if name.startswith("./"):
        name = name[2:]
    if not name.startswith("/") and ".." not in name and "//" not in name and "/./" not in name:
        return "/" + name.rstrip("/"), None
    issue = "absolute" if name.startswith("/") else None
    parts: list[str] = []
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            issue = "traversal"
            if not parts:
                return None, issue
            parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts), issue


def escapes(path: str, target: str) -> bool:
    """Whether a relative symlink target climbs above the root from the link's folder."""
    if not target or target.startswith("/") or ".." not in target:
        return False
    depth = path.count("/") - 1  # folders between the root and the link
    for part in target.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


def _name_problem(issue: str, name: str, path: str) -> Problem:
    if issue == "absolute":
        return Problem("absolute", f"member name `{name}` is an absolute path (applied as `{path}`)", path)
    return Problem("traversal", f"member name `{name}` uses `..` (resolves to `{path}`)", path)


def _node_problem(kind: str, path: str) -> Problem:
    if kind == "fifo":
        return Problem("fifo", f"`{path}` is a named pipe (FIFO); image layers have no use for one", path)
    what = "character" if kind == "char" else "block"
    return Problem("device", f"`{path}` is a {what} device node; a container gets its devices from the runtime", path)


def sniff_tar(head: bytes) -> bool:
    """Whether the first 512 bytes look like a tar stream (ustar magic, or an empty archive)."""
    return len(head) >= 512 and (head[257:262] == b"ustar" or head[:512] == bytes(512) or _v7(head))


_OCTAL = re.compile(rb"^[0-7 \0]+$")


def _v7(head: bytes) -> bool:
    field = head[148:156]
    if not _OCTAL.match(field) or not field.strip(b" \0"):
        return False
    try:
        stored = int(field.strip(b" \0"), 8)
    except ValueError:
        return False
    return stored == sum(head[:148]) + sum(head[156:512]) + 8 * 32


__all__ = ["Entry", "LayerScan", "Problem", "ScanOptions", "scan_layer", "normalise", "escapes", "sniff_tar", "Decoded"]
