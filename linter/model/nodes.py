"""The pieces of a parsed Dockerfile: instructions, flags, words, heredocs, comments, stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from docklint.model.source import MappedText, Pos, Range


class Word:
    """A whitespace-separated argument word: `raw` as written, `value` with quotes removed.

    The file range is computed on first use: most words of a file are never reported, and
    mapping every one back through the continuation lines was a third of the parse time.
    """

    __slots__ = ("raw", "value", "_range", "_text", "_start", "_end")

    def __init__(self, raw: str, value: str, range: Range | None = None) -> None:  # noqa: A002
        self.raw = raw
        self.value = value
        self._range = range
        self._text: MappedText | None = None
        self._start = self._end = 0

    @staticmethod
    def lazy(raw: str, value: str, text: MappedText, start: int, end: int) -> Word:
        """A word whose range is `text.range(start, end)`, computed when first asked for."""
        word = Word(raw, value)
        word._text, word._start, word._end = text, start, end
        return word

    @property
    def range(self) -> Range:
        if self._range is None:
            assert self._text is not None
            self._range = self._text.range(self._start, self._end)
        return self._range

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Word) and (self.raw, self.value, self.range) == (other.raw, other.value, other.range)

    def __hash__(self) -> int:
        return hash((self.raw, self.value))

    def __repr__(self) -> str:
        return f"Word({self.raw!r}, {self.value!r})"


@dataclass(frozen=True, slots=True)
class Flag:
    """An instruction flag such as `--from=build`; `value` is None for a bare `--link`."""

    name: str
    value: str | None
    range: Range
    name_range: Range
    value_range: Range | None


@dataclass(frozen=True, slots=True)
class Heredoc:
    """A here-document of RUN/COPY/ADD: the `<<EOF` marker and the body lines below it."""

    delimiter: str
    quoted: bool  # `<<"EOF"` / `<<'EOF'`: no variable expansion in the body
    strip_tabs: bool  # `<<-EOF`
    marker_range: Range
    body: MappedText  # the body text (lines between marker line and terminator, newlines kept)
    body_range: Range
    end_range: Range | None  # the terminator line; None when unterminated

    @property
    def interpreter(self) -> str | None:
        """For `RUN <<EOF`, the shebang of the body, if any."""
        first = self.body.text.split("\n", 1)[0]
        return first[2:].strip() if first.startswith("#!") else None


class KeyValue:
    """One `key=value` (or legacy `key value`) pair of ENV, ARG or LABEL. Read-only.

    `key` and `value` (unquoted; None for `ARG NAME` without default) are plain attributes;
    the ranges are computed on first use, like `Word.range`: most pairs are never reported,
    and mapping three ranges per pair back through the file was most of reading them.
    """

    __slots__ = ("key", "value", "legacy", "_text", "_offsets", "_ranges")

    def __init__(
        self,
        key: str,
        value: str | None,
        key_range: Range,
        value_range: Range | None,
        range: Range,  # noqa: A002
        legacy: bool = False,  # written `ENV key value`
    ) -> None:
        self.key = key
        self.value = value
        self.legacy = legacy
        self._text: MappedText | None = None
        self._offsets = (0, 0, 0, -1, 0, 0)
        self._ranges: tuple[Range, Range | None, Range] | None = (key_range, value_range, range)

    @staticmethod
    def lazy(
        key: str, value: str | None, legacy: bool, text: MappedText, offsets: tuple[int, int, int, int, int, int]
    ) -> KeyValue:
        """A pair whose ranges are `text.range(...)` of `offsets`: key start and end, value start
        and end (end -1: no value range), start and end of the whole pair."""
        pair = KeyValue.__new__(KeyValue)
        pair.key, pair.value, pair.legacy = key, value, legacy
        pair._text, pair._offsets, pair._ranges = text, offsets, None
        return pair

    def _resolve(self) -> tuple[Range, Range | None, Range]:
        ranges = self._ranges
        if ranges is None:
            text = self._text
            assert text is not None
            key_start, key_end, value_start, value_end, start, end = self._offsets
            value_range = text.range(value_start, value_end) if value_end >= 0 else None
            ranges = self._ranges = (text.range(key_start, key_end), value_range, text.range(start, end))
        return ranges

    @property
    def key_range(self) -> Range:
        return self._resolve()[0]

    @property
    def value_range(self) -> Range | None:
        return self._resolve()[1]

    @property
    def range(self) -> Range:
        return self._resolve()[2]

    def _fields(self) -> tuple[object, ...]:
        return (self.key, self.value, *self._resolve(), self.legacy)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KeyValue) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        key_range, value_range, rng = self._resolve()
        return (
            f"KeyValue(key={self.key!r}, value={self.value!r}, key_range={key_range!r}, "
            f"value_range={value_range!r}, range={rng!r}, legacy={self.legacy!r})"
        )


@dataclass(frozen=True, slots=True)
class ImageRef:
    """A parsed image reference: `[registry/]repository[:tag][@digest]`."""

    text: str
    registry: str  # "docker.io" when none is written
    repository: str  # "library/python" for official images
    tag: str | None
    digest: str | None
    explicit_registry: bool

    @property
    def short_name(self) -> str:
        """The repository as people write it (`python`, `bitnami/redis`, `ghcr.io/x/y`)."""
        repo = self.repository.removeprefix("library/") if self.registry == "docker.io" else self.repository
        return repo if not self.explicit_registry else f"{self.registry}/{self.repository}"

    @property
    def name(self) -> str:
        """The last path component of the repository (`python` for `library/python`)."""
        return self.repository.rsplit("/", 1)[-1]


@dataclass(slots=True)
class Instruction:
    """One instruction with exact ranges for its keyword, flags, arguments and heredocs."""

    index: int
    keyword: str  # upper case (`RUN`)
    keyword_raw: str  # as written (`run`)
    range: Range  # from the keyword to the end of the last line (heredoc terminators included)
    span: Range  # the whole lines, terminators included (used for tiling and deletion)
    keyword_range: Range
    flags: tuple[Flag, ...]
    args: MappedText  # argument text after the flags, continuations joined, inner comments dropped
    args_range: Range
    words: tuple[Word, ...]
    heredocs: tuple[Heredoc, ...] = ()
    json_args: tuple[str, ...] | None = None  # exec form, when the arguments are a JSON array
    json_invalid: bool = False  # looked like a JSON array but is not valid JSON (shell form)
    inner_comments: tuple[Comment, ...] = ()  # comment lines inside a continuation
    empty_continuation_lines: tuple[int, ...] = ()  # blank lines inside a continuation
    stage_index: int = -1  # -1: before the first FROM
    onbuild: Instruction | None = None  # the wrapped instruction of ONBUILD
    parent: Instruction | None = None  # for the instruction wrapped by ONBUILD
    first_line: int = 0
    last_line: int = 0

    def flag(self, name: str) -> Flag | None:
        for f in self.flags:
            if f.name == name:
                return f
        return None

    def flag_values(self, name: str) -> Iterator[Flag]:
        return (f for f in self.flags if f.name == name)

    @property
    def text(self) -> str:
        return self.args.text

    @property
    def is_exec_form(self) -> bool:
        return self.json_args is not None


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment line (`# ...`), a parser directive or a pragma."""

    text: str  # the line without leading whitespace
    range: Range
    span: Range
    directive: bool = False

    @property
    def body(self) -> str:
        """The comment's text after `#`, stripped."""
        return self.text[1:].strip()


