"""Text edits on `daemon.json` that keep everything else byte for byte, and small lookups."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Iterator

from docklint.model.source import Pos, Range
from docklint.rule import Context, Finding, Fix, TextEdit

if TYPE_CHECKING:
    from docklint.model.daemon import DaemonConfig, JsonValue, Member

def set_value(model: DaemonConfig, key: str, value: Any) -> TextEdit | None:
    """Set `key` to `value`: replace it where it is, or add it as the last member."""
    literal = json.dumps(value)
    member = model.member(key)
    if member is not None:
        return TextEdit.replace(member.value.range, literal)
    root = model.root
    if root is None:
        return None
    entry = f"{json.dumps(key)}: {literal}"
    if not root.members:
        return TextEdit.insert(Pos(root.range.start.line, root.range.start.col + 1), entry)
    last = root.members[-1]
    start = last.key_range.start
    before = model.source.line(start.line)[: start.col]
    if before.strip():  # members share a line: `{"a": 1, "b": 2}`
        return TextEdit.insert(last.value.range.end, f", {entry}")
    return TextEdit.insert(last.value.range.end, f",{model.newline}{before}{entry}")


def remove_member(model: DaemonConfig, member: Member) -> TextEdit | None:
    """Delete a member and the comma that separates it from a neighbour."""
    root = model.root
    if root is None:
        return None
    members = root.members
    index = next((i for i, m in enumerate(members) if m is member), None)
    if index is None:
        return None
    source = model.source
    start = member.key_range.start
    if index + 1 < len(members):
        following = members[index + 1].key_range.start
        own_line = not source.line(start.line)[: start.col].strip() and following.line > start.line
        begin = Pos(start.line, 0) if own_line else start
        end = Pos(following.line, 0) if own_line else following
        return TextEdit.delete(Range(begin, end))
    if index > 0:
        return TextEdit.delete(Range(members[index - 1].value.range.end, member.value.range.end))
    return TextEdit.delete(member.range)


def is_bool(value: JsonValue | None, python: Any) -> bool:
    return value is not None and value.kind in ("true", "false") and value.value is python


def where(model: DaemonConfig, key: str) -> Range:
    member = model.member(key)
    return member.value.range if member is not None else model.anchor


def readable(model: DaemonConfig) -> bool:
    """Whether keys can be judged missing: the file parsed (an empty file means all defaults)."""
    return not model.problems


def setting_findings(model: DaemonConfig, ctx: Context, key: str, wanted: bool, title: str, **fields: Any) -> Iterator[Finding]:
    """A boolean setting that should be `wanted` (a missing key counts as dockerd's default, not wanted)."""
    if not readable(model) or is_bool(model.get(key), wanted):
        return
    edit = set_value(model, key, wanted)
    fix = Fix.unsafe(title, edit) if edit is not None else None
    yield ctx.finding(where(model, key), fix=fix, **fields)
