"""`dlint --fix` over a copy of the whole corpus: every file still parses, the fixes settle (no
fixable finding is left), nothing changes outside the instructions that had fixes, and a second
`--fix` changes nothing."""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from docklint.engine import lint_text, read_text
from docklint.model.dockerfile import parse

from .conftest import CORPUS


def _instructions(text: str) -> list[str]:
    df = parse(text)
    return [df.source.slice(i.range) for i in df.instructions]


def _fixable_lines(text: str) -> set[int]:
    """Instruction indexes (in `text`) that hold a finding with a safe fix."""
    result = lint_text(text)
    df = result.model
    owners = {}
    for inst in df.instructions:
        for line in range(inst.first_line, inst.last_line + 1):
            owners[line] = inst.index
    touched = set()
    for finding in result.findings:
        if finding.fix is not None and finding.fix.safety == "safe":
            for edit in finding.fix.edits:
                for line in range(edit.range.start.line, edit.range.end.line + 1):
                    if line in owners:
                        touched.add(owners[line])
    return touched


def _run_fix(folder: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "docklint", "--fix", "--no-progress", "--format", "json", str(folder)],
        capture_output=True, text=True, env=env, timeout=1800,
    )  # fmt: skip


@pytest.mark.timeout(2400)
def test_fix_whole_corpus(tmp_path: Path) -> None:
    work = tmp_path / "corpus"
    shutil.copytree(CORPUS, work)
    files = sorted(p for p in work.rglob("*") if p.is_file() and p.suffix not in (".tsv", ".md", ".txt"))
    before = {p: read_text(p) for p in files}
    first = _run_fix(work)
    assert first.returncode in (0, 1), first.stderr[-2000:]
    after = {p: read_text(p) for p in files}
    changed = [p for p in files if before[p] != after[p]]
    assert changed, "no file was fixed: the fix machinery did nothing"
    failures: list[str] = []
    fixed_codes: Counter[str] = Counter()
    for path in changed:
        old, new = before[path], after[path]
        old_problems = len(parse(old).problems)
        if len(parse(new).problems) > old_problems:
            failures.append(f"{path}: no longer parses cleanly")
        remaining = [f for f in lint_text(new, str(path)).findings if f.fix is not None and f.fix.safety == "safe"]
        if remaining:
            failures.append(f"{path}: fixable findings left: {sorted({f.code for f in remaining})}")
        allowed = _fixable_lines(old)
        matcher = difflib.SequenceMatcher(a=_instructions(old), b=_instructions(new), autojunk=False)
        for tag, a0, a1, _b0, _b1 in matcher.get_opcodes():
            if tag != "equal" and not all(i in allowed for i in range(a0, a1)):
                failures.append(f"{path}: instructions {a0 + 1}-{a1} changed without a fix")
    second = _run_fix(work)
    assert second.returncode in (0, 1), second.stderr[-2000:]
    again = [p for p in files if read_text(p) != after[p]]
    failures += [f"{p}: a second --fix changed it again" for p in again]
    for path in changed:
        old_codes = Counter(f.code for f in lint_text(before[path]).findings)
        new_codes = Counter(f.code for f in lint_text(after[path]).findings)
        fixed_codes.update(old_codes - new_codes)
    print("fixes applied by code:", dict(fixed_codes.most_common()))
    assert not failures, failures[:10]
