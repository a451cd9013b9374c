"""Applying fixes: text edits on the source, and the fix loop behind `dlint --fix`.

The command line and the language server apply the same `Fix` objects through `apply_edits`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from docklint.config import DEFAULT, Config
from docklint.model.source import Source
from docklint.rule import Finding, Fix, Rule, Safety, TextEdit

MAX_PASSES = 10


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """Apply non-overlapping edits (positions refer to `text`) and return the new text."""
    source = Source(text)
    ordered = sorted(edits, key=lambda e: (source.offset(e.range.start), source.offset(e.range.end)))
    parts: list[str] = []
    last = 0
    for edit in ordered:
        start, end = source.offset(edit.range.start), source.offset(edit.range.end)
        if start < last:
            raise ValueError("overlapping edits")
        parts.append(text[last:start])
        parts.append(edit.new_text)
        last = end
    parts.append(text[last:])
    return "".join(parts)


def choose(findings: Sequence[Finding], unsafe: bool = False) -> list[tuple[Finding, Fix]]:
    """Pick the fixes to apply in one pass: by start, skipping any that overlap a taken one."""
    candidates = [
        (f, f.fix) for f in findings if f.fix is not None and f.fix.edits and (unsafe or f.fix.safety is Safety.SAFE)
    ]
    candidates.sort(key=lambda pair: (pair[1].range.start, pair[1].range.end, pair[0].code))
    taken: list[tuple[Finding, Fix]] = []
    spans: list[tuple[object, object]] = []
    for finding, fix in candidates:
        if any(_overlaps(edit.range, span) for edit in fix.edits for span in spans):
            continue
        taken.append((finding, fix))
        spans.extend((e.range.start, e.range.end) for e in fix.edits)
    return taken


def _overlaps(rng: object, span: tuple[object, object]) -> bool:
    start, end = rng.start, rng.end  # type: ignore[attr-defined]
    other_start, other_end = span
    if start == end and other_start == other_end:
        return start == other_start  # two insertions at one point: order would be ambiguous
    return start < other_end and other_start < end  # type: ignore[operator]


class FixLoopError(Exception):
    """The fixes kept changing the text after the last pass: a bug in one of the named rules."""

    def __init__(self, codes: Iterable[str]) -> None:
        self.codes = sorted(set(codes))
        super().__init__(f"fixes did not settle after {MAX_PASSES} passes: {', '.join(self.codes)}")


@dataclass
class FixOutcome:
    text: str
    fixed: Counter[str] = field(default_factory=Counter)
    remaining: list[Finding] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return sum(self.fixed.values()) > 0


def fix_text(
    text: str,
    path: str = "Dockerfile",
    config: Config = DEFAULT,
    *,
    unsafe: bool = False,
    rules: Sequence[Rule] | None = None,
    context_dir: str | None = None,
    kind: str | None = None,
) -> FixOutcome:
    """Apply fixes, re-lint and repeat until nothing changes (bounded passes).

    `kind` says what the text is (`dockerfile`, `compose`, `daemon`); None: by the file name,
    a Dockerfile when the name says nothing (see `engine.lint_document`).
    """
    from docklint.engine import lint_document

    outcome = FixOutcome(text)
    last_codes: list[str] = []
    for _ in range(MAX_PASSES):
        result = lint_document(outcome.text, path, config, kind=kind, context_dir=context_dir, rules=rules)
        taken = choose(result.findings, unsafe)
        if not taken:
            outcome.remaining = result.findings
            return outcome
        edits = [edit for _, fix in taken for edit in fix.edits]
        new_text = apply_edits(outcome.text, edits)
        if new_text == outcome.text:
            outcome.remaining = result.findings
            return outcome
        outcome.text = new_text
        last_codes = [f.code for f, _ in taken]
        outcome.fixed.update(last_codes)
    raise FixLoopError(last_codes)
