"""Finding the files to lint: the Dockerfile, compose and `daemon.json` names real projects
use (`kinds.py`), searched in folders.

Order is deterministic: the paths given on the command line in their order, and inside each
folder the files sorted by their path relative to it (byte order of the POSIX form), so output
never depends on the file system's listing order.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator, Sequence

# Names a folder search picks up (case-sensitive, as Docker resolves `-f` names on Linux).
DOCKERFILE_PATTERNS = (
    "Dockerfile",
    "Containerfile",
    "*.Dockerfile",
    "*.dockerfile",
    "*.containerfile",
    "*.Containerfile",
    "Dockerfile.*",
    "Dockerfile-*",
    "Dockerfile_*",
    "Containerfile.*",
)
# Folders never searched: version control, dependency trees and virtual environments.
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "__pycache__", ".tox"})
# Names that match a pattern above but are not Dockerfiles (backups, patches, docs).
NOT_DOCKERFILE_SUFFIXES = (".orig", ".rej", ".swp", ".bak", "~", ".md", ".txt", ".patch", ".diff")


@dataclass(frozen=True, slots=True)
class Target:
    """One file to lint: where it is and the name to print for it."""

    path: Path
    display: str


def is_dockerfile_name(name: str) -> bool:
    """Whether a file called `name` is a Dockerfile by the naming conventions above."""
    if name.endswith(NOT_DOCKERFILE_SUFFIXES):
        return False
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in DOCKERFILE_PATTERNS)


class Excluder:
    """`--exclude` globs: a glob matches a path, any trailing part of it, or a folder name.

    `vendor` skips every folder called `vendor`; `*.bad` every file ending so; `ci/*.Dockerfile`
    the matching files of any `ci` folder. Paths are compared in POSIX form.
    """

    def __init__(self, globs: Iterable[str]) -> None:
        self.globs = tuple(g.strip().rstrip("/").removeprefix("./") for g in globs if g.strip())

    def __bool__(self) -> bool:
        return bool(self.globs)

    def excludes(self, path: str | PurePosixPath) -> bool:
        if not self.globs:
            return False
        parts = [p for p in PurePosixPath(path).parts if p not in ("/", ".")]
        candidates = ["/".join(parts[i:]) for i in range(len(parts))] + parts[:-1]
        return any(fnmatch.fnmatchcase(c, g) for g in self.globs for c in candidates)


def discover(paths: Sequence[str], excluder: Excluder) -> Iterator[Target]:
    """The files to lint for the command-line `paths` (folders are searched, files kept).

    Explicitly named files are linted whatever their name; a name that does not exist is still
    yielded so that the reader reports it. Excluded paths are never linted, named or found.
    """
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found: Iterable[Target] = _walk(path, raw, excluder)
        else:
            found = () if excluder.excludes(_posix(raw)) else (Target(path, _display(raw)),)
        for target in found:
            key = Path(os.path.abspath(target.path))
            if key not in seen:
                seen.add(key)
                yield target


def _walk(root: Path, raw: str, excluder: Excluder) -> list[Target]:
    """Every Dockerfile, compose file and `daemon.json` under `root`, sorted by relative path;
    links to folders are not followed."""
    from docklint.kinds import kind_of

    found: list[tuple[str, Path]] = []
    for folder, dirs, files in os.walk(root, onerror=None, followlinks=False):
        relative = PurePosixPath(Path(folder).relative_to(root).as_posix())
        dirs[:] = [
            d for d in dirs if d not in SKIPPED_DIRS and not excluder.excludes(relative / d)
        ]
        for name in files:
            if kind_of(name) is None:
                continue
            rel = relative / name
            if excluder.excludes(rel):
                continue
            found.append((str(rel).removeprefix("./"), Path(folder) / name))
    found.sort(key=lambda item: item[0].encode("utf-8", "surrogateescape"))
    return [Target(path, _display(os.path.join(raw, rel))) for rel, path in found]


def _posix(raw: str) -> PurePosixPath:
    return PurePosixPath(Path(raw).as_posix())


def _display(raw: str) -> str:
    """The path as printed: relative paths stay relative and lose a leading `./`."""
    text = os.path.normpath(raw)
    return text.replace(os.sep, "/") if os.sep != "/" else text
