"""The compose "ignore" edits (lsp/yaml_pragmas.py) silence exactly what they say.

Property over every compose rule case that fires: the "for this entry" edit removes that
finding, keeps the file valid YAML (no RT100) and leaves findings of other codes alone; the
"in this file" edit removes every finding of the code. Plus the placement details.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from docklint.config import Config
from docklint.config_files import config_from_mapping
from docklint.engine import lint_document
from docklint.fixer import apply_edits
from docklint.lsp.yaml_pragmas import entry_line, ignore_entry, ignore_yaml_file
from docklint.model.compose import parse

CASES = Path(__file__).resolve().parent.parent / "rules" / "cases"


def _firing_compose_cases() -> list[Any]:
    params = []
    for path in sorted(CASES.glob("RT*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in data["cases"]:
            if "compose" in case and case.get("expect") and "xfail" not in case and data["rule"] != "RT100":
                config = config_from_mapping(dict(case.get("config") or {}), source="case")
                config = Config(**{**config.__dict__, "extend_select": (*config.extend_select, data["rule"])})
                params.append(pytest.param(data["rule"], case["compose"], config, id=f"{data['rule']}::{case['name']}"))
    return params


def _findings(text: str, config: Config) -> list[Any]:
    return lint_document(text, "compose.yaml", config, kind="compose").findings


@pytest.mark.parametrize(("code", "text", "config"), _firing_compose_cases())
def test_ignore_edits_silence_the_finding(code: str, text: str, config: Config) -> None:
    before = _findings(text, config)
    target = next(f for f in before if f.code == code)
    edit = ignore_entry(parse(text), target.range.start.line, code)
    assert edit is not None
    after = _findings(apply_edits(text, [edit]), config)
    assert "RT100" not in {f.code for f in after}, apply_edits(text, [edit])
    inserted = edit.range.start.line if edit.new_text.endswith("\n") else None  # a new line, or a pragma extended
    moved = target.range.start.line + (1 if inserted is not None and target.range.start.line >= inserted else 0)
    assert not [f for f in after if f.code == code and (f.range.start.line, f.range.start.col) == (moved, target.range.start.col)]
    others = sorted((f.code, f.message) for f in before if f.code != code)
    assert sorted((f.code, f.message) for f in after if f.code != code) == others

    whole = ignore_yaml_file(parse(text), code)
    assert whole is not None
    assert not [f for f in _findings(apply_edits(text, [whole]), config) if f.code == code]


def test_pragma_goes_above_the_innermost_entry_at_its_indentation() -> None:
    text = "services:\n  web:\n    image: nginx:1.27\n    privileged: true\n"
    edit = ignore_entry(parse(text), 3, "RT101")
    assert edit is not None
    assert apply_edits(text, [edit]) == (
        "services:\n  web:\n    image: nginx:1.27\n    # dlint ignore=RT101\n    privileged: true\n"
    )


def test_block_scalar_lines_belong_to_their_key() -> None:
    text = "services:\n  web:\n    command: |\n      echo one\n      echo two\n"
    assert entry_line(parse(text), 4) == 2


def test_existing_pragma_is_extended_and_not_repeated() -> None:
    text = "services:\n  web:\n    # dlint ignore=RT102\n    privileged: true\n"
    edit = ignore_entry(parse(text), 3, "RT101")
    assert edit is not None
    assert apply_edits(text, [edit]) == "services:\n  web:\n    # dlint ignore=RT102,RT101\n    privileged: true\n"
    assert ignore_entry(parse(text), 3, "RT102") is None


def test_file_pragma_keeps_crlf() -> None:
    text = "services:\r\n  web:\r\n    privileged: true\r\n"
    edit = ignore_yaml_file(parse(text), "RT101")
    assert edit is not None
    assert apply_edits(text, [edit]).startswith("# dlint global ignore=RT101\r\nservices:")
