"""Rules about instructions that do not do what they seem to: EXPOSE ports, COPY destinations,
ONBUILD triggers and instructions before the first FROM."""

from __future__ import annotations

import re
from typing import Iterator

from docklint.model.dockerfile import Dockerfile, copy_paths
from docklint.model.nodes import Instruction, Stage, Word
from docklint.model.source import Pos, Range
from docklint.rule import Context, Finding, Fix, Severity, TextEdit, rule

# -- EXPOSE ---------------------------------------------------------------------------------


def _expose_words(df: Dockerfile, inst: Instruction) -> Iterator[tuple[Word, str]]:
    """EXPOSE arguments with their value after build-variable expansion (unresolved ones skipped)."""
    for word in inst.words:
        value = word.value
        if "$" in word.raw:
            value, resolved = df.expand(inst, word.raw)
            if not resolved:
                continue
            value = value.strip("\"'")
        if value:
            yield word, value


def split_port(spec: str) -> tuple[str, str, str, str]:
    """`[ip:][host:]container[/proto]` -> (ip, host, container, proto), as BuildKit splits it."""
    spec, _, proto = spec.partition("/")
    parts = spec.split(":")
    if len(parts) == 1:
        return "", "", parts[0], proto
    if len(parts) == 2:
        return "", parts[0], parts[1], proto
    return ":".join(parts[:-2]), parts[-2], parts[-1], proto


