"""Rule cases as data: every `tests/rules/cases/*.yaml` runs its one rule on each case.

A case gives `dockerfile` (or `image`/`compose`/`daemon`), the exact `expect`ed findings (1-based
`line`, and `col`, `end_line`, `end_col` where they matter), an optional `config`, and `fixed`:
the text after applying the rule's fixes. A firing case without `fixed` asserts that the fix
changes nothing. `xfail: reason` marks a known gap (strict).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from docklint.config import Config
from docklint.config_files import config_from_mapping
from docklint.engine import gate_text, instruction_keywords, lint_document
from docklint.fixer import fix_text
from docklint.registry import registry

CASES = Path(__file__).parent / "cases"
# The text of a case by kind, and the file name it is linted under.
KINDS = {"dockerfile": "Dockerfile", "compose": "compose.yaml", "daemon": "daemon.json"}


def _load() -> list[Any]:
    params = []
    for path in sorted(CASES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        code = data["rule"]
        for case in data["cases"]:
            if not any(kind in case for kind in KINDS):
                continue  # image cases run in their own module
            marks = [pytest.mark.xfail(reason=case["xfail"], strict=True)] if "xfail" in case else []
            params.append(pytest.param(code, case, id=f"{code}::{case['name']}", marks=marks))
    return params


def _config(case: dict[str, Any], code: str) -> Config:
    data = dict(case.get("config") or {})
    config = config_from_mapping(data, source=f"case {case['name']}")
    # The rule under test runs even when it is opt-in.
    return Config(**{**config.__dict__, "extend_select": (*config.extend_select, code)})


def _context(case: dict[str, Any], tmp_path: Path) -> str | None:
    """`files:` (path -> content; a path ending in `/` is an empty folder) becomes a build context."""
    if "files" not in case:
        return case.get("context")
    root = tmp_path / "context"
    root.mkdir()
    for name, content in (case["files"] or {}).items():
        target = root / name
        if name.endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content or "", encoding="utf-8")
    return str(root)


@pytest.mark.parametrize(("code", "case"), _load())
def test_rule_case(code: str, case: dict[str, Any], tmp_path: Path) -> None:
    rule = registry().by_code[code]
    config = _config(case, code)
    kind = next(k for k in KINDS if k in case)
    path = KINDS[kind]
    text = case[kind]
    if case.get("crlf"):
        text = text.replace("\n", "\r\n")
    context_dir = _context(case, tmp_path)
    result = lint_document(
        text, path, config, kind=kind, context_dir=context_dir, rules=[rule], image_platform=case.get("image_platform")
    )
    got = [f for f in result.findings if f.code == code]
    expected = case["expect"]
    if got and kind == "dockerfile":  # the engine would not have run the rule at all otherwise
        entry = registry().entry_by_code[code]
        assert entry.can_fire(instruction_keywords(result.model), gate_text(result.model).__contains__), f"{code} fires but its needs_* gate says it cannot"
    assert len(got) == len(expected), [f"{f.range.start}: {f.message}" for f in got]
    for finding, want in zip(got, expected):
        start, end = finding.range.start, finding.range.end
        assert start.line + 1 == want["line"], finding.message
        if "col" in want:
            assert start.col + 1 == want["col"], finding.message
        if "end_line" in want:
            assert end.line + 1 == want["end_line"], finding.message
        if "end_col" in want:
            assert end.col + 1 == want["end_col"], finding.message
        if "message" in want:
            assert want["message"] in finding.message
        if "severity" in want:
            assert finding.severity == want["severity"], finding.message
    outcome = fix_text(text, path, config, unsafe=True, rules=[rule], kind=kind)
    if "fixed" in case:
        fixed = case["fixed"].replace("\n", "\r\n") if case.get("crlf") else case["fixed"]
        assert outcome.text == fixed
        again = lint_document(outcome.text, path, config, kind=kind, rules=[rule])
        assert not [f for f in again.findings if f.code == code]
    else:
        assert outcome.text == text, "the rule fixes this case: add `fixed:`"


def test_every_case_file_names_a_rule() -> None:
    known = registry().by_code
    for path in CASES.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data["rule"] in known, path.name
        assert path.stem == data["rule"], path.name


def test_every_rule_has_cases_that_fire_and_that_do_not() -> None:
    missing = []
    for rule in registry().rules:
        if rule.kind == "engine":
            continue  # reported by the engine itself (DF000), covered by engine tests
        path = CASES / f"{rule.code}.yaml"
        if not path.exists():
            missing.append(rule.code)
            continue
        cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
        assert any(c["expect"] for c in cases), f"{rule.code}: no case that fires"
        assert any(not c["expect"] for c in cases), f"{rule.code}: no case that must not fire"
    assert not missing, f"rules without a case file: {missing}"
