"""Open documents: their text and version, incremental edits, and which linter each one gets.

The server keeps its own copy of each open document instead of pygls' `TextDocument`, which
splits lines with `str.splitlines()` (so a form feed or `\\u2028` shifts every later line away
from the editor's numbering) and clamps an edit past the end of the last line one character
short. Lines here end only at `\\n`, `\\r\\n` and `\\r`, as LSP clients count them.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from typing import Iterator, Sequence
from urllib.parse import unquote, urlparse

from lsprotocol import types

from docklint.lsp.convert import Positions
from docklint.model.source import Source

# Language ids editors use, by the kind of rules that apply (see `docklint.rule.KINDS`).
LANGUAGE_IDS = {
    "dockerfile": "dockerfile",
    "containerfile": "dockerfile",
    "dockercompose": "compose",
}
# File names by kind, matched case-insensitively on the base name: the names real projects
# use (every Dockerfile name in the shared corpus matches one of these).
FILE_NAMES = {
    "dockerfile": (
        "dockerfile", "containerfile", "*.dockerfile", "*.containerfile", "dockerfile.*",
        "dockerfile-*", "dockerfile_*", "containerfile.*",
    ),
    "compose": ("compose*.yml", "compose*.yaml", "docker-compose*.yml", "docker-compose*.yaml"),
    "daemon": ("daemon.json",),
}  # fmt: skip


def uri_to_path(uri: str) -> str | None:
    """The file-system path of a `file:` URI, or None for other schemes (`untitled:`...)."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    path = unquote(parsed.path)
    if os.name == "nt" and len(path) > 2 and path[0] == "/" and path[2] == ":":
        path = path[1:]  # file:///C:/x -> C:/x
    return path


def kind_by_name(name: str) -> str | None:
    """The rule kind a file name suggests (`dockerfile`, `compose`, `daemon`), or None."""
    lowered = name.lower()
    for kind, patterns in FILE_NAMES.items():
        if any(fnmatch.fnmatchcase(lowered, pattern) for pattern in patterns):
            return kind
    return None


def document_kind(uri: str, language_id: str | None) -> str | None:
    """Which kind of rules a document gets: by language id first, then by file name."""
    by_language = LANGUAGE_IDS.get((language_id or "").lower())
    if by_language is not None:
        return by_language
    name = urlparse(uri).path.rsplit("/", 1)[-1]
    return kind_by_name(unquote(name))


@dataclass(slots=True)
class Document:
    """One open document. `text` is replaced (never mutated) on each change."""

    uri: str
    text: str
    version: int | None
    language_id: str
    kind: str | None
    path: str | None = None
    _lines: Source | None = field(default=None, repr=False)  # for `text`, built on demand

    @property
    def source(self) -> Source:
        if self._lines is None or self._lines.text is not self.text:
            self._lines = Source(self.text)
        return self._lines

    def adopt(self, source: Source) -> None:
        """Use `source` (the line table a lint built) if it is of this very text: the next
        change maps its positions through it instead of splitting the lines again."""
        if source.text is self.text and (self._lines is None or self._lines.text is not self.text):
            self._lines = source

    @property
    def directory(self) -> str | None:
        return os.path.dirname(self.path) if self.path else None

    @property
    def display_path(self) -> str:
        if self.path:
            return self.path
        return urlparse(self.uri).path.rsplit("/", 1)[-1] or "Dockerfile"


class DocumentStore:
    """The open documents by URI."""

    def __init__(self) -> None:
        self._documents: dict[str, Document] = {}

    def __iter__(self) -> Iterator[Document]:
        return iter(list(self._documents.values()))

    def get(self, uri: str) -> Document | None:
        return self._documents.get(uri)

    def open(self, item: types.TextDocumentItem) -> Document:
        document = Document(
            uri=item.uri,
            text=item.text,
            version=item.version,
            language_id=item.language_id,
            kind=document_kind(item.uri, item.language_id),
            path=uri_to_path(item.uri),
        )
        self._documents[item.uri] = document
        return document

    def change(
        self,
        identifier: types.VersionedTextDocumentIdentifier,
        changes: Sequence[types.TextDocumentContentChangeEvent],
        encoding: str,
    ) -> Document | None:
        """Apply content changes in order (ranges in the client's `encoding`)."""
        document = self._documents.get(identifier.uri)
        if document is None:
            return None
        for change in changes:
            if isinstance(change, types.TextDocumentContentChangePartial):
                positions = Positions(document.source, encoding)
                start = positions.offset(change.range.start)
                end = positions.offset(change.range.end)
                if end < start:
                    start, end = end, start
                document.text = document.text[:start] + change.text + document.text[end:]
            else:
                document.text = change.text
        document.version = identifier.version
        return document

    def close(self, uri: str) -> Document | None:
        return self._documents.pop(uri, None)

