"""The build context on disk: what a COPY or ADD with local sources would copy.

When a Dockerfile is linted from disk, its folder is taken as the build context (what
`docker build .` next to it sends). This module reads that folder, bounded and read-only:
`.dockerignore` (or `<Dockerfile>.dockerignore` next to the Dockerfile, which BuildKit prefers),
the files a source names (wildcards as in Go's `filepath.Match`, folders copied whole), minus
ignored and `--exclude`d paths. Symbolic links are listed but never followed, nothing outside
the context is read, the walk stops after `MAX_ENTRIES` entries and file reads are capped.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

from docklint.dockerignore import Matcher, clean

if TYPE_CHECKING:
    from docklint.model.dockerfile import Dockerfile

MAX_ENTRIES = 20_000  # files and folders listed per context
MAX_DEPTH = 32
MAX_READ = 256 * 1024  # bytes read from one file
MAX_KEPT_TEXT = 4 * 1024 * 1024  # characters of file texts one context keeps
WILDCARD = re.compile(r"[*?\[]")
_DOCKERFILE_NAME = re.compile(r"(^|[._-])(dockerfile|containerfile)([._-]|$)|\.dockerignore$|\.containerignore$")


@dataclass(frozen=True, slots=True)
class Entry:
    """A file or folder in the context: slash path relative to the root."""

    path: str
    is_dir: bool
    is_link: bool
    size: int


@dataclass
class Resolution:
    """What one COPY/ADD source names in the context."""

    source: str  # as written (after variable expansion)
    exists: bool  # something in the context matches, ignored or not
    copied: list[Entry] = field(default_factory=list)  # files that would land in the image
    ignored: bool = False  # the source itself is excluded by the ignore file
    truncated: bool = False  # the walk hit MAX_ENTRIES


class BuildContext:
    """A build-context folder, read lazily and cached; one per linted Dockerfile."""

    def __init__(self, root: Path, dockerfile_name: str = "Dockerfile") -> None:
        self.root = root
        self._plain: dict[str, bool] = {}
        # Texts read, as listings are: the language server keeps a context for a few seconds
        # and lints again on every keystroke, which would re-read the same key files each time.
        self._texts: dict[tuple[str, int], str | None] = {}
        self._text_chars = 0
        self.ignore_file: str | None = None
        self.matcher = Matcher(())
        for name in (f"{dockerfile_name}.dockerignore", ".dockerignore"):
            text = self.read_text(name)
            if text is not None:
                self.ignore_file = name
                self.matcher = Matcher.from_text(text, name)
                break
        self._listing: dict[str, list[Entry] | None] = {}
        self._walked: dict[str, tuple[list[Entry], bool]] = {}
        self._budget = MAX_ENTRIES

    # -- reading, bounded ---------------------------------------------------------------------

    def _inside(self, rel: str) -> Path | None:
        """The path of `rel` if it stays inside the context and no parent folder is a link."""
        rel = clean(rel)
        if rel == ".":
            return self.root
        parts = rel.split("/")
        if any(part in ("", ".", "..") for part in parts):
            return None
        parent = "/".join(parts[:-1])
        if parent and not self._is_plain_dir(parent):
            return None  # never follow a link out of (or around) the context
        return self.root.joinpath(*parts)

    def stat(self, rel: str) -> Entry | None:
        path = self._inside(rel)
        if path is None:
            return None
        try:
            info = path.lstat()
        except OSError:
            return None
        return Entry(clean(rel), stat.S_ISDIR(info.st_mode), stat.S_ISLNK(info.st_mode), info.st_size)

    def _is_plain_dir(self, rel: str) -> bool:
        """Whether `rel` and every folder above it are real folders (not links); cached."""
        known = self._plain.get(rel)
        if known is not None:
            return known
        parent, _, _name = rel.rpartition("/")
        entry = self._lstat(rel)
        plain = (not parent or self._is_plain_dir(parent)) and entry is not None and entry.is_dir and not entry.is_link
        self._plain[rel] = plain
        return plain

    def _lstat(self, rel: str) -> Entry | None:
        try:
            info = (self.root / rel).lstat()
        except OSError:
            return None
        return Entry(rel, stat.S_ISDIR(info.st_mode), stat.S_ISLNK(info.st_mode), info.st_size)

    def read_text(self, rel: str, limit: int = MAX_READ) -> str | None:
        """A small regular file's text (None: missing, a link, a folder, binary or too big;
        cached, up to `MAX_KEPT_TEXT` characters in all)."""
        key = (rel, limit)
        if key in self._texts:
            return self._texts[key]
        text = self._read_text(rel, limit)
        if self._text_chars + len(text or "") <= MAX_KEPT_TEXT:
            self._texts[key] = text
            self._text_chars += len(text or "")
        return text

    def _read_text(self, rel: str, limit: int) -> str | None:
        path = self._inside(rel)
        if path is None:
            return None
        try:
            info = path.lstat()
            if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
                return None
            with path.open("rb") as handle:
                data = handle.read(limit + 1)
        except OSError:
            return None
        if b"\x00" in data[:8192]:
            return None
        return data.decode("utf-8", errors="replace")

    def listdir(self, rel: str) -> list[Entry]:
        """Entries directly inside folder `rel` (cached; empty when it is not a plain folder)."""
        rel = clean(rel)
        if rel in self._listing:
            return self._listing[rel] or []
        entries: list[Entry] | None = None
        path = self._inside(rel)
        if path is not None and (rel == "." or self._is_plain_dir(rel)):
            try:
                with os.scandir(path) as scan:  # type: ignore[arg-type]
                    entries = []
                    for item in scan:
                        if self._budget <= 0:
                            break
                        self._budget -= 1
                        child = item.name if rel == "." else f"{rel}/{item.name}"
                        info = item.stat(follow_symlinks=False)
                        is_link = stat.S_ISLNK(info.st_mode)
                        entries.append(Entry(child, stat.S_ISDIR(info.st_mode), is_link, info.st_size))
                    entries.sort(key=lambda e: e.path)
            except OSError:
                entries = None
        self._listing[rel] = entries
        return entries or []

    def walk(self, rel: str) -> tuple[list[Entry], bool]:
        """Every file below folder `rel` that the ignore file keeps, and whether the walk was cut."""
        rel = clean(rel)
        if rel in self._walked:
            return self._walked[rel]
        files: list[Entry] = []
        stack = [(rel, 0)]
        while stack:
            folder, depth = stack.pop()
            for entry in self.listdir(folder):
                if self.matcher.matches(entry.path):
                    if entry.is_dir and not entry.is_link and self.matcher.may_reinclude_below(entry.path):
                        stack.append((entry.path, depth + 1))
                    continue
                if entry.is_dir and not entry.is_link:
                    files.append(entry)
                    if depth < MAX_DEPTH:
                        stack.append((entry.path, depth + 1))
                else:
                    files.append(entry)
        result = (sorted(files, key=lambda e: e.path), self._budget <= 0)
        self._walked[rel] = result
        return result

    # -- COPY sources ---------------------------------------------------------------------------

    def glob(self, pattern: str) -> list[Entry]:
        """Context entries matching a COPY source with wildcards (each segment as filepath.Match)."""
        parts = clean(pattern).split("/")
        current = ["."]
        for part in parts:
            matched: list[str] = []
            for folder in current:
                if WILDCARD.search(part):
                    regex = _segment_regex(part)
                    matched.extend(e.path for e in self.listdir(folder) if regex.fullmatch(posixpath.basename(e.path)))
                else:
                    candidate = part if folder == "." else f"{folder}/{part}"
                    if self.stat(candidate) is not None:
                        matched.append(candidate)
            current = matched
        return [entry for entry in (self.stat(p) for p in current) if entry is not None]

    def holds_more_than_dockerfiles(self) -> bool:
        """Whether the folder has anything besides Dockerfiles and docs: a sign it is a build
        context, not a folder of Dockerfiles built with a context elsewhere."""
        for entry in self.listdir("."):
            name = entry.path.lower()
            if entry.is_dir or entry.is_link:
                continue  # folders may just hold more Dockerfiles
            if not _DOCKERFILE_NAME.search(name) and not name.endswith((".md", ".txt", ".rst")):
                return True
        return False

    def exists(self, source: str) -> bool:
        """Whether a COPY source names anything in the context (ignored or not), without walking."""
        rel = clean(source)
        return bool(self.glob(rel)) if WILDCARD.search(rel) else self.stat(rel) is not None

    def resolve(self, source: str, excludes: Sequence[str] = ()) -> Resolution:
        """What `COPY <source> ...` would take from this context."""
        rel = clean(source)
        result = Resolution(source=source, exists=False)
        roots = self.glob(rel) if WILDCARD.search(rel) else [e for e in [self.stat(rel)] if e is not None]
        result.exists = bool(roots)
        result.ignored = bool(roots) and all(self.matcher.matches(e.path) for e in roots)
        exclude = Matcher.from_patterns(list(excludes)) if excludes else None
        for entry in roots:
            if entry.is_dir and not entry.is_link:
                below, cut = self.walk(entry.path)
                result.truncated = result.truncated or cut
                base = entry.path
                for item in below:
                    inner = item.path[len(base) + 1 :] if base != "." else item.path
                    if exclude is None or not (exclude.matches(inner) or exclude.matches(item.path)):
                        result.copied.append(item)
            elif not self.matcher.matches(entry.path):
                if exclude is None or not exclude.matches(entry.path):
                    result.copied.append(entry)
        return result

    def files(self, entries: Sequence[Entry]) -> Iterator[Entry]:
        return (e for e in entries if not e.is_dir)


def _segment_regex(segment: str) -> re.Pattern[str]:
    from docklint.dockerignore import _compile

    return _compile(segment) or re.compile(r"(?!)")


def context_of(df: Dockerfile) -> BuildContext | None:
    """The build context for a Dockerfile linted from disk (cached on the model), else None."""
    if df.context_dir is None:
        return None
    key = "build-context"
    if key not in df._cache:
        df._cache[key] = _context(df.context_dir, posixpath.basename(df.path) or "Dockerfile")
    return df._cache[key]  # type: ignore[return-value]


# The language server lints a Dockerfile again on every keystroke, and reading its context each
# time (listing up to MAX_ENTRIES entries for `COPY . .`, reading the ignore file and key files)
# would cost more than the lint; it keeps each context for a few seconds (`keep_contexts`), so a
# file added to the context shows within that time. The command line keeps none: a run sees the
# files as they are when it reads them.
_keep_seconds = 0.0
_kept: dict[tuple[str, str], tuple[float, BuildContext | None]] = {}
_KEPT_MAX = 16


def keep_contexts(seconds: float) -> None:
    """Reuse a build context read less than `seconds` ago (0: never; the default)."""
    global _keep_seconds
    _keep_seconds = seconds
    _kept.clear()


def _context(directory: str, dockerfile_name: str) -> BuildContext | None:
    if _keep_seconds <= 0:
        return _read_context(directory, dockerfile_name)
    key = (directory, dockerfile_name)
    now = time.monotonic()
    kept = _kept.get(key)
    if kept is not None and now - kept[0] < _keep_seconds:
        return kept[1]
    context = _read_context(directory, dockerfile_name)
    if len(_kept) >= _KEPT_MAX:
        _kept.pop(min(_kept, key=lambda k: _kept[k][0]))
    _kept[key] = (now, context)
    return context


def _read_context(directory: str, dockerfile_name: str) -> BuildContext | None:
    root = Path(directory)
    return BuildContext(root, dockerfile_name) if root.is_dir() else None
