"""YAML with positions: a node tree built from PyYAML's events, with comments and line spans.

PyYAML's composer drops the place of an alias (`*name`) and merge keys (`<<: *base`) are only
resolved when constructing Python objects, which loses every position. This module composes its
own tree from the event stream (libyaml's parser when available) so that every key, scalar and
alias keeps its exact range, resolves merge keys on access, and reports malformed YAML as a
`Problem` at the place the parser stopped, never as an exception. Scalars stay text: YAML 1.1
would read `22:22` as a number and `yes` as a boolean, which Compose (YAML 1.2) does not, so
callers decide what a value means. PyYAML is imported only when a YAML file is parsed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from docklint.model.source import Pos, Range, Source

MAX_CHARS = 5_000_000
MERGE_BUDGET = 10_000  # mappings merged while resolving one mapping's keys (hostile nesting)
# What YAML does not allow in a stream (the complement of its printable set; a negated class
# over the astral planes costs ~20 ms to compile).
_NON_PRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_BLOCK_STYLES = ("|", ">")


@dataclass(frozen=True, slots=True)
class Problem:
    """Why the text is not valid YAML (or not the shape expected), and where."""

    message: str
    range: Range


@dataclass(frozen=True, slots=True, eq=False)
class Node:
    """A YAML scalar, mapping or sequence with its place in the file.

    `range` covers the node as written (a block collection ends where its last child ends).
    A node reached through an alias keeps the range of the anchored text; `alias` is the
    `*name` token when this node is that reference, and `via` is the outermost alias or merge
    key through which it was reached, where findings about it belong (None: written here).
    """

    kind: str  # "scalar", "mapping" or "sequence"
    range: Range
    start: int  # offsets into the source text
    end: int
    source: Source = field(repr=False)
    value: str = ""  # scalars: the text after unquoting and folding
    style: str = ""  # scalars: "" plain, "'", '"', "|", ">"; collections: "flow" or "block"
    tag: str | None = None
    text_start: int = 0  # scalars: offset after any anchor and tag
    pairs: tuple[tuple[Node, Node], ...] = ()
    items: tuple[Node, ...] = ()
    close: int | None = None  # flow collections: offset of the closing bracket
    anchor: str | None = None
    alias: Range | None = None
    via: Range | None = None
    written_end: int = -1  # aliases: the offset after the `*name` token

    @property
    def first(self) -> int:
        """Where this node is written: its alias token for a reference, else its own start."""
        return self.written_end - (self.alias.end.col - self.alias.start.col) if self.alias else self.start

    @property
    def last(self) -> int:
        """Where this node's written text ends (the alias token's end for a reference)."""
        return self.written_end if self.alias is not None else self.end

    # -- kinds and values ------------------------------------------------------------------

    @property
    def is_scalar(self) -> bool:
        return self.kind == "scalar"

    @property
    def is_mapping(self) -> bool:
        return self.kind == "mapping"

    @property
    def is_sequence(self) -> bool:
        return self.kind == "sequence"

    @property
    def is_null(self) -> bool:
        return self.is_scalar and self.style == "" and self.value in ("", "~", "null", "Null", "NULL")

    @property
    def text(self) -> str:
        """A scalar's value ("" for collections)."""
        return self.value if self.is_scalar else ""

    @property
    def has_variable(self) -> bool:
        """Whether Compose interpolates a variable here (`$VAR`, `${VAR}`; `$$` is a literal `$`)."""
        return self.is_scalar and bool(re.search(r"(?<!\$)(?:\$\$)*\$(?:\{|[A-Za-z_])", self.value))

    @property
    def block_scalar(self) -> bool:
        return self.is_scalar and self.style in _BLOCK_STYLES

    # -- where findings go and what may be edited -------------------------------------------

    @property
    def at(self) -> Range:
        """Where a finding about this node belongs: the alias or merge that brought it, or itself."""
        return self.via or self.range

    @property
    def editable(self) -> Range | None:
        """The range an edit replacing this node may touch, or None when it lives in an anchor
        shared with other places (editing it there would change them too)."""
        if self.via is None:
            return self.value_range if self.is_scalar else self.range
        if self.alias is not None and self.via == self.alias:
            return self.alias
        return None

    @property
    def value_range(self) -> Range:
        """A scalar's range without its anchor and tag."""
        if self.text_start == self.start:
            return self.range
        return Range(self.source.pos(self.text_start), self.range.end)

    def sub_range(self, start: int, end: int) -> Range:
        """The range of `value[start:end]`; the whole scalar when quoting or folding moved text."""
        offset = self.exact_offset()
        if offset is None:
            return self.at
        if self.via is not None:
            return self.via
        return Range(self.source.pos(offset + start), self.source.pos(offset + end))

    def exact_offset(self) -> int | None:
        """Where `value[0]` is in the source, when the value is written there character for character."""
        if not self.is_scalar or self.style in _BLOCK_STYLES:
            return None
        begin = self.text_start + (1 if self.style else 0)
        raw = self.source.text[begin : self.end - (1 if self.style else 0)]
        return begin if raw == self.value else None

    # -- access with merge keys and aliases resolved ----------------------------------------

    def entries(self) -> list[tuple[Node, Node]]:
        """A mapping's (key, value) pairs with merge keys applied: own keys first, then merged
        keys they do not override (earlier merge sources win, as YAML specifies)."""
        if not self.is_mapping:
            return []
        budget = [MERGE_BUDGET]
        return self._entries(budget, set())

    def _entries(self, budget: list[int], seen: set[int]) -> list[tuple[Node, Node]]:
        own: list[tuple[Node, Node]] = []
        merged: list[tuple[Node, Node]] = []
        sources: list[Node] = []
        for key, value in self.pairs:
            key, value = self._child(key), self._child(value)
            if key.is_scalar and key.style == "" and key.value == "<<":
                sources.extend(v for v in (value.elements() if value.is_sequence else [value]) if v.is_mapping)
            else:
                own.append((key, value))
        names = {k.value for k, _ in own if k.is_scalar}
        for source in sources:
            if id(source.pairs) in seen or budget[0] <= 0:
                continue
            seen.add(id(source.pairs))
            budget[0] -= 1
            for key, value in source._entries(budget, seen):
                if key.is_scalar and key.value not in names:
                    names.add(key.value)
                    merged.append((key, value))
        return own + merged

    def get(self, name: str) -> Node | None:
        found = self.entry(name)
        return found[1] if found else None

    def entry(self, name: str) -> tuple[Node, Node] | None:
        """The (key, value) pair for `name` (the last one written wins, as in Compose)."""
        found = None
        for key, value in self.entries():
            if key.is_scalar and key.value == name:
                found = (key, value)
        return found

    def elements(self) -> list[Node]:
        """A sequence's items (reached through this node's alias, if any)."""
        return [self._child(item) for item in self.items] if self.is_sequence else []

    def path(self, *names: str) -> Node | None:
        """The node at `names` below this mapping, or None when any step is missing."""
        node: Node | None = self
        for name in names:
            if node is None or not node.is_mapping:
                return None
            node = node.get(name)
        return node

    def _child(self, node: Node) -> Node:
        if self.via is None or node.via == self.via:
            return node
        return replace(node, via=self.via)


