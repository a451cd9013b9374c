"""bashlex-shaped trees for the simplest shell scripts, without importing bashlex.

Most RUN lines are a few plain commands joined by `&&`, `||`, `;` or `|`. bashlex parses them
well but costs ~20 ms to import, more than linting a small Dockerfile; this module reads that
subset itself and returns nodes with the attributes the walker in `shell_parse` uses (`kind`,
`pos`, `parts`, `word`, `op`, `pipe`), shaped exactly as bashlex shapes them. Anything outside
the subset returns None and goes to bashlex: expansions (`$`, backquotes), escapes, redirections,
subshells and groups, reserved words, assignments, comments, `~`, background jobs, newlines, and
quoted strings holding `$`, backquotes or backslashes (bashlex reads some of those specially
even inside single quotes).
`tests/test_shell_simple.py` checks the trees equal bashlex's on every script of the corpus
this accepts.
"""

from __future__ import annotations

import re
from typing import Any

# One token: an operator, or a word of plain characters and simple quoted strings.
_TOKEN = re.compile(
    r"[ \t]*(?:(?P<op>&&|\|\||;|\|)|(?P<word>(?:[^\s;&|<>()$`\\'\"#~{}!]|\"[^\"$`\\!]*\"|'[^'$`\\]*')+))"
)
_TRAILING = re.compile(r"[ \t]*")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\+?=")
_QUOTES = re.compile(r"\"([^\"]*)\"|'([^']*)'")
_RESERVED = frozenset(
    "if then else elif fi do done for while until case esac select function in time coproc [[ ]]".split()
)


class Node:
    """A parse tree node with bashlex's attribute names."""

    __slots__ = ("kind", "pos", "parts", "word", "op", "pipe")

    def __init__(self, kind: str, pos: tuple[int, int], parts: list[Node] | None = None, **fields: str) -> None:
        self.kind = kind
        self.pos = pos
        self.parts = parts if parts is not None else []
        self.word = fields.get("word", "")
        self.op = fields.get("op", "")
        self.pipe = fields.get("pipe", "")


def parse(text: str) -> list[Node] | None:
    """The trees bashlex would give for `text`, or None when `text` is outside the subset."""
    if "\n" in text or "\r" in text:
        return None
    items: list[Node] = []  # pipelines or commands, and the operators between them
    pipeline: list[Node] = []  # commands and pipes of the pipeline being read
    words: list[Node] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            if _TRAILING.fullmatch(text, position):
                break  # trailing blanks
            return None
        position = match.end()
        if match.group("word") is not None:
            raw, start = match.group("word"), match.start("word")
            if not words and (raw in _RESERVED or _ASSIGNMENT.match(raw)):
                return None
            words.append(Node("word", (start, match.end()), word=_QUOTES.sub(lambda m: m.group(1) or m.group(2) or "", raw)))
            continue
        op, span = match.group("op"), (match.start("op"), match.end())
        if not words:
            return None  # an operator with no command before it: bashlex's syntax error
        pipeline.append(_command(words))
        words = []
        if op == "|":
            pipeline.append(Node("pipe", span, pipe="|"))
            continue
        items.append(_pipeline(pipeline))
        pipeline = []
        items.append(Node("operator", span, op=op))
    if words:
        pipeline.append(_command(words))
    elif pipeline or (items and items[-1].op != ";"):
        return None  # ends with `|`, `&&` or `||`
    if pipeline:
        items.append(_pipeline(pipeline))
    if not items:
        return None
    if len(items) == 1:
        return [items[0]]
    return [Node("list", (items[0].pos[0], items[-1].pos[1]), items)]


def _command(words: list[Node]) -> Node:
    return Node("command", (words[0].pos[0], words[-1].pos[1]), words)


def _pipeline(parts: list[Node]) -> Node:
    if len(parts) == 1:
        return parts[0]
    return Node("pipeline", (parts[0].pos[0], parts[-1].pos[1]), parts)


def dump(node: Any) -> str:
    """A node and its children as text (bashlex's nodes or ours), for comparing trees."""
    fields = [node.kind, repr(tuple(node.pos))]
    for name in ("word", "op", "pipe"):
        value = getattr(node, name, None)
        if isinstance(value, str) and value:
            fields.append(f"{name}={value!r}")
    children = [dump(child) for child in getattr(node, "parts", None) or ()]
    return "(" + " ".join(fields) + (" [" + ", ".join(children) + "]" if children else "") + ")"
