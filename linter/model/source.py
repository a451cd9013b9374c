"""Source text with exact positions: line splitting, offsets and mapped (joined) text.

Positions inside the engine are 0-based lines and columns counted in Unicode code points,
with exclusive range ends. Only `\\n`, `\\r\\n` and `\\r` end a line, as LSP clients count them;
`str.splitlines()` would also split on form feeds and `\\u2028` and shift every later line.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Iterator, Sequence


@dataclass(frozen=True, slots=True, order=True)
class Pos:
    """A 0-based line and code-point column."""

    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.line + 1}:{self.col + 1}"


@dataclass(frozen=True, slots=True, order=True)
class Range:
    """A half-open span of source text: `start` inclusive, `end` exclusive."""

    start: Pos
    end: Pos

    @staticmethod
    def at(line: int, col: int, end_line: int, end_col: int) -> Range:
        return Range(Pos(line, col), Pos(end_line, end_col))

    @staticmethod
    def empty(pos: Pos) -> Range:
        return Range(pos, pos)

    def contains(self, pos: Pos) -> bool:
        return self.start <= pos < self.end or (self.start == self.end == pos)

    def union(self, other: Range) -> Range:
        return Range(min(self.start, other.start), max(self.end, other.end))


def split_lines(text: str) -> list[tuple[int, int, int]]:
    """Return `(start, content_end, next_start)` offsets for every line of `text`.

    A final line without terminator is included; text ending in a terminator gets an empty
    last line, the way editors show it.
    """
    lines: list[tuple[int, int, int]] = []
    start = 0
    n = len(text)
    find_n = text.find
    while True:
        nl = find_n("\n", start)
        cr = find_n("\r", start, nl if nl >= 0 else n)
        if cr >= 0:
            next_start = cr + 2 if cr + 1 < n and text[cr + 1] == "\n" else cr + 1
            lines.append((start, cr, next_start))
            start = next_start
        elif nl >= 0:
            lines.append((start, nl, nl + 1))
            start = nl + 1
        else:
            lines.append((start, n, n))
            return lines


class Source:
    """Text plus its line table; converts between offsets and positions."""

    __slots__ = ("text", "_lines", "_starts")

    def __init__(self, text: str) -> None:
        self.text = text
        self._lines = split_lines(text)
        self._starts = [start for start, _, _ in self._lines]

    @property
    def line_count(self) -> int:
        return len(self._lines)

    def line(self, index: int) -> str:
        """The text of line `index` without its terminator."""
        start, end, _ = self._lines[index]
        return self.text[start:end]

    def terminator(self, index: int) -> str:
        _, end, next_start = self._lines[index]
        return self.text[end:next_start]

    def line_start(self, index: int) -> int:
        return self._lines[index][0]

    def line_end(self, index: int) -> Pos:
        """The position just after the last character of line `index` (before its terminator)."""
        start, end, _ = self._lines[index]
        return Pos(index, end - start)

    def lines(self) -> Iterator[str]:
        for start, end, _ in self._lines:
            yield self.text[start:end]

    def offset(self, pos: Pos) -> int:
        if pos.line >= len(self._lines):
            return len(self.text)
        start, end, _ = self._lines[pos.line]
        return min(start + pos.col, end)

    def pos(self, offset: int) -> Pos:
        line = bisect.bisect_right(self._starts, offset) - 1
        start, end, next_start = self._lines[line]
        if offset > end and offset < next_start:
            offset = end  # inside a CRLF pair: snap to the line's end
        return Pos(line, offset - start)

    def slice(self, rng: Range) -> str:
        return self.text[self.offset(rng.start) : self.offset(rng.end)]

    def end(self) -> Pos:
        last = len(self._lines) - 1
        return self.line_end(last)

    def line_span(self, first: int, last: int) -> Range:
        """From the start of line `first` to the start of the line after `last` (terminators in)."""
        if last + 1 < len(self._lines):
            return Range(Pos(first, 0), Pos(last + 1, 0))
        return Range(Pos(first, 0), self.line_end(last))


def _first(piece: tuple[int, int]) -> int:
    return piece[0]


@dataclass(frozen=True, slots=True)
class MappedText:
    """Text assembled from pieces of a `Source` (continuation lines joined, comments dropped).

    `pieces` holds `(text_offset, source_offset)` for each contiguous chunk, in order; an offset
    inside the text maps back to the source by the chunk it falls in. Shell analysis and word
    splitting work on the joined text and report ranges in the file through `range()`.
    """

    text: str
    source: Source
    pieces: tuple[tuple[int, int], ...]

    def source_offset(self, text_offset: int) -> int:
        pieces = self.pieces
        if len(pieces) == 1 or text_offset < pieces[1][0]:  # most texts are one piece
            text_start, source_start = pieces[0]
        else:
            index = max(bisect.bisect_right(pieces, text_offset, key=_first) - 1, 0)
            text_start, source_start = pieces[index]
        return source_start + (text_offset - text_start)

    def pos(self, text_offset: int) -> Pos:
        return self.source.pos(self.source_offset(text_offset))

    def end_pos(self, text_offset: int) -> Pos:
        """The source position for an exclusive end offset (stays on the chunk it ends)."""
        if text_offset <= 0:
            return self.pos(0)
        return self.source.pos(self.source_offset(text_offset - 1) + 1)

    def range(self, start: int, end: int) -> Range:
        if end <= start:
            p = self.pos(start)
            return Range(p, p)
        return Range(self.pos(start), self.end_pos(end))

    def sub(self, start: int, end: int) -> MappedText:
        """The mapped text of `text[start:end]`, keeping the mapping."""
        pieces: list[tuple[int, int]] = []
        for i, (text_start, source_start) in enumerate(self.pieces):
            text_end = self.pieces[i + 1][0] if i + 1 < len(self.pieces) else len(self.text)
            if text_end <= start or text_start >= end:
                continue
            clip = max(text_start, start)
            pieces.append((clip - start, source_start + (clip - text_start)))
        if not pieces:
            pieces.append((0, self.source_offset(start)))
        return MappedText(self.text[start:end], self.source, tuple(pieces))

    @staticmethod
    def build(source: Source, spans: Sequence[tuple[int, int]]) -> MappedText:
        """Join the source slices `spans` (offset pairs) into one mapped text."""
        parts: list[str] = []
        pieces: list[tuple[int, int]] = []
        length = 0
        for start, end in spans:
            pieces.append((length, start))
            parts.append(source.text[start:end])
            length += end - start
        if not pieces:
            pieces.append((0, spans[0][0] if spans else 0))
        return MappedText("".join(parts), source, tuple(pieces))


def common_prefix(a: str, b: str) -> int:
    """The length of the longest common prefix of `a` and `b` (comparing halves in C)."""
    size = min(len(a), len(b))
    if a[:size] == b[:size]:
        return size
    low, high = 0, size  # a[:low] == b[:low]; they differ before `high`
    while high - low > 32:
        middle = (low + high) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle
    while low < high and a[low] == b[low]:
        low += 1
    return low
