"""What parsing an edited text takes from earlier parses (see `parser.py`).

- `TEMPLATES`: parsed instructions by their lines' text, from any file; a parse takes an
  instruction from here when the same lines come again, moved to where they are now
  (`relocate.py`).
- `LAST`: the last parse of each path; parsing that path again takes every instruction before
  the first changed character as it is, objects and all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from docklint.model.memo import Memo
from docklint.model.nodes import Comment, Instruction, Node, Stage, SyntaxProblem
from docklint.model.source import Source


@dataclass(frozen=True, slots=True)
class Template:
    """An instruction parsed from `chunk` (its lines, terminators included) at line `first`;
    `at_end`: the lines ran to the end of the file (an unterminated heredoc or continuation
    depends on that)."""

    chunk: str
    lines: int
    at_end: bool
    instruction: Instruction  # with the ranges of line `first`, texts on a source of `chunk`
    problems: tuple[SyntaxProblem, ...]
    first: int


# Parsed instructions by (escape character, first line): re-parsing an edited document takes
# every unchanged instruction from here, moved to its current place (see `relocate.py`). At most
# 1,024 first lines with up to 4 instructions each, of at most 8 kB each, 256k characters of
# instruction text in all (about 3 MB: filled by the corpus the table holds about 3 kB per
# instruction). A 500-line Dockerfile has 255 instructions, 20k characters.
TEMPLATES: Memo[tuple[Template, ...]] = Memo("instructions", 1024, budget=262_144)
TEMPLATES_PER_LINE = 4
TEMPLATE_CHARS = 8_192
DETACHED = Source("")


@dataclass(frozen=True, slots=True)
class LastParse:
    """The instructions of the last parse of a path, with where each one's lines end (the
    offset after its last line terminator) and the syntax problems found in it."""

    text: str
    escape: str
    instructions: tuple[Instruction, ...]
    ends: tuple[int, ...]
    problems: tuple[tuple[SyntaxProblem, ...], ...]
    scripts: dict[int, list[Any]]  # that model's `scripts_by_id`, filled in as rules ask
    nodes: tuple[Node, ...]
    comments: tuple[Comment, ...]
    nodes_after: tuple[int, ...]  # per instruction: how many nodes and comments came up to it
    comments_after: tuple[int, ...]
    stages: tuple[Stage, ...]


# The last parse of each of the 64 paths parsed most recently. Parsing a path again (an edited
# document) takes the instructions that lie wholly before the first changed character as they
# are, objects and all: the text up to them is the same, so everything parsed and worked out for
# them, shell scripts included (`Dockerfile.scripts_by_id`), is the same too. Their texts point into
# the earlier `Source`, which holds the same characters there.
LAST: Memo[LastParse] = Memo("last parse per path", 64)
