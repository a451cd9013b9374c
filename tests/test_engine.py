"""The engine: a crashing rule becomes one DF000 finding and the other rules still run."""

from __future__ import annotations

from typing import Iterator

from docklint.engine import lint_text
from docklint.registry import registry
from docklint.rule import Context, Finding, Rule, Severity


def _boom(df: object, ctx: Context) -> Iterator[Finding]:
    raise ValueError("kaboom")
    yield  # pragma: no cover


def test_rule_crash_becomes_internal_error_and_others_run() -> None:
    crashing = Rule(
        code="DF999", name="crashes", severity=Severity.ERROR, summary="s", message="m",
        rationale="r", bad="b", good="g", check=_boom,
    )  # fmt: skip
    tag_missing = registry().by_code["DL3006"]
    result = lint_text("FROM debian\n", "Dockerfile", rules=[crashing, tag_missing])
    codes = [f.code for f in result.findings]
    assert codes == ["DF000", "DL3006"]
    internal = result.findings[0]
    assert "DF999" in internal.message and "kaboom" in internal.message
    assert internal.path == "Dockerfile"


def test_internal_error_is_documented_in_the_registry() -> None:
    rule = registry().by_code["DF000"]
    assert rule.name == "internal-error" and rule.kind == "engine"
