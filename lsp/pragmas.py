"""The text edits behind the "ignore" code actions: insert or extend a `# dlint ignore=` pragma.

The edits follow `docklint.suppress`'s reading of pragmas: a pragma in the run of comment lines
right above an instruction applies to it; a `global` one applies to the file. An existing
`# dlint` pragma is extended rather than a second one added.
"""

from __future__ import annotations

import bisect
from typing import Any, Iterable

from docklint.model.nodes import Comment, Instruction
from docklint.model.source import Pos
from docklint.rule import TextEdit
from docklint.suppress import pragmas


def owner(model: Any, line: int) -> Instruction | None:
    """The instruction whose lines hold `line` (suppression matches findings the same way)."""
    instructions = model.instructions
    firsts = [inst.first_line for inst in instructions]
    index = bisect.bisect_right(firsts, line) - 1
    if index >= 0 and instructions[index].first_line <= line <= instructions[index].last_line:
        return instructions[index]  # type: ignore[no-any-return]
    return None


def ignore_instruction(model: Any, line: int, code: str) -> TextEdit | None:
    """Silence `code` for the instruction at `line`: extend its pragma or add one above it."""
    inst = owner(model, line)
    if inst is None:
        return None
    found = dlint_pragma(_comments_above(model, inst), is_global=False)
    if found is not None:
        return extend_pragma(found, code)
    source = model.source
    first = source.line(inst.first_line)
    indent = first[: len(first) - len(first.lstrip(" \t\ufeff"))]
    start = 1 if indent.startswith("\ufeff") else 0
    return TextEdit.insert(Pos(inst.first_line, start), f"{indent[start:]}# dlint ignore={code}{line_ending(source, inst.first_line)}")


def ignore_file(model: Any, code: str) -> TextEdit | None:
    """Silence `code` in the whole file: extend a global pragma or add one after the parser
    directives (a comment above them would end the directives, as BuildKit reads them)."""
    found = dlint_pragma(model.comments, is_global=True)
    if found is not None:
        return extend_pragma(found, code)
    source = model.source
    line = max((d.range.start.line + 1 for d in model.directives.values()), default=0)
    text = f"# dlint global ignore={code}"
    if line >= source.line_count:  # the file is only directives, without a final newline
        return TextEdit.insert(source.end(), line_ending(source, line - 1) + text)
    start = 1 if line == 0 and source.line(0).startswith("\ufeff") else 0
    return TextEdit.insert(Pos(line, start), text + line_ending(source, line))


def _comments_above(model: Any, inst: Instruction) -> list[Comment]:
    """The run of comment lines directly above the instruction (a blank line ends it)."""
    nodes = model.nodes
    index = next(i for i, node in enumerate(nodes) if node is inst)
    found: list[Comment] = []
    for node in reversed(nodes[:index]):
        if not isinstance(node, Comment) or node.directive:
            break
        found.append(node)
    return found


def dlint_pragma(comments: Iterable[Comment], *, is_global: bool) -> Any:
    """The first `# dlint` pragma among `comments` that is global (or not): the one an "ignore"
    action extends. None when there is none."""
    for pragma in pragmas(comments):
        if pragma.tool == "dlint" and pragma.is_global == is_global:
            return pragma
    return None


def extend_pragma(pragma: Any, code: str) -> TextEdit | None:
    listed = {selector.lower() for selector, _ in pragma.selectors}
    if code.lower() in listed:
        return None
    if pragma.selectors:
        return TextEdit.insert(pragma.selectors[-1][1].end, f",{code}")
    comment = pragma.comment
    end = Pos(comment.range.start.line, comment.range.start.col + len(comment.text.rstrip()))
    return TextEdit.insert(end, code)


def line_ending(source: Any, line: int) -> str:
    """The line ending the file uses at `line` (or nearby); `\\n` for a one-line file."""
    for index in (line, line - 1, 0):
        if 0 <= index < source.line_count and source.terminator(index):
            return str(source.terminator(index))
    return "\n"

