"""Text edits on compose files that keep everything else byte for byte.

Each helper returns None when the edit cannot be made safely here: the node lives in an anchor
that other places share (`<<: *base`, `*name`), or the layout is one we do not rewrite. New
keys and list items follow what is there: the mapping's indentation, a list's quoting and flow
or block style, the file's line ending.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from docklint.model.source import Pos, Range, Source
from docklint.rule import TextEdit

if TYPE_CHECKING:
    from docklint.model.compose import ComposeFile
    from docklint.model.yaml_tree import Node


def replace_value(node: Node, text: str) -> TextEdit | None:
    """Replace a scalar (or the alias standing for it) with `text`."""
    rng = node.editable
    return TextEdit.replace(rng, text) if rng is not None else None


def replace_part(node: Node, start: int, end: int, text: str) -> TextEdit | None:
    """Replace `value[start:end]` of a scalar written character for character in the file."""
    offset = node.exact_offset()
    if offset is None or node.via is not None:
        return None
    source = node.source
    return TextEdit.replace(Range(source.pos(offset + start), source.pos(offset + end)), text)


def styled(text: str, like: Node | None) -> str:
    """`text` quoted the way `like` (a sibling scalar) is quoted."""
    if like is not None and like.is_scalar and like.style in ("'", '"') and like.style not in text:
        return f"{like.style}{text}{like.style}"
    return text


def insert_entry(model: ComposeFile, mapping: Node, entry: str) -> TextEdit | None:
    """Add `key: value` (`entry`) as the last entry of a mapping written in this file."""
    if not mapping.is_mapping or mapping.via is not None:
        return None
    source = model.source
    if mapping.style == "flow":
        if mapping.close is None:
            return None
        if not mapping.pairs:
            return TextEdit.insert(source.pos(mapping.close), entry)
        last = max(max(k.last, v.last) for k, v in mapping.pairs)
        return TextEdit.insert(source.pos(last), f", {entry}")
    if not mapping.pairs:
        return None
    indent = mapping.pairs[0][0].range.start.col
    last = max(max(k.last, v.last) for k, v in mapping.pairs)
    return _insert_line(model, source.pos(last), " " * indent + entry)


def append_item(model: ComposeFile, sequence: Node, item: str) -> TextEdit | None:
    """Add `item` (already quoted as wanted) at the end of a list written in this file."""
    if not sequence.is_sequence or sequence.via is not None:
        return None
    source = model.source
    if sequence.style == "flow":
        if sequence.close is None:
            return None
        if not sequence.items:
            return TextEdit.insert(source.pos(sequence.close), item)
        return TextEdit.insert(source.pos(sequence.items[-1].last), f", {item}")
    if not sequence.items:
        return None
    last = sequence.items[-1]
    dash = _dash_column(source, last.first)
    if dash is None:
        return None
    return _insert_line(model, source.pos(last.last), " " * dash + "- " + item)


def remove_item(model: ComposeFile, sequence: Node, item: Node) -> TextEdit | None:
    """Delete one item of a list written in this file (None for the only item of a block list)."""
    if sequence.via is not None or item.via is not None and item.alias is None:
        return None
    source = model.source
    items = sequence.items
    index = next((i for i, candidate in enumerate(items) if candidate.first == item.first), None)
    if index is None:
        return None
    if sequence.style == "flow":
        deletion = _remove_flow(source, [(i.first, i.last) for i in items], index)
    elif len(items) == 1 or _dash_column(source, item.first) is None:
        return None
    else:
        deletion = _delete_lines(source, source.pos(item.first).line, _last_line(source, item.first, item.last))
    # Rewrite the whole list, so that two removals from one list never apply in the same pass
    # (together they could empty it, and an empty block list reads as null).
    start = min(source.offset(deletion.range.start), sequence.start)
    end = max(source.offset(deletion.range.end), items[-1].last)
    cut_start, cut_end = source.offset(deletion.range.start), source.offset(deletion.range.end)
    text = source.text
    kept = text[start:cut_start] + text[cut_end:end]
    return TextEdit.replace(Range(source.pos(start), source.pos(end)), kept)


def remove_entry(model: ComposeFile, mapping: Node, key: Node) -> TextEdit | None:
    """Delete one `key: value` entry of a mapping written in this file (not its only entry)."""
    if mapping.via is not None or key.via is not None:
        return None
    source = model.source
    pairs = mapping.pairs
    index = next((i for i, (k, _) in enumerate(pairs) if k.first == key.first), None)
    if index is None:
        return None
    spans = [(k.first, max(k.last, v.last)) for k, v in pairs]
    if mapping.style == "flow":
        return _remove_flow(source, spans, index)
    start = key.range.start
    if len(pairs) == 1 or source.line(start.line)[: start.col].strip():
        return None  # the only entry, or one sharing its line with a `- ` marker
    return _delete_lines(source, start.line, _last_line(source, *spans[index]))


# -- helpers -----------------------------------------------------------------------------------


def _insert_line(model: ComposeFile, end: Pos, line: str) -> TextEdit:
    """Insert `line` as a new line after the text ending at `end`."""
    newline = model.newline
    if end.col == 0 and end.line > 0:
        return TextEdit.insert(end, line + newline)  # the previous node (a block scalar) took the line end
    return TextEdit.insert(model.source.line_end(end.line), newline + line)


def _dash_column(source: Source, offset: int) -> int | None:
    """The column of the `- ` marker before a block list item starting at `offset`."""
    pos = source.pos(offset)
    before = source.line(pos.line)[: pos.col].rstrip(" ")
    if not before.endswith("-") or before[:-1].strip(" -"):
        return None
    return len(before) - 1


def _last_line(source: Source, start: int, end: int) -> int:
    first, last = source.pos(start), source.pos(end)
    return last.line - 1 if last.col == 0 and last.line > first.line else last.line


def _delete_lines(source: Source, first: int, last: int) -> TextEdit:
    if last + 1 < source.line_count:
        return TextEdit.delete(Range(Pos(first, 0), Pos(last + 1, 0)))
    if first > 0:
        return TextEdit.delete(Range(source.line_end(first - 1), source.line_end(last)))
    return TextEdit.delete(Range(Pos(0, 0), source.line_end(last)))


def _remove_flow(source: Source, spans: list[tuple[int, int]], index: int) -> TextEdit:
    start, end = spans[index]
    if index + 1 < len(spans):
        return TextEdit.delete(Range(source.pos(start), source.pos(spans[index + 1][0])))
    if index > 0:
        return TextEdit.delete(Range(source.pos(spans[index - 1][1]), source.pos(end)))
    return TextEdit.delete(Range(source.pos(start), source.pos(end)))
