"""BuildKit's build checks that look at single lines: keyword and stage-name casing, repeated
CMD/ENTRYPOINT/HEALTHCHECK, `FROM --platform`, legacy `key value` pairs, empty continuation
lines and definition comments.

Each rule carries the BuildKit check name in `buildkit=`, so `# check=skip=<Name>` and
selectors by that name reach it. Behaviour follows BuildKit's dockerfile frontend
(frontend/dockerfile/instructions/parse.go and dockerfile2llb/convert.go in moby/buildkit);
where hadolint disagrees, the rationale says which one dlint follows.
"""

from __future__ import annotations

import re
from typing import Callable, Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.model.nodes import Comment, Instruction, KeyValue
from docklint.model.source import Pos, Range
from docklint.rule import Check, Context, Finding, Fix, Severity, TextEdit, rule
from docklint.rules.stage_refs import rename_stage_edits
from docklint.suppress import PRAGMA

# -- MultipleInstructionsDisallowed ---------------------------------------------------------


def _only_last_counts(keyword: str) -> Check:
    """A check reporting every `keyword` after the first in a stage (hadolint's lines), with a
    fix that deletes the earlier one, which never takes effect (the one BuildKit reports)."""

    def check(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
        for stage in df.stages:
            previous: Instruction | None = None
            for inst in stage.of(keyword):
                if previous is not None:
                    fix = Fix.safe(f"Delete the ineffective `{keyword}` on line {previous.first_line + 1}",
                                   TextEdit.delete(previous.span))
                    yield ctx.finding(inst.keyword_range, fix=fix, line=previous.first_line + 1)
                previous = inst

    return check


_MULTIPLE_RATIONALE = (
    "An image has one {k}: each `{k}` replaces the previous one of the same stage, so only the last "
    "takes effect and the earlier ones only mislead readers. dlint reports the later instruction, "
    "as hadolint does (so its ignore pragmas keep working); BuildKit's "
    "MultipleInstructionsDisallowed points at the earlier one, which the fix deletes."
)
_MULTIPLE_FIX = "Safe: only the last `{k}` of a stage takes effect, so deleting an earlier one changes nothing."


def _multiple(code: str, keyword: str, severity: Severity, bad: str, good: str) -> Callable[[Check], Check]:
    return rule(
        code=code,
        name=f"multiple-{keyword.lower()}",
        severity=severity,
        summary=f"More than one {keyword} in a stage",
        message=f"this `{keyword}` replaces the one on line {{line}}, which never takes effect; "
        f"keep a single `{keyword}` per stage",
        rationale=_MULTIPLE_RATIONALE.format(k=keyword),
        bad=bad,
        good=good,
        fix_safety=_MULTIPLE_FIX.format(k=keyword),
        buildkit=("MultipleInstructionsDisallowed",),
        needs_instructions=(keyword,),
    )


multiple_healthcheck = _multiple(
    "DL3012", "HEALTHCHECK", Severity.ERROR,
    "FROM nginx:1.27\nHEALTHCHECK CMD curl -f http://localhost/\nHEALTHCHECK CMD wget -qO- http://localhost/",
    "FROM nginx:1.27\nHEALTHCHECK CMD curl -f http://localhost/",
)(_only_last_counts("HEALTHCHECK"))
multiple_cmd = _multiple(
    "DL4003", "CMD", Severity.WARNING,
    'FROM python:3.12-slim\nCMD ["python", "app.py"]\nCMD ["gunicorn", "app:app"]',
    'FROM python:3.12-slim\nCMD ["gunicorn", "app:app"]',
)(_only_last_counts("CMD"))
multiple_entrypoint = _multiple(
    "DL4004", "ENTRYPOINT", Severity.ERROR,
    'FROM alpine:3.20\nENTRYPOINT ["/bin/sh"]\nENTRYPOINT ["/usr/bin/app"]',
    'FROM alpine:3.20\nENTRYPOINT ["/usr/bin/app"]',
)(_only_last_counts("ENTRYPOINT"))


# -- FROM lines -----------------------------------------------------------------------------


@rule(
    code="DF402",
    name="stage-name-casing",
    severity=Severity.WARNING,
    summary="Stage name is not lowercase",
    message="stage name `{name}` is not lowercase, while BuildKit matches stage names in lowercase; "
    "write `{lower}`",
    rationale=(
        "BuildKit lowercases stage names, so `Build`, `build` and `BUILD` are one stage. Mixed "
        "case suggests a distinction that does not exist, and tools that compare names exactly "
        "(hadolint's DL3022) then disagree with the builder."
    ),
    bad="FROM golang:1.23 AS Builder\nFROM alpine:3.20\nCOPY --from=Builder /app /app",
    good="FROM golang:1.23 AS builder\nFROM alpine:3.20\nCOPY --from=builder /app /app",
    fix_safety="Safe: stage names are case-insensitive; the name and the references spelling it "
    "are lowercased together.",
    buildkit=("StageNameCasing",),
    needs_text=("AS", "as", "As", "aS"),
)
def stage_name_casing(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    for stage in df.stages:
        if stage.name is None or stage.name_range is None or stage.name == stage.name.lower():
            continue
        lower = stage.name.lower()
        fix = Fix.safe(f"Rename the stage to `{lower}`", *rename_stage_edits(df, stage, lower))
        yield ctx.finding(stage.name_range, fix=fix, name=stage.name, lower=lower)


@rule(
    code="DF403",
    name="from-as-casing",
    severity=Severity.WARNING,
    summary="FROM and AS keywords differ in case",
    message="`{as_}` does not match the case of `{from_}`; write `{fixed}`",
    rationale=(
        "A lowercase `as` after an uppercase `FROM` (or the reverse) reads as a typo and breaks "
        "searches for stage definitions. BuildKit's FromAsCasing check asks for the same case; "
        "a mixed-case `From` is left to ConsistentInstructionCasing."
    ),
    bad="FROM golang:1.23 as build",
    good="FROM golang:1.23 AS build",
    fix_safety="Safe: the keyword is case-insensitive.",
    buildkit=("FromAsCasing",),
    needs_text=("AS", "as", "As", "aS"),
    each=("FROM",),
)
def from_as_casing(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    stage = df.stage_started_by(inst)
    if stage is None:
        return
    words = inst.words
    if stage.name is None or len(words) < 3 or words[-2].raw.lower() != "as":
        return
    keyword, as_ = inst.keyword_raw, words[-2].raw
    if keyword == keyword.lower():
        fixed = "as"
    elif keyword == keyword.upper():
        fixed = "AS"
    else:
        return
    if as_ != fixed:
        fix = Fix.safe(f"Write `{fixed}`", TextEdit.replace(words[-2].range, fixed))
        yield ctx.finding(words[-2].range, fix=fix, as_=as_, from_=keyword, fixed=fixed)


RESERVED_STAGE_NAMES = frozenset({"scratch", "context"})


@rule(
    code="DL3063",
    name="reserved-stage-name",
    severity=Severity.WARNING,
    summary="A stage is named `scratch` or `context`",
    message="`{name}` is a reserved word in BuildKit (`scratch` is the empty image, `context` the "
    "build context), so references to this stage are ambiguous; rename it, e.g. `{new}`",
    rationale=(
        "`FROM scratch` means the empty image and `--from=context` can mean the build context. "
        "A stage with one of these names shadows or is shadowed by the built-in meaning, "
        "depending on the builder. dlint compares case-insensitively, as BuildKit lowercases "
        "stage names (hadolint only catches the lowercase spelling)."
    ),
    bad="FROM alpine:3.20 AS context\nFROM alpine:3.20\nCOPY --from=context /etc/motd /etc/motd",
    good="FROM alpine:3.20 AS base\nFROM alpine:3.20\nCOPY --from=base /etc/motd /etc/motd",
    fix_safety="Unsafe: the stage gets a new name, so `--target` options in build scripts must "
    "change too; references inside the file are renamed.",
    buildkit=("ReservedStageName",),
    needs_text=("AS", "as", "As", "aS"),
)
def reserved_stage_name(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    taken = {s.name.lower() for s in df.stages if s.name}
    for stage in df.stages:
        if stage.name is None or stage.name.lower() not in RESERVED_STAGE_NAMES:
            continue
        new = f"{stage.name.lower()}-stage"
        while new in taken:
            new += "-1"
        edits = rename_stage_edits(df, stage, new, keep_from=stage.name.lower() == "scratch")
        fix = Fix.unsafe(f"Rename the stage to `{new}`", *edits)
        assert stage.name_range is not None
        yield ctx.finding(stage.name_range, fix=fix, name=stage.name, new=new)


@rule(
    code="DL3029",
    name="from-platform-flag-const-disallowed",
    severity=Severity.WARNING,
    summary="FROM --platform pinned to a constant",
    message="`--platform={platform}` fixes this stage to one platform, so multi-platform builds "
    "of this file break; drop it, use `$BUILDPLATFORM`/`$TARGETPLATFORM`, or name the stage "
    "after the platform",
    rationale=(
        "A constant platform forces that base image whatever `--platform` the build asks for, so "
        "`docker buildx build --platform linux/arm64` silently produces amd64 layers, or fails. "
        "dlint follows BuildKit's FromPlatformFlagConstDisallowed: values built from variables "
        "pass, and so does a stage whose name contains the platform's OS or architecture "
        "(`AS build-arm64`), a deliberate per-platform stage. hadolint flags every `--platform` "
        "except `$BUILDPLATFORM`/`$TARGETPLATFORM`."
    ),
    bad="FROM --platform=linux/amd64 alpine:3.20 AS base",
    good="FROM --platform=$BUILDPLATFORM golang:1.23 AS build",
    buildkit=("FromPlatformFlagConstDisallowed",),
    each=("FROM",),
)
def from_platform_flag_const(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    stage = df.stage_started_by(inst)
    if stage is None:
        return
    flag = stage.platform
    if flag is None or not flag.value or "$" in flag.value:
        return
    parts = [p.lower() for p in flag.value.split("/")]
    name = (stage.name or "").lower()
    if name and any(part and part in name for part in parts[:2]):
        return
    yield ctx.finding(flag.value_range or flag.range, platform=flag.value)


@rule(
    code="DL3065",
    name="redundant-target-platform",
    severity=Severity.WARNING,
    summary="FROM --platform=$TARGETPLATFORM is redundant",
    message="`--platform={platform}` asks for the platform every stage already uses by default; "
    "remove the flag",
    rationale=(
        "Stages build for the target platform unless told otherwise, so `$TARGETPLATFORM` adds "
        "nothing and hides the stages where `--platform` really matters (`$BUILDPLATFORM` for "
        "cross-compiling)."
    ),
    bad="FROM --platform=$TARGETPLATFORM alpine:3.20",
    good="FROM alpine:3.20",
    fix_safety="Safe: the target platform is the default for every stage.",
    buildkit=("RedundantTargetPlatform",),
    needs_text=("TARGETPLATFORM",),
    each=("FROM",),
)
def redundant_target_platform(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    stage = df.stage_started_by(inst)
    if stage is None:
        return
    flag = stage.platform
    if flag is None or flag.value not in ("$TARGETPLATFORM", "${TARGETPLATFORM}"):
        return
    fix = Fix.safe("Remove `--platform`", TextEdit.delete(Range(flag.range.start, stage.base_range.start)))
    yield ctx.finding(flag.range, fix=fix, platform=flag.value)


# -- whole-file style checks ----------------------------------------------------------------


@rule(
    code="DF404",
    name="no-empty-continuation",
    severity=Severity.WARNING,
    summary="Empty line inside a backslash-continued instruction",
    message="this empty line sits inside a continued `{keyword}`, which BuildKit warns will become "
    "an error; delete it or end the instruction before it",
    rationale=(
        "Blank lines inside a continuation are skipped today, so an instruction can silently run "
        "on into the next paragraph when a trailing backslash was left behind. BuildKit warns that "
        "this will become an error in a future release."
    ),
    bad="FROM alpine:3.20\nRUN apk add --no-cache \\\n\n    curl",
    good="FROM alpine:3.20\nRUN apk add --no-cache \\\n    curl",
    fix_safety="Safe: empty lines inside a continuation are ignored by the parser.",
    buildkit=("NoEmptyContinuation",),
)
def no_empty_continuation(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    for inst in df.instructions:
        if not inst.empty_continuation_lines:
            continue
        edits = [TextEdit.delete(df.source.line_span(line, line)) for line in inst.empty_continuation_lines]
        fix = Fix.safe("Delete the empty lines", *edits)
        first = inst.empty_continuation_lines[0]
        yield ctx.finding(Range(Pos(first, 0), df.source.line_end(first)), fix=fix, keyword=inst.keyword)


@rule(
    code="DF405",
    name="consistent-instruction-casing",
    severity=Severity.WARNING,
    summary="Instruction keyword casing differs from the file's majority",
    message="`{keyword}` is not written in {casing} like most instructions of this file; write `{fixed}`",
    rationale=(
        "Keywords are case-insensitive, but mixing `RUN` and `run` (or `Run`) makes a file harder "
        "to scan and to search. BuildKit's ConsistentInstructionCasing takes the majority casing "
        "of the file, uppercase on a tie; mixed-case keywords always differ. dlint also counts the "
        "ARG lines before the first FROM, which BuildKit leaves out."
    ),
    bad="FROM alpine:3.20\nrun echo hello\nCMD [\"sh\"]",
    good="FROM alpine:3.20\nRUN echo hello\nCMD [\"sh\"]",
    fix_safety="Safe: instruction keywords are case-insensitive.",
    buildkit=("ConsistentInstructionCasing",),
)
def consistent_instruction_casing(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    from docklint.model.dockerfile import KEYWORDS

    known = [i for i in df.instructions if i.keyword in KEYWORDS]
    lower = sum(1 for i in known if i.keyword_raw == i.keyword_raw.lower())
    upper = sum(1 for i in known if i.keyword_raw == i.keyword_raw.upper())
    majority_lower = lower > upper
    for inst in known:
        fixed = inst.keyword_raw.lower() if majority_lower else inst.keyword_raw.upper()
        if inst.keyword_raw == fixed:
            continue
        fix = Fix.safe(f"Write `{fixed}`", TextEdit.replace(inst.keyword_range, fixed))
        casing = "lowercase" if majority_lower else "uppercase"
        yield ctx.finding(inst.keyword_range, fix=fix, keyword=inst.keyword_raw, casing=casing, fixed=fixed)


@rule(
    code="DF408",
    name="legacy-key-value-format",
    severity=Severity.WARNING,
    summary="ENV or LABEL in the legacy `key value` form",
    message="`{keyword} {key} ...` uses the legacy space-separated form, where the whole rest of "
    "the line becomes one value; write `{key}=value`",
    rationale=(
        "In the legacy form `ENV key value`, everything after the key, spaces included, is one "
        "value, while `ENV a=1 b=2` sets two; the two spellings behave differently in ways that "
        "surprise. BuildKit deprecates the legacy form for ENV and LABEL (`ARG a b` is not legacy "
        "syntax: it declares two arguments)."
    ),
    bad="FROM alpine:3.20\nENV APP_HOME /srv/app",
    good="FROM alpine:3.20\nENV APP_HOME=/srv/app",
    fix_safety="Safe: offered when the value is on one line and quoting it keeps it the same "
    "string; otherwise no fix.",
    buildkit=("LegacyKeyValueFormat",),
    needs_instructions=("ENV", "LABEL"),
    each=("ENV", "LABEL"),
)
def legacy_key_value_format(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    pairs = df.key_values(inst)
    if len(pairs) != 1 or not pairs[0].legacy:
        return
    pair = pairs[0]
    yield ctx.finding(pair.key_range, fix=_legacy_fix(df, pair), keyword=inst.keyword_raw, key=pair.key)


_PLAIN_VALUE = re.compile(r"^[^\s\"'\\`]*$")


def _legacy_fix(df: Dockerfile, pair: KeyValue) -> Fix | None:
    key_range, value_range = pair.key_range, pair.value_range
    if value_range is None or value_range.start.line != value_range.end.line:
        return None
    raw = df.source.slice(value_range)
    if _PLAIN_VALUE.match(raw):
        new = raw
    elif re.match(r"^[^\"'\\`]*$", raw):
        new = f'"{raw}"'  # plain words with spaces: one double-quoted value keeps them
    else:
        return None
    gap = Range(key_range.end, value_range.end)
    return Fix.safe("Use `key=value`", TextEdit.replace(gap, f"={new}"))


@rule(
    code="DF412",
    name="invalid-definition-description",
    severity=Severity.INFO,
    summary="The comment above ARG or FROM ... AS does not start with the name it describes",
    message="the comment right above this `{keyword}` is read as its description by "
    "`docker buildx build --call=outline`, but does not start with `{name}`; begin it with "
    "`{name}` or separate it with an empty line",
    rationale=(
        "BuildKit shows the comment directly above a named stage or an ARG as its description "
        "(`--call=outline`, `--call=targets`) when the comment starts with that name. A comment "
        "that does not is probably not meant as a description. This is an experimental BuildKit "
        "check, so dlint keeps it off by default. Pragmas (`# dlint ignore=...`) do not count."
    ),
    bad="# the Go version to build with\nARG GO_VERSION=1.23",
    good="# GO_VERSION is the Go version to build with\nARG GO_VERSION=1.23",
    fix_safety="Safe: only the comment text changes.",
    buildkit=("InvalidDefinitionDescription",),
    enabled=False,
)
def invalid_definition_description(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    above = _comments_above(df)
    for inst in df.instructions:
        if inst.keyword == "ARG":
            names = [kv.key for kv in df.key_values(inst)]
        elif inst.keyword == "FROM" and inst.stage_index >= 0 and df.stages[inst.stage_index].name:
            names = [df.stages[inst.stage_index].name or ""]
        else:
            continue
        comment = above.get(inst.index)
        if comment is None or not names:
            continue
        body = comment.text[1:].lstrip(" ")
        if body.split(" ", 1)[0] in names:
            continue
        name = names[0] if len(names) == 1 else "<arg_key>"
        fix = None
        if len(names) == 1:
            start = comment.range.start
            offset = len(comment.text) - len(body)
            pos = Pos(start.line, start.col + offset)
            fix = Fix.safe(f"Start the comment with `{name}`", TextEdit.insert(pos, f"{name} "))
        yield ctx.finding(comment.range, fix=fix, keyword=inst.keyword, name=name)


def _comments_above(df: Dockerfile) -> dict[int, Comment]:
    """The comment line directly above each instruction (no blank line between), if any."""
    found: dict[int, Comment] = {}
    last: Comment | None = None
    for node in df.nodes:
        if isinstance(node, Comment):
            last = None if node.directive or PRAGMA.match(node.text) else node
        elif isinstance(node, Instruction):
            if last is not None and last.range.start.line == node.first_line - 1:
                found[node.index] = last
            last = None
        else:
            last = None
    return found
