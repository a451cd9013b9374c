"""The `daemon.json` model: strict JSON with the range of every key and value.

Python's `json` module gives no positions, so this is a small scanner of RFC 8259 JSON that
records where each member's key and value are. Malformed input becomes one `Problem` at the
place the scan stopped (the rest of the file is not guessed at). dockerd strips a leading UTF-8
BOM before decoding and accepts an empty file as an empty configuration
(moby `daemon/config/config.go`), so both are accepted here too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from docklint.model.source import Pos, Range, Source
from docklint.model.yaml_tree import Problem

MAX_CHARS = 1_000_000
MAX_DEPTH = 64
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')
_WHITESPACE = re.compile(r"[ \t\n\r]*")


@dataclass(frozen=True, slots=True, eq=False)
class JsonValue:
    """A JSON value: `kind` is object, array, string, number, true, false or null."""

    kind: str
    value: Any  # the Python value (dict/list for containers)
    range: Range
    start: int  # offsets into the text
    end: int
    members: tuple[Member, ...] = ()
    items: tuple[JsonValue, ...] = ()

    def get(self, key: str) -> JsonValue | None:
        found = self.member(key)
        return found.value if found is not None else None

    def member(self, key: str) -> Member | None:
        """The member named `key` (the last one when repeated, as Go's decoder reads it)."""
        found = None
        for member in self.members:
            if member.key == key:
                found = member
        return found


@dataclass(frozen=True, slots=True, eq=False)
class Member:
    key: str
    key_range: Range
    key_start: int
    value: JsonValue

    @property
    def range(self) -> Range:
        return Range(self.key_range.start, self.value.range.end)


@dataclass
class DaemonConfig:
    """A parsed `daemon.json`: the top-level object (None when the file is empty or invalid)."""

    path: str
    source: Source
    root: JsonValue | None = None
    problems: list[Problem] = field(default_factory=list)

    def get(self, key: str) -> JsonValue | None:
        return self.root.get(key) if self.root is not None else None

    def member(self, key: str) -> Member | None:
        return self.root.member(key) if self.root is not None else None

    @property
    def anchor(self) -> Range:
        """Where findings about a missing key go: the top-level object's opening brace."""
        if self.root is None:
            return Range(Pos(0, 0), Pos(0, 0))
        start = self.root.range.start
        return Range(start, Pos(start.line, start.col + 1))

    @property
    def newline(self) -> str:
        for index in range(self.source.line_count - 1):
            return self.source.terminator(index)
        return "\n"


class JsonError(Exception):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def parse(text: str, path: str = "daemon.json") -> DaemonConfig:
    """Parse `daemon.json` text; problems are recorded, never raised."""
    source = Source(text)
    model = DaemonConfig(path, source)
    if len(text) > MAX_CHARS:
        model.problems.append(Problem(f"the file is larger than {MAX_CHARS // 1_000_000} MB", Range(Pos(0, 0), Pos(0, 0))))
        return model
    start = 1 if text.startswith("\ufeff") else 0
    if not text[start:].strip(" \t\r\n"):
        return model
    scanner = _Scanner(text, source)
    try:
        root = scanner.document(start)
    except JsonError as error:
        at = source.pos(min(error.offset, len(text)))
        end = Pos(at.line, at.col + 1) if error.offset < len(text) and text[error.offset] not in "\r\n" else at
        model.problems.append(Problem(error.message, Range(at, end)))
        return model
    if root.kind != "object":
        model.problems.append(Problem(f"the top level of `daemon.json` must be an object, not {_article(root.kind)}", root.range))
        return model
    model.root = root
    return model


def _article(kind: str) -> str:
    return {"array": "an array", "string": "a string", "number": "a number"}.get(kind, f"`{kind}`")


class _Scanner:
    def __init__(self, text: str, source: Source) -> None:
        self.text = text
        self.source = source

    def document(self, start: int) -> JsonValue:
        pos = self._skip(start)
        value, pos = self.value(pos, 0)
        pos = self._skip(pos)
        if pos < len(self.text):
            raise JsonError("unexpected text after the JSON value", pos)
        return value

    def _skip(self, pos: int) -> int:
        match = _WHITESPACE.match(self.text, pos)
        return match.end() if match else pos

    def _make(self, kind: str, value: Any, start: int, end: int, **parts: Any) -> JsonValue:
        rng = Range(self.source.pos(start), self.source.pos(end))
        return JsonValue(kind, value, rng, start, end, **parts)

    def value(self, pos: int, depth: int) -> tuple[JsonValue, int]:
        if depth > MAX_DEPTH:
            raise JsonError(f"values are nested more than {MAX_DEPTH} levels deep", pos)
        text = self.text
        if pos >= len(text):
            raise JsonError("the file ends where a value was expected", pos)
        char = text[pos]
        if char == "{":
            return self._object(pos, depth)
        if char == "[":
            return self._array(pos, depth)
        if char == '"':
            value, end = self._string(pos)
            return self._make("string", value, pos, end), end
        for word, python in (("true", True), ("false", False), ("null", None)):
            if text.startswith(word, pos):
                return self._make(word, python, pos, pos + len(word)), pos + len(word)
        match = _NUMBER.match(text, pos)
        if match and match.end() > pos:
            return self._make("number", json.loads(match.group()), pos, match.end()), match.end()
        raise JsonError(f"unexpected `{char}` where a value was expected", pos)

    def _string(self, pos: int) -> tuple[str, int]:
        match = _STRING.match(self.text, pos)
        if match is None:
            raise JsonError("a string is not terminated or holds an invalid escape or control character", pos)
        return str(json.loads(match.group())), match.end()

    def _object(self, start: int, depth: int) -> tuple[JsonValue, int]:
        text = self.text
        members: list[Member] = []
        pos = self._skip(start + 1)
        if pos < len(text) and text[pos] == "}":
            return self._make("object", {}, start, pos + 1), pos + 1
        while True:
            if pos >= len(text) or text[pos] != '"':
                raise JsonError("expected a key in double quotes", pos)
            key, key_end = self._string(pos)
            key_range = Range(self.source.pos(pos), self.source.pos(key_end))
            colon = self._skip(key_end)
            if colon >= len(text) or text[colon] != ":":
                raise JsonError(f"expected `:` after the key `{key}`", colon)
            value, after = self.value(self._skip(colon + 1), depth + 1)
            members.append(Member(key, key_range, pos, value))
            pos = self._skip(after)
            if pos < len(text) and text[pos] == ",":
                pos = self._skip(pos + 1)
                continue
            if pos < len(text) and text[pos] == "}":
                break
            raise JsonError("expected `,` or `}` after a member", pos)
        python = {m.key: m.value.value for m in members}
        return self._make("object", python, start, pos + 1, members=tuple(members)), pos + 1

    def _array(self, start: int, depth: int) -> tuple[JsonValue, int]:
        text = self.text
        items: list[JsonValue] = []
        pos = self._skip(start + 1)
        if pos < len(text) and text[pos] == "]":
            return self._make("array", [], start, pos + 1), pos + 1
        while True:
            item, after = self.value(pos, depth + 1)
            items.append(item)
            pos = self._skip(after)
            if pos < len(text) and text[pos] == ",":
                pos = self._skip(pos + 1)
                continue
            if pos < len(text) and text[pos] == "]":
                break
            raise JsonError("expected `,` or `]` after an item", pos)
        return self._make("array", [i.value for i in items], start, pos + 1, items=tuple(items)), pos + 1
