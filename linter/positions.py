"""The 1-based edge: engine positions (0-based) as the command line and file formats print them.

Lines and columns gain one; the end column stays exclusive, as `spec/DESIGN.md` says for every
format. Columns still count Unicode code points (SARIF runs declare `unicodeCodePoints`). The
language server converts at its own edge (UTF-16 columns), not here.
"""

from __future__ import annotations

from dataclasses import dataclass

from docklint.model.source import Pos, Range


@dataclass(frozen=True, slots=True)
class Span:
    """A range with 1-based lines and columns; `end_column` is exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int

    def as_dict(self) -> dict[str, int]:
        return {"line": self.line, "column": self.column, "end_line": self.end_line, "end_column": self.end_column}


def one_based(pos: Pos) -> tuple[int, int]:
    """`(line, column)`, both counted from 1."""
    return pos.line + 1, pos.col + 1


def span(rng: Range) -> Span:
    """The 1-based form of `rng`."""
    return Span(rng.start.line + 1, rng.start.col + 1, rng.end.line + 1, rng.end.col + 1)
