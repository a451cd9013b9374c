"""Rules about the file itself: syntax errors the parser found and pragmas naming no rule."""

from __future__ import annotations

from typing import Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.registry import registry
from docklint.rule import Context, Finding, Severity, rule
from docklint.suppress import all_comments, pragmas


@rule(
    code="DF000",
    name="internal-error",
    severity=Severity.ERROR,
    summary="dlint itself failed on this input (a bug in dlint)",
    message="{problem}; this is a bug in dlint, please report it",
    rationale=(
        "A rule or reader crashed on this input. The other rules still ran, so the rest of "
        "the report stands, but this one check is missing. Run with `--debug` for the "
        "traceback and report it with the input that triggers it."
    ),
    bad="(no example: the engine reports this code when a rule crashes)",
    good="(no example)",
    kind="engine",
)
def internal_error(model: object, ctx: Context) -> Iterator[Finding]:
    """Never run: the engine wraps every rule call and reports crashes under this code."""
    return iter(())


@rule(
    code="DF401",
    name="dockerfile-syntax-error",
    severity=Severity.ERROR,
    summary="The Dockerfile cannot be parsed at this point",
    message="{problem}, so the build stops here; fix the syntax",
    rationale=(
        "BuildKit rejects the whole file when one instruction is malformed: an unknown "
        "instruction, a flag the instruction does not take, a missing argument or a heredoc "
        "that never ends. dlint keeps linting the rest, but the image will not build."
    ),
    bad="FROM alpine:3.20\nRUNN echo hello",
    good="FROM alpine:3.20\nRUN echo hello",
)
def dockerfile_syntax_error(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    for problem in df.problems:
        yield ctx.finding(problem.range, problem=problem.message)


@rule(
    code="DF400",
    name="unknown-rule-in-pragma",
    severity=Severity.WARNING,
    summary="An ignore pragma names a rule that does not exist",
    message="`{selector}` names no dlint rule, so this pragma silences nothing; "
    "check the code with `dlint rules`",
    rationale=(
        "A typo in an ignore pragma silently suppresses nothing, and the finding it was meant "
        "to silence keeps showing up, or a renamed rule goes unnoticed. dlint accepts rule codes, "
        "names, prefixes, BuildKit check names and ShellCheck SC codes."
    ),
    bad="FROM alpine:3.20\n# dlint ignore=DL9999\nRUN echo hello",
    good="# dlint ignore=DL3006\nFROM alpine",
)
def unknown_rule_in_pragma(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    known = registry()
    for pragma in pragmas(all_comments(df)):
        for selector, rng in pragma.selectors:
            if not known.is_known(selector):
                yield ctx.finding(rng, selector=selector)
