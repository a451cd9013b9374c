"""Inline suppressions: `# dlint ignore=`, `# hadolint ignore=`, their `global` forms, and
BuildKit's `# check=skip=...;error=true` parser directive.

Suppression runs after the rules, so rules never look at comments. A pragma applies to the
instruction right below it (a run of comment lines directly above counts) and to the
instruction whose continuation lines hold it; `global` pragmas apply to the whole file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

from docklint.model.dockerfile import Dockerfile
from docklint.model.nodes import Comment, Instruction
from docklint.model.source import Pos, Range
from docklint.registry import registry
from docklint.rule import Finding, Severity

PRAGMA = re.compile(r"^#[ \t]*(dlint|hadolint)[ \t]+(global[ \t]+)?ignore[ \t]*=[ \t]*(.*?)[ \t]*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Pragma:
    """One parsed ignore pragma: its selectors with their ranges."""

    tool: str
    is_global: bool
    selectors: tuple[tuple[str, Range], ...]
    comment: Comment


def pragmas(comments: Iterable[Comment]) -> Iterator[Pragma]:
    """Every ignore pragma in these comments."""
    for comment in comments:
        match = PRAGMA.match(comment.text)
        if not match:
            continue
        base = comment.range.start
        selectors: list[tuple[str, Range]] = []
        offset = match.start(3)
        for part in re.finditer(r"[^,\s]+", match.group(3)):
            start = Pos(base.line, base.col + offset + part.start())
            selectors.append((part.group(), Range(start, Pos(start.line, start.col + len(part.group())))))
        yield Pragma(match.group(1).lower(), bool(match.group(2)), tuple(selectors), comment)


def selector_codes(selector: str) -> frozenset[str]:
    if re.fullmatch(r"SC\d{4}", selector.upper()):
        return frozenset({selector.upper()})
    return frozenset(r.code for r in registry().resolve(selector))


def apply_suppressions(findings: Sequence[Finding], model: Dockerfile) -> list[Finding]:
    """Drop suppressed findings and apply `# check=error=true`."""
    if not model.comments and "check" not in model.directives:
        return list(findings)
    global_codes: set[str] = set()
    per_instruction: dict[int, set[str]] = {}
    below = _instruction_below(model)
    for pragma in pragmas(all_comments(model)):
        codes: set[str] = set()
        for selector, _rng in pragma.selectors:
            codes |= selector_codes(selector)
        if pragma.is_global:
            global_codes |= codes
        else:
            target = below.get(pragma.comment.range.start.line)
            if target is not None:
                per_instruction.setdefault(target.index, set()).update(codes)
    skip, error = _check_directive(model)
    global_codes |= skip
    line_owner = _line_owners(model)
    kept: list[Finding] = []
    for finding in findings:
        if finding.code in global_codes:
            continue
        owner = line_owner.get(finding.range.start.line)
        if owner is not None and finding.code in per_instruction.get(owner, ()):
            continue
        if error and finding.code in error:
            finding = finding.with_(severity=Severity.ERROR)
        kept.append(finding)
    return kept


def all_comments(model: Dockerfile) -> Iterator[Comment]:
    yield from model.comments
    for inst in model.instructions:
        yield from inst.inner_comments


def _instruction_below(model: Dockerfile) -> dict[int, Instruction]:
    """Map each comment line to the instruction it annotates (directly below, or around it)."""
    owners: dict[int, Instruction] = {}
    pending: list[int] = []
    for node in model.nodes:
        if isinstance(node, Comment):
            pending.append(node.range.start.line)
        elif isinstance(node, Instruction):
            for line in pending:
                owners[line] = node
            pending = []
            for comment in node.inner_comments:
                owners[comment.range.start.line] = node
        else:
            pending = []
    return owners


def _line_owners(model: Dockerfile) -> dict[int, int]:
    owners: dict[int, int] = {}
    for inst in model.instructions:
        for line in range(inst.first_line, inst.last_line + 1):
            owners[line] = inst.index
    return owners


def _check_directive(model: Dockerfile) -> tuple[set[str], set[str]]:
    """BuildKit's `# check=skip=<names>;error=true`: codes to skip, codes raised to errors."""
    directive = model.directives.get("check")
    if directive is None:
        return set(), set()
    skip: set[str] = set()
    error = False
    for part in directive.value.split(";"):
        key, _, value = part.partition("=")
        key = key.strip().lower()
        if key == "skip":
            for name in value.split(","):
                name = name.strip()
                if name.lower() == "all":
                    skip |= {e.code for e in registry().entries if e.buildkit}
                elif name:
                    skip |= {r.code for r in registry().resolve(name) if r.buildkit}
        elif key == "error":
            error = value.strip().lower() == "true"
    buildkit_codes = {e.code for e in registry().entries if e.buildkit} if error else set()
    return skip, buildkit_codes