@dataclass
class YamlDocument:
    """A parsed YAML stream: its documents' root nodes, comments and problems."""

    source: Source
    roots: list[Node] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    comments: list[tuple[str, Range]] = field(default_factory=list)  # text from `#`, its range
    spans: dict[int, int] = field(default_factory=dict)  # first line of an entry -> its last line
    multiline: list[Node] = field(default_factory=list)  # scalars written over several lines


def parse_yaml(text: str) -> YamlDocument:
    """Parse `text`; never raises for bad input (problems are recorded instead)."""
    source = Source(text)
    doc = YamlDocument(source)
    if len(text) > MAX_CHARS:
        doc.problems.append(Problem(f"the file is larger than {MAX_CHARS // 1_000_000} MB", Range(Pos(0, 0), Pos(0, 0))))
        return doc
    bad = _NON_PRINTABLE.search(text)
    if bad is not None:
        at = source.pos(bad.start())
        message = f"character U+{ord(bad.group()):04X} is not allowed in YAML"
        doc.problems.append(Problem(message, Range(at, Pos(at.line, at.col + 1))))
        return doc
    _Composer(doc).run()
    from docklint.model.yaml_comments import find_comments

    find_comments(doc)
    return doc


class _Composer:
    """Builds `Node`s from events with an explicit stack (no recursion limit to hit)."""

    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc
        self.source = doc.source
        self.anchors: dict[str, Node] = {}
        self.open_anchors: set[str] = set()
        self.shift = 0

    def run(self) -> None:
        import yaml

        text = self.source.text
        self.shift = 1 if text.startswith("\ufeff") else 0  # libyaml skips a BOM without counting it
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        stack: list[tuple[Any, list[Node]]] = []
        try:
            for event in yaml.parse(text[self.shift :], Loader=loader):
                self._event(event, stack)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            index = (mark.index if mark is not None else 0) + self.shift
            message = error.problem or error.context or "invalid YAML"
            if error.context and error.problem:
                message = f"{error.context}: {error.problem}"
            at = self.source.pos(min(index, len(text)))
            self.doc.problems.append(Problem(message, Range(at, at)))
        except yaml.YAMLError as error:
            self.doc.problems.append(Problem(f"invalid YAML: {error}", Range(Pos(0, 0), Pos(0, 0))))

    def _event(self, event: Any, stack: list[tuple[Any, list[Node]]]) -> None:
        name = type(event).__name__
        start, end = event.start_mark.index + self.shift, event.end_mark.index + self.shift
        if name == "ScalarEvent":
            self._add(self._scalar(event, start, end), stack)
        elif name == "AliasEvent":
            self._add(self._alias(event, start, end), stack)
        elif name in ("MappingStartEvent", "SequenceStartEvent"):
            if event.anchor:
                self.open_anchors.add(event.anchor)
            stack.append((event, []))
        elif name in ("MappingEndEvent", "SequenceEndEvent"):
            opening, children = stack.pop()
            self._add(self._collection(opening, children, end), stack)

    def _add(self, node: Node, stack: list[tuple[Any, list[Node]]]) -> None:
        if node.anchor and node.alias is None:
            self.anchors[node.anchor] = node
            self.open_anchors.discard(node.anchor)
        if stack:
            stack[-1][1].append(node)
        else:
            self.doc.roots.append(node)

    def _scalar(self, event: Any, start: int, end: int) -> Node:
        style = event.style or ""
        text_start = start
        if event.anchor or event.tag:
            text_start = _skip_properties(self.source.text, start, end)
        implicit = event.implicit and (event.implicit[0] or event.implicit[1])
        node = Node(
            "scalar", self._range(start, end), start, end, self.source, value=event.value, style=style,
            tag=None if implicit else event.tag, text_start=text_start, anchor=event.anchor,
        )
        if node.range.start.line != node.range.end.line:
            self.doc.multiline.append(node)
        return node

    def _alias(self, event: Any, start: int, end: int) -> Node:
        rng = self._range(start, end)
        target = self.anchors.get(event.anchor)
        if target is None:
            why = "refers to itself" if event.anchor in self.open_anchors else "names no anchor defined before it"
            self.doc.problems.append(Problem(f"alias `*{event.anchor}` {why}", rng))
            return Node("scalar", rng, start, end, self.source, text_start=start)
        return replace(target, alias=rng, via=rng, written_end=end)

    def _collection(self, opening: Any, children: list[Node], end: int) -> Node:
        start = opening.start_mark.index + self.shift
        flow = bool(opening.flow_style)
        kind = "mapping" if type(opening).__name__ == "MappingStartEvent" else "sequence"
        if flow:
            stop, close = end, end - 1
        else:
            stop, close = max((c.last for c in children), default=start), None
        pairs: tuple[tuple[Node, Node], ...] = ()
        items: tuple[Node, ...] = ()
        if kind == "mapping":
            pairs = tuple(zip(children[0::2], children[1::2]))
            for key, value in pairs:
                self._span(key.start, max(value.last, key.last))
            self._duplicates(pairs)
        else:
            items = tuple(children)
            for item in items:
                self._span(item.first, item.last)
        return Node(
            kind, self._range(start, stop), start, stop, self.source, style="flow" if flow else "block",
            pairs=pairs, items=items, close=close, anchor=opening.anchor, text_start=start,
        )

    def _span(self, start: int, end: int) -> None:
        first = self.source.pos(start).line
        last_pos = self.source.pos(end)
        last = last_pos.line - 1 if last_pos.col == 0 and last_pos.line > first else last_pos.line
        spans = self.doc.spans
        spans[first] = max(spans.get(first, first), last)

    def _duplicates(self, pairs: tuple[tuple[Node, Node], ...]) -> None:
        seen: dict[str, Node] = {}
        for key, _value in pairs:
            if not key.is_scalar or key.value == "<<" or key.alias is not None:
                continue
            first = seen.get(key.value)
            if first is not None:
                line = first.range.start.line + 1
                self.doc.problems.append(Problem(f"key `{key.value}` is already defined on line {line}", key.range))
            else:
                seen[key.value] = key

    def _range(self, start: int, end: int) -> Range:
        return Range(self.source.pos(start), self.source.pos(end))


def _skip_properties(text: str, start: int, end: int) -> int:
    """The offset after a node's anchor (`&a`) and tag (`!!str`) and the spaces after them."""
    pos = start
    while pos < end and text[pos] in "&!":
        while pos < end and text[pos] not in " \t\r\n":
            pos += 1
        while pos < end and text[pos] in " \t\r\n":
            pos += 1
    return pos
