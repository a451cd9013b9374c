"""Rules about base images: tags, pinning and where images come from."""

from __future__ import annotations

from typing import Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.rule import Context, Finding, Severity, rule


@rule(
    code="DL3006",
    name="image-tag-missing",
    severity=Severity.WARNING,
    summary="FROM names an image without a tag",
    message="`{image}` has no tag, so every build may pull a different image; "
    "pin a version such as `{image}:<version>`",
    rationale=(
        "Without a tag Docker pulls `latest`, which moves whenever the publisher pushes. "
        "Two builds of the same Dockerfile can then produce different images, and a breaking "
        "base-image release lands in your build unannounced."
    ),
    bad="FROM debian",
    good="FROM debian:12.7-slim",
    tags=("base",),
)
def image_tag_missing(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    for stage in df.stages:
        base = stage.base
        # Variables are DF202's business: their value is only a default here.
        if base is None or "$" in stage.base_text:
            continue
        if base.tag is None and base.digest is None:
            yield ctx.finding(stage.base_range, image=stage.base_text)


@rule(
    code="DL3007",
    name="image-tag-latest",
    severity=Severity.WARNING,
    summary="FROM uses the `latest` tag",
    message="`{image}` uses the `latest` tag, which changes under you on every release; "
    "pin a specific version tag",
    rationale=(
        "`latest` is just the tag a publisher moved most recently. Builds stop being "
        "reproducible, and an incompatible new release can break the image without any change "
        "to the Dockerfile."
    ),
    bad="FROM node:latest",
    good="FROM node:22.11-bookworm-slim",
    tags=("base",),
)
def image_tag_latest(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    for stage in df.stages:
        base = stage.base
        if base is None or "$" in stage.base_text:
            continue
        if base.tag == "latest" and base.digest is None:
            yield ctx.finding(stage.base_range, image=stage.base_text)
