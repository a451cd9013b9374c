"""BuildKit's `# check=` parser directive and BuildKit check names as selectors.

`# check=skip=<Name>,...` silences the rules mapped to those BuildKit checks, `skip=all` every
rule that has a BuildKit name, and `error=true` raises those rules' findings to error; rules
without a BuildKit name are untouched. `MultipleInstructionsDisallowed` maps to three rules.
"""

from __future__ import annotations

from docklint.config import Config
from docklint.engine import lint_text
from docklint.registry import registry
from docklint.rule import Severity

# Fires JSONArgsRecommended (DL3025), StageNameCasing (DF402), FromAsCasing (DF403),
# MultipleInstructionsDisallowed (DL4003) and the non-BuildKit DL3059.
BODY = """FROM golang:1.23 as Build
RUN mkdir /src
RUN chown nobody /src
CMD go run .
CMD ["/app"]
"""
CODES = ("DL3025", "DF402", "DF403", "DL4003", "DL3059")


def _codes(text: str, config: Config | None = None) -> dict[str, Severity]:
    config = config or Config(select=CODES)
    return {f.code: f.severity for f in lint_text(text, "Dockerfile", config).findings}


def test_body_fires_every_rule_without_directive() -> None:
    assert set(_codes(BODY)) == set(CODES)


def test_skip_named_checks() -> None:
    found = _codes("# check=skip=JSONArgsRecommended,StageNameCasing\n" + BODY)
    assert set(found) == {"DF403", "DL4003", "DL3059"}


def test_skip_names_are_case_insensitive_and_spaced() -> None:
    found = _codes("# check=skip= jsonargsrecommended , FromAsCasing\n" + BODY)
    assert set(found) == {"DF402", "DL4003", "DL3059"}


def test_skip_all_leaves_rules_without_buildkit_name() -> None:
    assert set(_codes("# check=skip=all\n" + BODY)) == {"DL3059"}


def test_error_true_raises_mapped_rules_only() -> None:
    found = _codes("# check=error=true\n" + BODY)
    assert found["DL3025"] is Severity.ERROR
    assert found["DF402"] is Severity.ERROR
    assert found["DL4003"] is Severity.ERROR
    assert found["DL3059"] is Severity.INFO


def test_skip_and_error_together() -> None:
    found = _codes("# check=skip=StageNameCasing;error=true\n" + BODY)
    assert "DF402" not in found
    assert found["DF403"] is Severity.ERROR


def test_multiple_instructions_disallowed_skips_three_rules() -> None:
    text = (
        "# check=skip=MultipleInstructionsDisallowed\nFROM alpine:3.20\n"
        'HEALTHCHECK NONE\nHEALTHCHECK NONE\nCMD ["a"]\nCMD ["b"]\nENTRYPOINT ["a"]\nENTRYPOINT ["b"]\n'
    )
    config = Config(select=("DL3012", "DL4003", "DL4004"))
    assert _codes(text, config) == {}
    assert set(_codes(text.split("\n", 1)[1], config)) == {"DL3012", "DL4003", "DL4004"}


def test_kebab_name_selects_all_rules_carrying_it() -> None:
    rules = {r.code for r in registry().resolve("multiple-instructions-disallowed")}
    assert rules == {"DL3012", "DL4003", "DL4004"}
    assert {r.code for r in registry().resolve("MultipleInstructionsDisallowed")} == rules
    by_name = Config(select=("multiple-instructions-disallowed",))
    assert {r.code for r in registry().rules if by_name.is_enabled(r)} == rules
    ignored = Config(ignore=("MultipleInstructionsDisallowed",))
    assert not any(ignored.is_enabled(registry().by_code[code]) for code in rules)


def test_buildkit_name_in_pragma() -> None:
    text = BODY.replace("FROM golang:1.23 as Build", "# dlint ignore=StageNameCasing\nFROM golang:1.23 as Build")
    assert "DF402" not in _codes(text)


def test_directive_must_be_at_the_top() -> None:
    text = BODY + "# check=skip=all\n"
    assert set(_codes(text)) == set(CODES)
