"""Rule gates (`needs_instructions`, `needs_text`) never hide a finding.

The engine skips a Dockerfile rule whose gate says it cannot fire on a file, without importing its
module. Case files check the gate on every case that fires (tests/rules/test_cases.py); this runs
the skipped rules anyway on every corpus file and on the examples, and asserts they find nothing.
"""

from __future__ import annotations

from pathlib import Path

from docklint.config import Config
from docklint.engine import enabled_rules, gate_text, instruction_keywords, run_rules
from docklint.model.dockerfile import parse
from docklint.registry import registry

from .conftest import corpus_files

ROOT = Path(__file__).resolve().parent.parent
EVERY_RULE = Config(extend_select=tuple(e.code for e in registry().entries_of_kind("dockerfile")))


def _skipped_findings(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    model = parse(text, str(path), str(path.parent))
    keywords, joined = instruction_keywords(model), gate_text(model)
    everything = enabled_rules(EVERY_RULE)
    skipped = [r for r in everything if not registry().entry_by_code[r.code].can_fire(keywords, joined.__contains__)]
    return [f"{f.code} at {f.range.start.line + 1}: {f.message}" for f in run_rules(model, skipped, EVERY_RULE, str(path))]


def test_gates_skip_rules_only_where_they_find_nothing() -> None:
    files = [*corpus_files(), *sorted((ROOT / "examples").rglob("*Dockerfile*"))]
    assert len(files) > 1000
    wrong = {str(p): found for p in files if (found := _skipped_findings(p))}
    assert not wrong, wrong


def test_rules_about_something_missing_still_run_on_a_bare_file() -> None:
    codes = {r.code for r in enabled_rules(EVERY_RULE, model=parse("FROM scratch\n"))}
    assert {"DF101", "DL3006", "DL3057"} <= codes  # no USER, base image checks, no HEALTHCHECK


def test_gate_strings_are_found_after_edits_as_in_a_fresh_search() -> None:
    """The engine searches only the changed part of an edited file for gate strings."""
    import random

    from docklint import engine

    rng = random.Random(5)
    needles = ["apt", "apt-get", "curl", "pip", "$", "@", "http://", "zz", "a", "RUN"]
    text = "FROM debian:12\nRUN apt-get update && curl -fsSL http://x\n"
    for _ in range(300):
        at = rng.randrange(len(text) + 1)
        cut = rng.randrange(0, 4)
        text = text[:at] + rng.choice(["", "p", "ip", "apt", "@", "-get", "http:", "//", "z", "\n"]) + text[at + cut :]
        occurs, positions = engine._finder("gates/Dockerfile", text)
        asked = rng.sample(needles, 5)
        assert {n: occurs(n) for n in asked} == {n: n in text for n in asked}
        assert all(positions[n] == text.find(n) for n in asked)
        engine._GATE_FINDS.put("gates/Dockerfile", (text, positions))
