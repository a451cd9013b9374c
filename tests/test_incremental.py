"""Per-instruction rules and the reuse of their findings across lints (`incremental.py`).

A per-instruction rule (`each=`) promises that its findings on an instruction depend only on that
instruction and what comes before it. The engine relies on that to keep findings while the file
up to an instruction is unchanged. Here the promise is checked on every corpus file and every rule
case: cut the file after an instruction and the findings on every instruction up to the cut must
not change. Then lints after edits must equal lints with nothing kept.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from docklint import shellcheck
from docklint.config import Config
from docklint.engine import enabled_rules, lint_text, read_text
from docklint.model.dockerfile import Dockerfile, parse
from docklint.model.memo import clear_all
from docklint.registry import registry
from docklint.rule import Context, Finding, Rule, Severity, rule

from .conftest import corpus_files

ROOT = Path(__file__).resolve().parent.parent
EVERY_RULE = Config(extend_select=tuple(e.code for e in registry().entries_of_kind("dockerfile")))


def _each_rules() -> list[Rule]:
    return [r for r in enabled_rules(EVERY_RULE) if r.each]


def _case_texts() -> list[str]:
    texts = []
    for path in sorted((ROOT / "tests" / "rules" / "cases").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts.extend(case["dockerfile"] for case in data["cases"] if "dockerfile" in case and "files" not in case)
    return texts


def _view(finding: Finding) -> tuple[Any, ...]:
    fix = finding.fix
    return (finding.code, finding.range, finding.message, (fix.title, fix.edits, fix.safety) if fix else None)


def _by_instruction(df: Dockerfile, rules: list[Rule], upto: int) -> dict[tuple[int, str], tuple[Any, list[Any]]]:
    """Findings of each rule on each top-level instruction up to index `upto`, by (index, rule),
    with the values of the facts the rule is given (`Rule.given`) for that instruction."""
    found: dict[tuple[int, str], tuple[Any, list[Any]]] = {}
    for each in rules:
        ctx = Context(each, EVERY_RULE.severity_of(each), EVERY_RULE, df.path, EVERY_RULE.options_for(each))
        for inst in each.instructions_of(df):
            top = inst.parent if inst.parent is not None else inst
            if top.index <= upto:
                facts = tuple(fact(df, top) for fact in each.given)
                entry = found.setdefault((top.index, each.code), (facts, []))
                entry[1].extend(_view(f) for f in each.check(df, inst, ctx))
    return found


def _cuts(df: Dockerfile, rng: random.Random) -> list[int]:
    count = len(df.instructions)
    if count <= 12:
        return list(range(count))
    return sorted(rng.sample(range(count), 4))


def _contract_breaks(text: str, name: str, rules: list[Rule], rng: random.Random) -> list[str]:
    whole = parse(text, name)
    broken = []
    for cut in _cuts(whole, rng):
        last = whole.instructions[cut].last_line
        end = whole.source.line_start(last + 1) if last + 1 < whole.source.line_count else len(text)
        prefix = parse(text[:end], name)
        if len(prefix.instructions) != cut + 1:
            continue  # the cut changed how the last instruction parses (an open heredoc)
        before, after = _by_instruction(whole, rules, cut), _by_instruction(prefix, rules, cut)
        # Where the cut changed a fact a rule is given, the rule may find otherwise: skip those.
        same = {k for k in before.keys() & after.keys() if before[k][0] == after[k][0]}
        diff = {k: (before[k][1], after[k][1]) for k in same if before[k][1] != after[k][1]}
        if diff or before.keys() != after.keys():
            broken.append(f"{name} cut after instruction {cut}: {diff or sorted(before.keys() ^ after.keys())}")
    return broken


def test_per_instruction_rules_read_nothing_after_their_instruction(corpus: list[Path]) -> None:
    rules = _each_rules()
    assert len(rules) >= 3
    rng = random.Random(11)
    broken = []
    for path in corpus:
        broken += _contract_breaks(read_text(path), str(path), rules, rng)
    for index, text in enumerate(_case_texts()):
        broken += _contract_breaks(text, f"case-{index}/Dockerfile", rules, rng)
    assert not broken, "\n".join(broken[:20])


def _edits(text: str, rng: random.Random) -> list[str]:
    """The text after edits an editor makes: a line typed at the end, in the middle and at the
    top, a line removed, a character changed in the middle."""
    lines = text.split("\n")
    middle = rng.randrange(len(lines))
    changed = list(lines)
    changed[middle] = changed[middle][: len(changed[middle]) // 2] + "x" + changed[middle][len(changed[middle]) // 2 :]
    return [
        text + "RUN echo typed\n",
        "\n".join([*lines[:middle], "RUN apt-get install -y curl", *lines[middle:]]),
        "\n\n" + text,
        "\n".join(lines[:middle] + lines[middle + 1 :]),
        "\n".join(changed),
    ]


def _findings(text: str, path: str) -> list[Finding]:
    return lint_text(text, path, EVERY_RULE).findings


def test_findings_after_edits_equal_findings_with_nothing_kept(corpus: list[Path]) -> None:
    rng = random.Random(12)
    sample = rng.sample(corpus, 60) + [p for p in corpus if p.stat().st_size > 12_000][:6]
    for path in sample:
        text = read_text(path)
        for edited in _edits(text, rng):
            clear_all()
            fresh = _findings(edited, str(path))
            clear_all()
            _findings(text, str(path))  # what the editor linted before the edit
            assert _findings(edited, str(path)) == fresh, (path, edited[:200])


def test_findings_above_an_edit_are_kept_and_those_below_checked_again() -> None:
    text = "FROM alpine:3.20\nADD app/ /srv/app/\nWORKDIR srv\n"
    clear_all()
    first = _findings(text, "Dockerfile")
    below = _findings(text + "WORKDIR tmp\n", "Dockerfile")
    assert [(f.code, f.range.start.line) for f in below if f.code in ("DL3020", "DL3000")] == [
        ("DL3020", 1), ("DL3000", 2), ("DL3000", 3)
    ]
    assert [f for f in below if f.range.start.line < 3] == [f for f in first if f.range.start.line < 3]
    above = _findings("# a comment\n\n" + text, "Dockerfile")
    assert [(f.code, f.range.start.line) for f in above if f.code in ("DL3020", "DL3000")] == [("DL3020", 3), ("DL3000", 4)]
    fix = next(f.fix for f in above if f.code == "DL3020")
    assert fix is not None and fix.edits[0].range.start.line == 3


def test_a_comment_edited_into_a_shell_pragma_checks_what_follows_again() -> None:
    # The same lines, the same instructions: only a comment changed, and the RUN's shell with it.
    before = "FROM alpine:3.20\n# note\nRUN cd /x && echo hi | grep h\n"
    after = "FROM alpine:3.20\n# hadolint shell=pwsh\nRUN cd /x && echo hi | grep h\n"
    clear_all()
    fresh = _findings(after, "Dockerfile")
    assert "DL4006" not in {f.code for f in fresh}
    clear_all()
    assert "DL4006" in {f.code for f in _findings(before, "Dockerfile")}
    assert _findings(after, "Dockerfile") == fresh


def test_a_new_config_is_not_given_findings_kept_for_another() -> None:
    text = "FROM alpine:3.20\nWORKDIR srv\n"
    clear_all()
    assert {f.code for f in lint_text(text, "Dockerfile").findings} >= {"DL3000"}
    quiet = Config(severity_overrides={"DL3000": None})
    assert "DL3000" not in {f.code for f in lint_text(text, "Dockerfile", quiet).findings}
    louder = Config(severity_overrides={"DL3000": Severity.INFO})
    assert [f.severity for f in lint_text(text, "Dockerfile", louder).findings if f.code == "DL3000"] == [Severity.INFO]


@rule(
    code="DF999",
    name="test-crash",
    severity=Severity.ERROR,
    summary="crashes on purpose",
    message="never",
    rationale="a test rule",
    bad="",
    good="",
    each=("RUN",),
)
def _crashing(df: Dockerfile, inst: Any, ctx: Context) -> list[Finding]:
    raise RuntimeError("boom")


@pytest.mark.parametrize("twice", [False, True])
def test_a_per_instruction_rule_crash_is_one_finding(twice: bool) -> None:
    crashing = _crashing.__dlint_rule__  # type: ignore[attr-defined]
    text = "FROM alpine:3.20\nRUN a\nRUN b\n"
    clear_all()
    if twice:
        lint_text(text, "Dockerfile", rules=[crashing])
    found = lint_text(text + "RUN c\n", "Dockerfile", rules=[crashing]).findings
    assert [(f.code, f.message) for f in found] == [
        ("DF000", "rule DF999 (test-crash) crashed: RuntimeError: boom; this is a bug in dlint, please report it")
    ]


@pytest.mark.skipif(shellcheck.binary() is None, reason="ShellCheck is not installed")
def test_shellcheck_findings_are_kept_per_instruction(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "FROM alpine:3.20\nRUN echo $undefined\n"
    config = Config(select=("SC2154",))
    clear_all()
    first = lint_text(text, "Dockerfile", config).findings
    assert [(f.code, f.range.start.line) for f in first] == [("SC2154", 1)]
    # Kept: a lint after an edit below starts no ShellCheck process and finds the same.
    monkeypatch.setattr(shellcheck, "Call", None)
    assert lint_text(text + "LABEL a=b\n", "Dockerfile", config).findings == first


def test_shellcheck_results_are_not_kept_when_shellcheck_failed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    broken = tmp_path / "shellcheck"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setattr(shellcheck, "_binary", [str(broken)])
    monkeypatch.setattr(shellcheck, "_cache", {})  # nothing checked before
    text = "FROM alpine:3.20\nRUN echo $undefined\n"
    config = Config(select=("SC2154",))
    clear_all()
    assert lint_text(text, "Dockerfile", config).findings == []
    monkeypatch.undo()
    if shellcheck.binary() is not None:
        assert [f.code for f in lint_text(text, "Dockerfile", config).findings] == ["SC2154"]


def test_prefix_ids_are_bounded_and_never_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    from docklint import incremental

    monkeypatch.setattr(incremental, "_PREFIX_LIMIT", 50)
    monkeypatch.setattr(incremental, "_PREFIXES", {})
    seen: set[int] = set()
    for index in range(40):
        text = f"FROM alpine:3.20\nLABEL n={index}\nRUN echo {index}\nWORKDIR /w{index}\n"
        ids = incremental.prefix_ids(parse(text, "bounded/Dockerfile"))
        assert len(incremental._PREFIXES) <= 50 + len(ids)
        assert not (set(ids[1:]) & seen)  # a new text never gets an id another text had
        seen.update(ids[1:])
