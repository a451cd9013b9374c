"""Rules about build stages and how they refer to each other."""

from __future__ import annotations

from typing import Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.rule import Context, Finding, Severity, rule


@rule(
    code="DL3024",
    name="duplicate-stage-name",
    severity=Severity.ERROR,
    summary="Two stages share a name",
    message="stage name `{name}` is already used on line {line}, so `--from={name}` and "
    "`--target` become ambiguous; give each stage its own name",
    rationale=(
        "Stage names are how `COPY --from`, `FROM <stage>` and `--target` find a stage. "
        "BuildKit refuses a file with a repeated name, and older builders silently pick one."
    ),
    bad="FROM golang:1.23 AS build\nFROM alpine:3.20 AS build",
    good="FROM golang:1.23 AS build\nFROM alpine:3.20 AS runtime",
    buildkit=("DuplicateStageName",),
)
def duplicate_stage_name(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for stage in df.stages:
        if stage.name is None or stage.name_range is None:
            continue
        key = stage.name.lower()
        if key in seen:
            yield ctx.finding(stage.name_range, name=stage.name, line=seen[key] + 1)
        else:
            seen[key] = stage.from_.keyword_range.start.line
