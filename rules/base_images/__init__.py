"""Rules about base images: tags and pinning of FROM. The package's other modules hold the
rules about registries (`registries.py`), end-of-life and bloated bases (`lifecycle.py`) and
remote ADD sources (`remote.py`)."""

from __future__ import annotations

from typing import Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.model.nodes import Instruction
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
    each=("FROM",),
)
def image_tag_missing(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    stage = df.stage_started_by(inst)
    base = stage.base if stage is not None else None
    # Variables are DF202's business: their value is only a default here.
    if stage is None or base is None or "$" in stage.base_text:
        return
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
    each=("FROM",),
)
def image_tag_latest(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    stage = df.stage_started_by(inst)
    base = stage.base if stage is not None else None
    if stage is None or base is None or "$" in stage.base_text:
        return
    if base.tag == "latest" and base.digest is None:
        yield ctx.finding(stage.base_range, image=stage.base_text)


@rule(
    code="DF201",
    name="base-image-not-digest-pinned",
    severity=Severity.INFO,
    summary="FROM uses a tag without an `@sha256:` digest (only with `require-digest` or `strict`)",
    message="`{image}` is pinned by tag only, and tags can be moved to other images; "
    "append its digest: `{image}@sha256:<digest>`",
    rationale=(
        "A tag is a mutable pointer: the publisher (or anyone who compromises the registry "
        "account) can point it at a different image, and the next build silently uses it. A "
        "digest names exactly one image. Digest pinning needs a process to refresh the digests "
        "(Renovate, Dependabot), so this rule only reports when `require-digest: true` or "
        "`strict: true` is configured."
    ),
    bad="FROM python:3.12-slim",
    good="FROM python:3.12-slim@sha256:2f4a9e1cd1c1ae8b7c49b3c3c5a5f4b8e4c1a4e95a1b3c7d9e0f2a4b6c8d0e2f",
    tags=("base",),
    each=("FROM",),
)
def base_image_not_digest_pinned(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    if not (ctx.config.require_digest or ctx.config.strict):
        return
    stage = df.stage_started_by(inst)
    base = stage.base if stage is not None else None
    if stage is None or base is None or base.digest is not None or "@" in stage.base_text:
        return
    if stage.base_unresolved:
        return  # the image comes from a build argument without a default
    yield ctx.finding(stage.base_range, image=stage.base_text)


@rule(
    code="DF202",
    name="from-arg-default-unpinned",
    severity=Severity.WARNING,
    summary="FROM takes its image from an ARG whose default is untagged or `latest`",
    message="`{written}` resolves to `{image}` by default, which {problem}, so builds without "
    "`--build-arg` pull whatever is newest; give the ARG a pinned default such as `{name}:<version>`",
    rationale=(
        "DL3006 and DL3007 cannot see through variables: `ARG BASE=node` then `FROM ${BASE}` "
        "pulls `node:latest` unless every build passes `--build-arg`. The default is what local "
        "builds, CI jobs that forget the argument, and other readers get."
    ),
    bad="ARG BASE=node\nFROM ${BASE}",
    good="ARG BASE=node:22.11-bookworm-slim\nFROM ${BASE}",
    tags=("base",),
    each=("FROM",),
)
def from_arg_default_unpinned(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    stage = df.stage_started_by(inst)
    base = stage.base if stage is not None else None
    if stage is None or base is None or "$" not in stage.base_text or stage.base_unresolved or base.digest is not None:
        return
    if base.tag is None:
        problem = "has no tag"
    elif base.tag == "latest":
        problem = "uses the `latest` tag"
    else:
        return
    yield ctx.finding(
        stage.base_range, written=stage.base_text, image=base.text, problem=problem, name=base.short_name
    )
