"""Where a Dockerfile uses its stages: `FROM <stage>`, `COPY --from`, `RUN --mount=from=`, and
which stages end up as images. Shared by the stage, BuildKit, process and label rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.model.nodes import Instruction, Stage
from docklint.model.source import Range
from docklint.rule import TextEdit

_MOUNT_FROM = re.compile(r"(?:^|,)[ \t]*from=([^,\"' \t]+)")


@dataclass(frozen=True, slots=True)
class StageRef:
    """A place that names a stage (or an image): `FROM x`, `COPY --from=x`, `--mount=...,from=x`."""

    inst: Instruction
    kind: str  # "from", "copy" or "mount"
    written: str  # as written in the file
    value: str  # expanded with the build variables the instruction sees
    resolved: bool  # False when a variable in it has no known value
    range: Range  # of the written text


def stage_refs(df: Dockerfile) -> list[StageRef]:
    """Every stage reference in the file, in order (cached on the model)."""
    key = ("stage_refs",)
    cached = df._cache.get(key)
    if cached is None:
        cached = list(_stage_refs(df))
        df._cache[key] = cached
    return cached  # type: ignore[return-value]


def _stage_refs(df: Dockerfile) -> Iterator[StageRef]:
    for inst in df.instructions:
        if inst.keyword == "FROM" and inst.stage_index >= 0:
            stage = df.stages[inst.stage_index]
            if stage.base_text:
                value, resolved = _expand(df, inst, stage.base_text, global_only=True)
                yield StageRef(inst, "from", stage.base_text, value, resolved, stage.base_range)
        elif inst.keyword == "COPY":
            flag = inst.flag("from")
            if flag is not None and flag.value and flag.value_range is not None:
                value, resolved = _expand(df, inst, flag.value)
                yield StageRef(inst, "copy", flag.value, value, resolved, flag.value_range)
        elif inst.keyword == "RUN":
            for flag in inst.flag_values("mount"):
                if flag.value_range is None:
                    continue
                raw = df.source.slice(flag.value_range)
                base = df.source.offset(flag.value_range.start)
                for match in _MOUNT_FROM.finditer(raw):
                    rng = Range(df.source.pos(base + match.start(1)), df.source.pos(base + match.end(1)))
                    value, resolved = _expand(df, inst, match.group(1))
                    yield StageRef(inst, "mount", match.group(1), value, resolved, rng)


def _expand(df: Dockerfile, inst: Instruction, text: str, global_only: bool = False) -> tuple[str, bool]:
    if "$" not in text:
        return text, True
    if global_only:
        from docklint.model.variables import expand

        return expand(text, df.global_scope(), df.escape)
    return df.expand(inst, text)


def referenced_stage(df: Dockerfile, ref: StageRef) -> Stage | None:
    """The stage a reference resolves to (by name, case-insensitive, or by index), if any."""
    if not ref.resolved:
        return None
    if ref.kind == "from":
        stage = df.stages[ref.inst.stage_index]
        return df.stages[stage.base_stage] if stage.base_stage is not None else None
    return df.stage_named(ref.value)


def stage_usage(df: Dockerfile) -> tuple[set[int], bool]:
    """Indexes of the stages some other stage uses, and whether a reference could not be resolved."""
    used: set[int] = set()
    unknown = False
    for ref in stage_refs(df):
        if not ref.resolved:
            unknown = True
            continue
        target = referenced_stage(df, ref)
        if target is not None and target.index != ref.inst.stage_index:
            used.add(target.index)
    return used, unknown


def _maybe_referenced(df: Dockerfile) -> set[int]:
    """Stages a reference built from variables could name with other build arguments:
    `FROM build_${TARGETARCH}` may be any `build_*`."""
    found: set[int] = set()
    for ref in stage_refs(df):
        if "$" not in ref.written:
            continue
        pattern = re.sub(r"\\\$\\{[^}]*\\}|\\\$[A-Za-z_][A-Za-z0-9_]*", ".*", re.escape(ref.written))
        for stage in df.stages:
            if stage.name and stage.index != ref.inst.stage_index and re.fullmatch(pattern, stage.name, re.I):
                found.add(stage.index)
    return found


def image_stages(df: Dockerfile) -> list[Stage]:
    """Stages that end up as images: the last one and any that no other stage builds on or copies
    from (candidates for `--target`). Builder stages, including those a variable reference may
    name, are left out."""
    used, _unknown = stage_usage(df)
    used |= _maybe_referenced(df)
    return [s for s in df.stages if s.index == len(df.stages) - 1 or s.index not in used]


# Words in a stage name or the file's path that mark an image not meant to ship (dev containers,
# test and CI images, builders).
NOT_SHIPPED = frozenset(
    "dev devel develop development devcontainer devenv envs lint test tests testing ci build builder "
    "tools debug validate vendor generate gen update updates outdated hack tilt onbuild editable".split()
)
_NAME_WORDS = re.compile(r"[-_./\\]+")


def not_shipped(df: Dockerfile, stage: Stage) -> bool:
    """True when the stage's name or the Dockerfile's path says the image is for development,
    testing or building rather than for running an application."""
    words = set(_NAME_WORDS.split((stage.name or "").lower())) | set(_NAME_WORDS.split(df.path.lower()))
    return bool(words & NOT_SHIPPED)


def root_base(df: Dockerfile, stage: Stage) -> Stage:
    """The first stage of the chain `stage` builds on (`FROM a` ... `FROM b AS c` -> a's stage)."""
    return df.lineage(stage)[-1]


def stage_has(df: Dockerfile, stage: Stage, keyword: str) -> bool:
    """Whether the stage, or a stage in this file it builds on, has an instruction of `keyword`."""
    return any(any(True for _ in current.of(keyword)) for current in df.lineage(stage))


def rename_stage_edits(df: Dockerfile, stage: Stage, new_name: str, *, keep_from: bool = False) -> list[TextEdit]:
    """Edits that rename a stage and every reference that spells its name (not its index)."""
    assert stage.name is not None and stage.name_range is not None
    edits = [TextEdit.replace(stage.name_range, new_name)]
    lowered = stage.name.lower()
    for ref in stage_refs(df):
        if ref.written.lower() != lowered or (ref.kind == "from" and keep_from):
            continue
        if referenced_stage(df, ref) is stage:
            edits.append(TextEdit.replace(ref.range, new_name))
    return edits


def copy_from(df: Dockerfile, inst: Instruction) -> StageRef | None:
    """The `--from=` reference of a COPY, if it has one."""
    key = ("copy_from",)
    by_inst = df._cache.get(key)
    if by_inst is None:
        by_inst = {id(ref.inst): ref for ref in reversed(stage_refs(df)) if ref.kind == "copy"}
        df._cache[key] = by_inst
    return by_inst.get(id(inst))  # type: ignore[no-any-return, union-attr]