@rule(
    code="DL3011",
    name="expose-port-out-of-range",
    severity=Severity.ERROR,
    summary="EXPOSE port outside 0-65535",
    message="port `{port}` does not exist: TCP and UDP ports range from 0 to 65535; fix the number",
    rationale=(
        "Port numbers are 16-bit. A larger number is a typo (an extra digit, a host:container "
        "mapping written backwards) and the image documents a port nothing can listen on."
    ),
    bad="FROM nginx:1.27\nEXPOSE 80800",
    good="FROM nginx:1.27\nEXPOSE 8080",
    needs_instructions=("EXPOSE",),
    each=("EXPOSE",),
)
def expose_port_out_of_range(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for word, value in _expose_words(df, inst):
        container = split_port(value)[2]
        bounds = container.split("-", 1)
        if all(b.isdigit() for b in bounds) and any(int(b) > 65535 for b in bounds):
            yield ctx.finding(word.range, port=value)


@rule(
    code="DF413",
    name="expose-proto-casing",
    severity=Severity.WARNING,
    summary="EXPOSE protocol not lowercase",
    message="protocol `{proto}` in `{port}` should be lowercase; write `{lower}`",
    rationale=(
        "Docker stores exposed ports as `80/tcp`; an uppercase protocol is normalised or, in "
        "some tools, treated as a different port. BuildKit's ExposeProtoCasing asks for lowercase."
    ),
    bad="FROM nginx:1.27\nEXPOSE 80/TCP",
    good="FROM nginx:1.27\nEXPOSE 80/tcp",
    fix_safety="Safe: the protocol is matched case-insensitively.",
    buildkit=("ExposeProtoCasing",),
    needs_instructions=("EXPOSE",),
    each=("EXPOSE",),
)
def expose_proto_casing(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for word, value in _expose_words(df, inst):
        proto = split_port(value)[3]
        if proto == proto.lower():
            continue
        fix = None
        if word.raw == word.value and word.range.start.line == word.range.end.line:
            start = Pos(word.range.start.line, word.range.start.col + word.raw.index("/") + 1)
            edit = TextEdit.replace(Range(start, word.range.end), proto.lower())
            fix = Fix.safe("Lowercase the protocol", edit)
        yield ctx.finding(word.range, fix=fix, proto=proto, port=value, lower=proto.lower())


@rule(
    code="DF414",
    name="expose-invalid-format",
    severity=Severity.WARNING,
    summary="EXPOSE includes an IP address or a host:container mapping",
    message="`EXPOSE {port}` includes {what}, which EXPOSE ignores (publishing is decided by "
    "`docker run -p`); write only the container port `{container}`",
    rationale=(
        "EXPOSE documents which ports the container listens on. Host ports and addresses belong "
        "to `docker run -p` or Compose; in a Dockerfile they are dropped, so the line suggests "
        "a binding that never happens. BuildKit's ExposeInvalidFormat warns it will become an error."
    ),
    bad="FROM nginx:1.27\nEXPOSE 127.0.0.1:8080:80",
    good="FROM nginx:1.27\nEXPOSE 80",
    fix_safety="Safe: the image records only the container port either way.",
    buildkit=("ExposeInvalidFormat",),
    tags=("port",),
    needs_instructions=("EXPOSE",),
    each=("EXPOSE",),
)
def expose_invalid_format(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for word, value in _expose_words(df, inst):
        ip, host, container, proto = split_port(value)
        if not ip and not host:
            continue
        what = "an IP address and a host port" if ip else "a host port"
        kept = f"{container}/{proto}" if proto else container
        fix = None
        if "$" not in word.raw:
            fix = Fix.safe(f"Keep only `{kept}`", TextEdit.replace(word.range, kept))
        yield ctx.finding(word.range, fix=fix, port=value, what=what, container=kept)


# -- COPY -----------------------------------------------------------------------------------


def _dest_ends_with_separator(df: Dockerfile, inst: Instruction, dest: Word) -> bool:
    value = dest.value
    if "$" in dest.raw:
        expanded, resolved = df.expand(inst, dest.value)
        if resolved:
            value = expanded
    separators = ("/", "\\") if df.escape == "`" else ("/",)
    return value.endswith(separators)


@rule(
    code="DL3021",
    name="copy-multi-source-dest-slash",
    severity=Severity.ERROR,
    summary="COPY with several sources to a destination not ending in /",
    message="`COPY` has {count} sources, so the destination `{dest}` must be a directory ending "
    "in `/`; write `{dest}/`",
    rationale=(
        "With more than one source Docker copies into a directory, and refuses to build unless "
        "the destination ends with a slash. The slash also tells readers the target is a folder."
    ),
    bad="FROM node:22-slim\nCOPY package.json package-lock.json /app",
    good="FROM node:22-slim\nCOPY package.json package-lock.json /app/",
    fix_safety="Safe: with several sources the destination can only be a directory.",
    needs_instructions=("COPY",),
    each=("COPY",),
)
def copy_multi_source_dest_slash(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    sources, dest = copy_paths(inst)
    count = len(sources) + len(inst.heredocs)
    if dest is None or count < 2 or _dest_ends_with_separator(df, inst, dest):
        return
    if inst.json_args is not None:
        end = dest.range.end
        edit = TextEdit.insert(Pos(end.line, end.col - 1), "/")
    else:
        edit = TextEdit.insert(dest.range.end, "/")
    fix = Fix.safe("Add a trailing `/`", edit)
    yield ctx.finding(dest.range, fix=fix, count=count, dest=dest.value)


def _workdir_set(df: Dockerfile, stage: Stage, before: Instruction | None) -> bool:
    for current in df.lineage(stage):
        for inst in current.of("WORKDIR"):
            if before is None or current is not stage or inst.index < before.index:
                return True
    return False


_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:[\\/]")


@rule(
    code="DL3045",
    name="copy-relative-dest-without-workdir",
    severity=Severity.WARNING,
    summary="COPY to a relative destination before any WORKDIR",
    message="`COPY` to relative `{dest}` before any `WORKDIR` in this stage lands wherever the base "
    "image's working directory is; set `WORKDIR` first or use an absolute path",
    rationale=(
        "A relative destination resolves against the working directory, which without a WORKDIR "
        "in the stage comes from the base image and can change when the base does. A WORKDIR in "
        "a stage this one builds on (`FROM builder`) counts."
    ),
    bad="FROM python:3.12-slim\nCOPY requirements.txt .",
    good="FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .",
    needs_instructions=("COPY",),
    each=("COPY",),
)
def copy_relative_dest_without_workdir(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    stage = df.stage_of(inst)
    _sources, dest = copy_paths(inst)
    if stage is None or dest is None:
        return
    path = dest.value
    if path.startswith(("/", "$")) or _WINDOWS_ABSOLUTE.match(dest.raw.strip("\"'")):
        return
    if df.escape == "`" and path.startswith("\\"):
        return
    if not _workdir_set(df, stage, inst):
        yield ctx.finding(dest.range, dest=path)


# -- stages and ONBUILD ---------------------------------------------------------------------


@rule(
    code="DL3043",
    name="onbuild-invalid-trigger",
    severity=Severity.ERROR,
    summary="ONBUILD wraps ONBUILD, FROM or MAINTAINER",
    message="`ONBUILD {keyword}` is not allowed, so builds from this image fail; "
    "move the `{keyword}` out of the trigger",
    rationale=(
        "Docker refuses `ONBUILD ONBUILD`, `ONBUILD FROM` and `ONBUILD MAINTAINER`: the trigger "
        "would run in a child build where these make no sense. The error only shows up when "
        "someone builds FROM this image."
    ),
    bad="FROM node:22\nONBUILD FROM node:22-slim",
    good="FROM node:22\nONBUILD COPY . /app/",
    needs_instructions=("ONBUILD",),
    each=("ONBUILD",),
)
def onbuild_invalid_trigger(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    wrapped = inst.onbuild
    if wrapped is not None and wrapped.keyword in ("ONBUILD", "FROM", "MAINTAINER"):
        yield ctx.finding(wrapped.keyword_range, keyword=wrapped.keyword)


@rule(
    code="DL3061",
    name="invalid-instruction-order",
    severity=Severity.ERROR,
    summary="The file starts with something other than FROM or ARG",
    message="`{keyword}` comes before the first `FROM`, where only `ARG` is allowed; "
    "move it below a `FROM`",
    rationale=(
        "Instructions other than ARG need a stage to act on, and the first stage starts at the "
        "first FROM. Docker rejects the file."
    ),
    bad="ENV LANG=C.UTF-8\nFROM debian:12",
    good="FROM debian:12\nENV LANG=C.UTF-8",
)
def invalid_instruction_order(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    from docklint.model.dockerfile import KEYWORDS

    for inst in df.instructions:
        if inst.keyword == "FROM":
            break
        if inst.keyword != "ARG" and inst.keyword in KEYWORDS:
            yield ctx.finding(inst.keyword_range, keyword=inst.keyword)
