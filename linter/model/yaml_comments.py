"""Comments in YAML text: PyYAML drops them, so they are found here from the parsed tree.

A `#` starts a comment at the start of a line or after a blank, outside scalars: the tree says
where every scalar, alias and flow bracket ends, and which lines lie inside multi-line scalars
(a block scalar's `# ...` lines are text, not comments).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterator

from docklint.model.source import Pos, Range

if TYPE_CHECKING:
    from docklint.model.yaml_tree import Node, YamlDocument

_COMMENT = re.compile(r"(?:^|[ \t])(#.*)$")


def find_comments(doc: YamlDocument) -> None:
    """Comments: `#` at a line start or after a blank, outside scalars."""
    source = doc.source
    skip: set[int] = set()
    begin: dict[int, int] = {}
    for node in doc.multiline:
        first, last = node.range.start, node.range.end
        if node.block_scalar:
            header = node.source.pos(node.text_start)
            begin[header.line] = max(begin.get(header.line, 0), header.col)
        else:
            skip.add(first.line)
        skip.update(range(first.line + 1, last.line))
        if last.col > 0:
            begin[last.line] = max(begin.get(last.line, 0), last.col)
    for number, col in _scalar_ends(doc).items():
        begin[number] = max(begin.get(number, 0), col)
    for index in range(source.line_count):
        if index in skip:
            continue
        line = source.line(index)
        if "#" not in line:
            continue
        match = _COMMENT.search(line, begin.get(index, 0))
        if match is not None:
            col = match.start(1)
            doc.comments.append((match.group(1), Range(Pos(index, col), Pos(index, len(line)))))


def _scalar_ends(doc: YamlDocument) -> dict[int, int]:
    """For each line, the column where the last one-line scalar, alias or flow bracket ends."""
    ends: dict[int, int] = {}
    for node in _written(doc.roots):
        rng = node.alias if node.alias is not None else node.range
        if node.alias is not None or node.is_scalar or node.close is not None:
            if rng.start.line == rng.end.line or node.close is not None:
                ends[rng.end.line] = max(ends.get(rng.end.line, 0), rng.end.col)
    return ends


def _written(roots: list[Node]) -> Iterator[Node]:
    for root in roots:
        yield from walk(root)


def walk(node: Node) -> Iterator[Node]:
    """Every node written below `node` (aliases are not followed), `node` first."""
    todo = [node]
    while todo:
        current = todo.pop()
        yield current
        if current.alias is not None:
            continue
        for key, value in reversed(current.pairs):
            todo.extend((value, key))
        todo.extend(reversed(current.items))
