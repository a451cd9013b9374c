"""Rules about build stages and how they refer to each other (helpers in `stage_refs.py`)."""

from __future__ import annotations

import re
from typing import Iterator

from docklint.model.dockerfile import Dockerfile, copy_paths
from docklint.model.nodes import Instruction, Stage
from docklint.rule import Context, Finding, Fix, Severity, TextEdit, rule
# The helpers lived here first; other families import them from this module too.
from docklint.rules.stage_refs import (  # noqa: F401
    StageRef,
    copy_from,
    image_stages,
    referenced_stage,
    rename_stage_edits,
    root_base,
    stage_has,
    stage_refs,
    stage_usage,
)


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
    needs_text=("AS", "as", "As", "aS"),
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


# -- rules ---------------------------------------------------------------------------------


@rule(
    code="DL3022",
    name="copy-from-unknown-stage",
    severity=Severity.WARNING,
    summary="COPY --from names no earlier stage",
    message="`--from={name}` names no earlier stage, so it is pulled as an image (or read from a "
    "`--build-context`); point it at a stage defined above or, for an image, pin a tag "
    "(`{name}:<version>`)",
    rationale=(
        "A `--from` value that matches no stage is silently treated as an image name: a typo in a "
        "stage name pulls whatever image has that name, or fails late in the build. Stage names "
        "match case-insensitively, as in BuildKit (hadolint compares them case-sensitively); a "
        "value with a tag or digest is taken as a deliberate image reference."
    ),
    bad="FROM golang:1.23 AS build\nFROM alpine:3.20\nCOPY --from=biuld /out/app /usr/bin/app",
    good="FROM golang:1.23 AS build\nFROM alpine:3.20\nCOPY --from=build /out/app /usr/bin/app",
    needs_instructions=("COPY",),
)
def copy_from_unknown_stage(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    names = [s.name.lower() if s.name else None for s in df.stages]
    for inst in df.of("COPY"):
        ref = copy_from(df, inst)
        current = inst.stage_index
        if ref is None or not ref.resolved or not ref.value or current < 0:
            continue
        value = ref.value
        if value.isdigit():
            if int(value) > current:
                yield ctx.finding(
                    ref.range,
                    message=f"`--from={value}` points at stage {value}, which does not come before "
                    "this one; copy from an earlier stage",
                )
            continue
        if ":" in value or "@" in value:
            continue  # an image reference with a tag or digest
        lowered = value.lower()
        if lowered in names[: current + 1]:
            continue
        if lowered in names[current + 1 :]:
            yield ctx.finding(
                ref.range,
                message=f"`--from={value}` names a stage defined further down, which the classic "
                "builder rejects and readers do not expect; move that stage above this one",
            )
            continue
        yield ctx.finding(ref.range, name=value)


@rule(
    code="DL3023",
    name="copy-from-own-stage",
    severity=Severity.ERROR,
    summary="COPY --from refers to the stage it is in",
    message="`--from={name}` names the stage this `COPY` is in, which cannot copy from itself; "
    "copy from an earlier stage",
    rationale=(
        "A stage cannot read files from its own result while it is being built: BuildKit stops "
        "with a circular dependency. Usually the wrong stage name was typed. dlint also catches "
        "the stage's own index (`--from=1` inside stage 1), which hadolint does not."
    ),
    bad="FROM golang:1.23 AS build\nCOPY --from=build /src /src",
    good="FROM golang:1.23 AS deps\nFROM golang:1.23 AS build\nCOPY --from=deps /src /src",
    needs_instructions=("COPY",),
    each=("COPY",),
)
def copy_from_own_stage(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    ref = copy_from(df, inst)
    stage = df.stage_of(inst)
    if ref is None or stage is None or not ref.resolved:
        return
    own_name = stage.name is not None and ref.value.lower() == stage.name.lower()
    own_index = ref.value.isdigit() and int(ref.value) == stage.index
    if own_name or own_index:
        yield ctx.finding(ref.range, name=ref.value)


# Images built FROM scratch that exist to be copied whole (`COPY --from=xx / /` is their documented use).
SCRATCH_HELPER_IMAGES = frozenset({"tonistiigi/xx"})


def _whole_copy_is_fine(df: Dockerfile, ref: StageRef) -> bool:
    """Copying `/` is deliberate when the source holds only build output (a stage built on
    scratch, the xx helper, an image rather than a stage of this file), when the target is empty
    (`FROM scratch`: squashing into one layer) or when both stages start from the same base (the
    copy only carries the source's changes)."""
    target_root = root_base(df, df.stages[ref.inst.stage_index])
    if target_root.is_scratch:
        return True
    stage = referenced_stage(df, ref)
    if stage is None:
        return True  # an image: whole-copy images are helpers (xx, buildx-bin); their contents are unknown here
    root = root_base(df, stage)
    if root.is_scratch or root.base_text == target_root.base_text:
        return True
    return root.base is not None and root.base.short_name in SCRATCH_HELPER_IMAGES


@rule(
    code="DL3067",
    name="copy-entire-filesystem",
    severity=Severity.WARNING,
    summary="COPY --from copies a whole filesystem",
    message="`COPY --from={stage} / /` copies the other stage's entire filesystem over this one, "
    "with its package databases, caches and shells; copy only the paths the image needs",
    rationale=(
        "Copying `/` onto `/` replaces this stage's files wholesale with another stage's, build "
        "tools and caches included. The result is as large as the builder and mixes two "
        "distributions' package databases. Copy the directories the runtime needs instead. "
        "Unlike hadolint, dlint checks stages of this file only and lets three deliberate "
        "patterns pass: copying into a `FROM scratch` stage (squashing an image into one layer), "
        "copying a stage that shares this stage's base (it only carries that stage's changes), "
        "and copying build output (a stage built on scratch or on the `tonistiigi/xx` helper). "
        "Images named directly in `--from` are left alone: those copied whole are helper images "
        "made for it, and their contents are not known here."
    ),
    bad="FROM debian:12 AS build\nRUN make install\nFROM gcr.io/distroless/base-debian12\nCOPY --from=build / /",
    good="FROM debian:12 AS build\nRUN make install\nFROM gcr.io/distroless/base-debian12\n"
    "COPY --from=build /usr/local/bin/app /usr/local/bin/app",
    tags=("bloat",),
    needs_instructions=("COPY",),
)
def copy_entire_filesystem(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    for inst in df.of("COPY"):
        flag = inst.flag("from")
        ref = copy_from(df, inst)
        if flag is None or (ref is not None and _whole_copy_is_fine(df, ref)):
            continue
        sources, dest = copy_paths(inst)
        if dest is None or dest.value != "/":
            continue
        for source in sources:
            if source.value == "/":
                yield ctx.finding(source.range, stage=flag.value or "")
                break


# Named stages are usually `--target`s (test, dev, lint, update...) even when nothing uses them;
# only these names say "I exist to feed a later stage".
BUILDER_NAMES = frozenset({"build", "builder", "builds", "deps", "dependencies", "compile", "compiler"})


@rule(
    code="DF420",
    name="unused-stage",
    severity=Severity.INFO,
    summary="A builder stage that no other stage uses and that is not the last one",
    message="stage `{name}` is not the last stage and no later `FROM`, `COPY --from` or "
    "`--mount=from=` uses it, so its work never reaches the image; copy what it builds, or remove it",
    rationale=(
        "BuildKit builds only the stages the target needs. An unnamed stage that nothing refers "
        "to (it cannot even be picked with `--target`), or a stage named like a builder (`build`, "
        "`builder`, `deps`, ...) that no `COPY --from` reads, is dead code or a forgotten "
        "`COPY --from`. Other named stages are left alone: they are usually `--target`s (test, "
        "dev, lint). dlint stays silent when a reference uses a variable it cannot resolve."
    ),
    bad="FROM node:22 AS deps\nRUN npm ci\nFROM node:22 AS build\nRUN npm run build\n"
    "FROM nginx:1.27\nCOPY --from=build /app/dist /usr/share/nginx/html",
    good="FROM node:22 AS build\nRUN npm ci && npm run build\n"
    "FROM nginx:1.27\nCOPY --from=build /app/dist /usr/share/nginx/html",
)
def unused_stage(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    used, unknown = stage_usage(df)
    if unknown:
        return
    for stage in df.stages[:-1]:
        if stage.index in used or (stage.name is not None and stage.name.lower() not in BUILDER_NAMES):
            continue
        rng = stage.name_range or stage.from_.keyword_range
        yield ctx.finding(rng, name=stage.name or str(stage.index))


_STAGE_NAME = re.compile(r"^[a-z][a-z0-9_.-]*$")


def _new_stage_name(df: Dockerfile, stage: Stage) -> str:
    taken = {s.name.lower() for s in df.stages if s.name}
    base = stage.base.name if stage.base is not None else ""
    candidate = base.lower() if _STAGE_NAME.match(base.lower()) else ""
    if not candidate or candidate in taken or candidate in ("scratch", "context"):
        candidate = f"stage-{stage.index}"
    suffix = 1
    name = candidate
    while name in taken:
        suffix += 1
        name = f"{candidate}-{suffix}"
    return name


@rule(
    code="DF501",
    name="copy-from-stage-index",
    severity=Severity.STYLE,
    summary="COPY --from refers to a stage by its position",
    message="`--from={index}` refers to stage {index} by position, which silently changes meaning "
    "when stages are added or moved; name the stage and use `--from={name}`",
    rationale=(
        "Stage indexes count `FROM` lines. Inserting a stage above shifts every index, and "
        "`--from=1` then copies from a different stage without any error. A name says which "
        "stage is meant and survives reordering."
    ),
    bad="FROM golang:1.23\nRUN go build -o /app\nFROM alpine:3.20\nCOPY --from=0 /app /app",
    good="FROM golang:1.23 AS build\nRUN go build -o /app\nFROM alpine:3.20\nCOPY --from=build /app /app",
    fix_safety="Safe: the same stage is referenced by name; an unnamed stage gets a name "
    "(its base image's name, or `stage-N`) that nothing else uses.",
    needs_instructions=("COPY",),
)
def copy_from_stage_index(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    for inst in df.of("COPY"):
        ref = copy_from(df, inst)
        if ref is None or not ref.written.isdigit() or int(ref.written) >= inst.stage_index:
            continue
        target = df.stages[int(ref.written)]
        if target.name is not None:
            name = target.name
            edits = [TextEdit.replace(ref.range, name)]
        else:
            name = _new_stage_name(df, target)
            keyword = "as" if target.from_.keyword_raw.islower() else "AS"
            edits = [
                TextEdit.insert(target.from_.args_range.end, f" {keyword} {name}"),
                TextEdit.replace(ref.range, name),
            ]
        fix = Fix.safe(f"Use the stage name `{name}`", *edits)
        yield ctx.finding(ref.range, fix=fix, index=ref.written, name=name)


@rule(
    code="DF502",
    name="digest-without-tag",
    severity=Severity.STYLE,
    summary="FROM pins an image by digest with no tag beside it",
    message="`{image}` is pinned by digest alone, so readers cannot tell which version it is; "
    "write the tag too (`{name}:<tag>@sha256:...`), the digest still decides",
    rationale=(
        "A digest makes the base reproducible, but `sha256:3f5a...` says nothing about the "
        "version inside, and tools that propose updates cannot tell which release line to follow. "
        "With `image:tag@digest` the digest still wins and the tag documents it."
    ),
    bad="FROM alpine@sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d",
    good="FROM alpine:3.20.3@sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d",
    tags=("base",),
    needs_text=("@",),
    each=("FROM",),
)
def digest_without_tag(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    stage = df.stage_started_by(inst)
    if stage is None:
        return
    base = stage.base
    if base is None or "$" in stage.base_text or base.digest is None or base.tag is not None:
        return
    name = stage.base_text.split("@", 1)[0]
    yield ctx.finding(stage.base_range, image=stage.base_text, name=name)
