"""Writing files safely: `--output` reports and `--fix` results, atomically and never over news.

A write goes to a temporary file in the target's folder (same file system, so the rename is
atomic), is flushed to disk, takes the old file's permission bits, and replaces the target with
`os.replace`. Readers see the old file or the new one, never half of either. `--fix` also passes
the `Snapshot` taken when it read the file: when the file changed since (an editor saved, a
formatter ran), nothing is written.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from docklint.errors import DlintError


class WriteError(DlintError):
    """A file could not be written (or was left alone because it changed on disk)."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a file was when read: compared again right before it is replaced."""

    mtime_ns: int
    size: int
    digest: str


def read_with_snapshot(path: Path) -> tuple[bytes, Snapshot]:
    """The file's bytes and a snapshot of it, from one open file (no race between the two)."""
    with open(path, "rb") as handle:
        info = os.fstat(handle.fileno())
        data = handle.read()
    return data, Snapshot(info.st_mtime_ns, len(data), hashlib.sha256(data).hexdigest())


def unchanged(path: Path, expected: Snapshot) -> bool:
    """Whether `path` still has the size, modification time and content it had when read."""
    try:
        info = os.stat(path)
        if info.st_size != expected.size or info.st_mtime_ns != expected.mtime_ns:
            return False
        return hashlib.sha256(path.read_bytes()).hexdigest() == expected.digest
    except OSError:
        return False


def write_atomic(path: Path, data: bytes, expected: Snapshot | None = None) -> None:
    """Replace `path` with `data` atomically, keeping its mode; raises `WriteError`.

    With `expected`, the file must still match it or nothing is written.
    """
    target = Path(os.path.realpath(path))  # replace the file a symlink points to, keep the link
    folder = target.parent
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = _default_mode()
    except OSError as error:
        raise WriteError(f"{path}: cannot write: {error.strerror or error}") from None
    import tempfile

    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".dlint-tmp", dir=folder)
    except OSError as error:
        raise WriteError(f"{path}: cannot write in {folder}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.chmod(temp_name, mode)
        if expected is not None and not unchanged(target, expected):
            raise WriteError(f"{path}: changed on disk while dlint was fixing it; not written")
        os.replace(temp_name, target)
    except BaseException as error:
        _remove(temp_name)
        if isinstance(error, OSError):
            raise WriteError(f"{path}: cannot write: {error.strerror or error}") from None
        raise


def _default_mode() -> int:
    """Permission bits a new file gets under the process umask (mkstemp alone gives 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _remove(name: str) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass
