"""The text edits behind the "ignore" code actions in compose files.

They follow `docklint.runtime.yaml_pragmas`: a `# dlint ignore=CODE` comment on the line above a
key or list item covers that whole entry, and `# dlint global ignore=CODE` covers the file. The
comment goes above the innermost entry that holds the finding's line (never inside a block
scalar, where it would become part of the value), at that entry's indentation; a `# dlint` pragma
already there is extended instead.
"""

from __future__ import annotations

from typing import Any

from docklint.lsp.pragmas import dlint_pragma, extend_pragma, line_ending
from docklint.model.nodes import Comment
from docklint.model.source import Pos, Source
from docklint.rule import TextEdit
from docklint.runtime import standalone_comments, yaml_comments


def ignore_entry(model: Any, line: int, code: str) -> TextEdit | None:
    """Silence `code` for the YAML entry holding `line`: extend its pragma or add one above it."""
    source: Source = model.source
    first = entry_line(model, line)
    if first is None:
        return None
    found = dlint_pragma(_comment_run_above(model, first), is_global=False)
    if found is not None:
        return extend_pragma(found, code)
    text = source.line(first)
    indent = text[: len(text) - len(text.lstrip(" \t"))]
    # `- key: value`: the list item starts at the dash; a comment above it belongs to the item.
    return TextEdit.insert(Pos(first, 0), f"{indent}# dlint ignore={code}{line_ending(source, first)}")


def ignore_yaml_file(model: Any, code: str) -> TextEdit | None:
    """Silence `code` in the whole file: extend a global pragma or add one on the first line."""
    found = dlint_pragma(yaml_comments(model), is_global=True)
    if found is not None:
        return extend_pragma(found, code)
    return TextEdit.insert(Pos(0, 0), f"# dlint global ignore={code}{line_ending(model.source, 0)}")


def entry_line(model: Any, line: int) -> int | None:
    """The first line of the innermost entry (key or list item) whose lines hold `line`."""
    spans: dict[int, int] = model.yaml.spans
    best: int | None = None
    for first, last in spans.items():
        if first <= line <= last and (best is None or first > best):
            best = first
    return best


def _comment_run_above(model: Any, line: int) -> list[Comment]:
    """Whole-line comments directly above `line`, nearest first (a blank line ends the run)."""
    by_line = standalone_comments(model)
    found = []
    current = line - 1
    while current in by_line:
        found.append(by_line[current])
        current -= 1
    return found