@dataclass(frozen=True, slots=True)
class Blank:
    """One or more whitespace-only lines outside any instruction."""

    range: Range
    span: Range


Node = Instruction | Comment | Blank


@dataclass(frozen=True, slots=True)
class Directive:
    """A parser directive at the top of the file (`# syntax=`, `# escape=`, `# check=`)."""

    name: str
    value: str
    range: Range
    value_range: Range


@dataclass(frozen=True, slots=True)
class SyntaxProblem:
    """Where the file cannot be parsed; becomes a DF401 finding."""

    range: Range
    message: str


@dataclass(slots=True)
class Stage:
    """A build stage: its FROM, the base it builds on and its instructions."""

    index: int
    from_: Instruction
    name: str | None
    name_range: Range | None
    base_text: str  # the image argument as written (`python:${PY}-slim`)
    base_range: Range
    base: ImageRef | None  # expanded with global ARG defaults; None when it names a stage or scratch
    base_stage: int | None  # the earlier stage this one builds on (`FROM builder`)
    platform: Flag | None
    instructions: list[Instruction] = field(default_factory=list)
    base_unresolved: bool = False  # variables in the image could not all be expanded

    @property
    def is_scratch(self) -> bool:
        return self.base_text.lower() == "scratch"

    def of(self, keyword: str) -> Iterator[Instruction]:
        return (i for i in self.instructions if i.keyword == keyword)
