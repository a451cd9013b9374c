"""Rules about build variables: undefined or unreachable ARGs, FROM lines that only work with
`--build-arg`, ENV pairs that read each other, and PATH overwritten."""

from __future__ import annotations

import difflib
import re
from typing import Iterable, Iterator

from docklint.model.dockerfile import AUTOMATIC_ARGS, Dockerfile, parse_image_ref, split_words
from docklint.model.nodes import Instruction, KeyValue, Stage
from docklint.model.source import MappedText, Pos, Range
from docklint.model.variables import VarRef, expand, references
from docklint.rule import Context, Finding, Fix, Severity, TextEdit, rule
from docklint.rules.stage_refs import root_base

# Instructions whose arguments BuildKit expands itself (RUN, CMD and ENTRYPOINT are left to the
# shell; FROM has its own checks).
EXPANDED = ("ENV", "ARG", "LABEL", "COPY", "ADD", "EXPOSE", "USER", "WORKDIR", "VOLUME", "STOPSIGNAL")
EXPANDED_FLAGS = ("from", "chown", "chmod")
# Base images whose config sets no variable but PATH: any other name is really undefined there.
BARE_OS_IMAGES = frozenset(
    "alpine debian ubuntu busybox centos fedora rockylinux almalinux amazonlinux archlinux "
    "oraclelinux photon clearlinux leap tumbleweed ubi ubi7 ubi8 ubi9 ubi-minimal ubi8-minimal "
    "ubi9-minimal ubi-micro mageia kalilinux opensuse".split()
)
# Platform values assumed for the automatic ARGs when only defaults count (BuildKit fills them in).
PLATFORM_DEFAULTS = {
    "TARGETPLATFORM": "linux/amd64", "BUILDPLATFORM": "linux/amd64", "TARGETOS": "linux",
    "BUILDOS": "linux", "TARGETARCH": "amd64", "BUILDARCH": "amd64", "TARGETVARIANT": "",
    "BUILDVARIANT": "",
}  # fmt: skip


def has_fallback(text: str, ref: VarRef) -> bool:
    """`${X:-a}`, `${X-a}`, `${X:+a}`, `${X:?msg}` and friends: the author expected X may be unset."""
    inner = text[ref.start : ref.end]
    return inner.startswith("${") and len(inner) > len(ref.name) + 3


def suggestion(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.75)
    return f" (did you mean `${close[0]}`?)" if close else ""


def _refs_in(text: MappedText, escape: str) -> Iterator[tuple[VarRef, Range]]:
    for ref in references(text.text, escape):
        if not has_fallback(text.text, ref):
            yield ref, text.range(ref.start, ref.end)


def _expanded_texts(df: Dockerfile, inst: Instruction) -> Iterator[MappedText]:
    """The texts of an instruction that BuildKit expands: arguments and some flag values."""
    yield inst.args
    for flag in inst.flags:
        if flag.name in EXPANDED_FLAGS and flag.value_range is not None:
            raw = df.source.slice(flag.value_range)
            start = df.source.offset(flag.value_range.start)
            yield MappedText(raw, df.source, ((0, start),))


def inherited_args(df: Dockerfile, stage: Stage) -> set[str]:
    """ARG names declared in the stages this one builds on. The Dockerfile reference says ARGs end
    with their stage, but BuildKit adds ARG values to the stage's state, which `FROM <stage>`
    starts from, so they are set in the child (dockerfile2llb `dispatchArg`)."""
    names: set[str] = set()
    for current in df.lineage(stage)[1:]:
        for inst in current.of("ARG"):
            names.update(kv.key for kv in df.key_values(inst))
    return names


@rule(
    code="DF406",
    name="undefined-arg-in-from",
    severity=Severity.WARNING,
    summary="FROM uses a build argument no global ARG declares",
    message="`FROM` uses `${name}`, which no `ARG` before the first `FROM` declares, so it expands "
    "to an empty string{hint}; declare `ARG {name}=<default>` at the top of the file",
    rationale=(
        "FROM lines only see the ARGs declared before the first FROM (and BuildKit's platform "
        "variables). An ARG declared inside a stage, or a typo, leaves the variable empty and the "
        "image name broken or different from what it looks like. `${X:-default}` forms pass."
    ),
    bad="FROM node:${NODE_VERSION}-slim",
    good="ARG NODE_VERSION=22\nFROM node:${NODE_VERSION}-slim",
    buildkit=("UndefinedArgInFrom",),
    needs_text=("$",),
    each=("FROM",),
)
def undefined_arg_in_from(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    stage = df.stage_started_by(inst)
    if stage is None:
        return
    texts = [inst.args.sub(0, len(stage.base_text))]
    texts.extend(t for t in _expanded_texts(df, inst) if t is not inst.args)
    if stage.platform is not None and stage.platform.value_range is not None:
        rng = stage.platform.value_range
        texts.append(MappedText(df.source.slice(rng), df.source, ((0, df.source.offset(rng.start)),)))
    declared: set[str] | None = None  # the global ARGs, all of them before the first FROM
    seen: set[str] = set()
    for text in texts:
        for ref, rng in _refs_in(text, df.escape):
            if declared is None:
                declared = {kv.key for arg in df.global_args for kv in df.key_values(arg)} | AUTOMATIC_ARGS
            if ref.name in declared or ref.name in seen:
                continue
            seen.add(ref.name)
            yield ctx.finding(rng, name=ref.name, hint=suggestion(ref.name, declared - AUTOMATIC_ARGS))


@rule(
    code="DF410",
    name="invalid-default-arg-in-from",
    severity=Severity.WARNING,
    summary="With only ARG defaults, a FROM reference is empty or invalid",
    message="with only the `ARG` defaults, `{text}` becomes `{result}`, which is not a valid image "
    "reference, so a plain `docker build` fails; give the `ARG` a default that makes it valid",
    rationale=(
        "A build should work without `--build-arg`. When a global ARG has no default (or an "
        "empty one) and the FROM needs it, the image name is empty or malformed and the build "
        "fails with a confusing parse error. BuildKit's InvalidDefaultArgInFrom; platform "
        "variables count as `linux/amd64`."
    ),
    bad="ARG TAG\nFROM busybox:${TAG}",
    good="ARG TAG=1.36\nFROM busybox:${TAG}",
    buildkit=("InvalidDefaultArgInFrom",),
    needs_text=("$",),
)
def invalid_default_arg_in_from(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    scope: dict[str, str | None] = dict(PLATFORM_DEFAULTS)
    scope.update({k: v if v is not None else "" for k, v in df.global_scope().items()})
    names = {s.name.lower() for s in df.stages if s.name}
    for stage in df.stages:
        text = stage.base_text
        if "$" not in text:
            continue
        # BuildKit reads the FROM argument as one shell word: quotes go, escapes resolve.
        result = "".join(word[3] for word in split_words(expand(text, scope, df.escape)[0], df.escape))
        if result.lower() in names or result.lower() == "scratch":
            continue
        if not result or parse_image_ref(result) is None:
            yield ctx.finding(stage.base_range, text=text, result=result)


def _declared_in(inst: Instruction, df: Dockerfile) -> set[str]:
    return {kv.key for kv in df.key_values(inst)} if inst.keyword in ("ENV", "ARG") else set()


@rule(
    code="DF407",
    name="undefined-var",
    severity=Severity.WARNING,
    summary="A variable used outside shell commands is declared by no ARG or ENV",
    message="`${name}` is not set by any `ARG` or `ENV` before this point, so it expands to an "
    "empty string{hint}; declare it first or fix the name",
    rationale=(
        "BuildKit expands variables in ENV, ARG, LABEL, COPY, ADD, WORKDIR, USER, EXPOSE, VOLUME "
        "and STOPSIGNAL itself, and an unknown name silently becomes empty: `COPY $SRC_DIR /app` "
        "copies the whole context. dlint cannot read a base image's own ENV, so for stages built "
        "on language or application images it only reports names that look like a typo of a "
        "known variable; on scratch and bare OS images (alpine, debian, ubuntu, ...) every unknown "
        "name is reported. Global ARGs not re-declared in the stage are DF418's, and "
        "`${X:-default}` forms pass."
    ),
    bad="FROM alpine:3.20\nCOPY $SRC_DIR /app/",
    good="FROM alpine:3.20\nARG SRC_DIR=src\nCOPY $SRC_DIR /app/",
    buildkit=("UndefinedVar",),
    needs_text=("$",),
    each=EXPANDED,
)
def undefined_var(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    stage = df.stage_of(inst)
    if stage is None:
        return  # a global ARG: FROM lines are DF406's
    known: tuple[set[str], set[str], bool] | None = None
    scope: dict[str, str | None] | None = None
    reported: set[str] = set()
    for text in _expanded_texts(df, inst):
        for ref, rng in _refs_in(text, df.escape):
            name = ref.name
            if name in reported or name in AUTOMATIC_ARGS or name == "PATH":
                continue
            if known is None:
                known = _known_in_stage(df, stage)
            global_names, inherited, bare = known
            if name in global_names or name in inherited:
                continue
            if scope is None:
                scope = df.scope(inst)
                scope.update(dict.fromkeys(_declared_in(inst, df)))
            if name in scope:
                continue
            hint = suggestion(name, [*scope, *global_names])
            if not bare and not hint:
                continue
            reported.add(name)
            yield ctx.finding(rng, name=name, hint=hint)


def _known_in_stage(df: Dockerfile, stage: Stage) -> tuple[set[str], set[str], bool]:
    """The global ARG names, the ARGs the stage inherits from the stages it builds on, and
    whether its root image is scratch or a bare OS (all of them earlier in the file)."""
    root = root_base(df, stage)
    bare = root.is_scratch or (root.base is not None and root.base.name in BARE_OS_IMAGES)
    global_names = {kv.key for arg in df.global_args for kv in df.key_values(arg)}
    return global_names, inherited_args(df, stage), bare


_SHELL_ASSIGN = "(?:(?<![\\w$]){n}=|\\bfor\\s+{n}\\b|\\bread\\b[^;&|\\n]*\\b{n}\\b|\\blocal\\s+{n}\\b)"


def _stage_texts(inst: Instruction) -> Iterator[MappedText]:
    yield inst.args
    for heredoc in inst.heredocs:
        if not heredoc.quoted:
            yield heredoc.body


@rule(
    code="DF418",
    name="global-arg-not-redeclared",
    severity=Severity.WARNING,
    summary="A global ARG is used in a stage without `ARG NAME` there",
    message="`${name}` is a global `ARG` (line {line}), but this stage never re-declares it, so "
    "here it is empty; add `ARG {name}` after this stage's `FROM`",
    rationale=(
        "ARGs declared before the first FROM are visible only to FROM lines. Inside a stage they "
        "must be re-declared with `ARG NAME` (no value needed) before use; otherwise RUN, COPY and "
        "friends see an empty string, a classic source of `curl .../v/app.tar.gz` downloads of "
        "nothing. RUN scripts count too, unless the script sets the variable itself."
    ),
    bad="ARG VERSION=1.2.3\nFROM alpine:3.20\nRUN wget https://example.com/app-${VERSION}.tar.gz",
    good="ARG VERSION=1.2.3\nFROM alpine:3.20\nARG VERSION\nRUN wget https://example.com/app-${VERSION}.tar.gz",
    fix_safety="Unsafe: the variable gets the global default inside the stage, which is what the "
    "instruction meant but changes what gets built.",
    needs_instructions=("ARG",),
    needs_text=("$",),
    each=(*EXPANDED, "RUN"),
)
def global_arg_not_redeclared(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    stage = df.stage_of(inst)
    if stage is None:
        return
    global_lines = _global_arg_lines(df)
    if not global_lines:
        return
    reported = set(_reported_before(df, stage, global_lines)[inst.index])
    for name, text, ref in _global_uses(df, inst, global_lines, reported):
        yield ctx.finding(text.range(ref.start, ref.end), fix=_redeclare(df, stage, name),
                          name=name, line=global_lines[name])


def _global_arg_lines(df: Dockerfile) -> dict[str, int]:
    """The (1-based) line of the first global ARG declaring each name (all before any stage)."""
    found: dict[str, int] = {}
    for arg in df.global_args:
        for kv in df.key_values(arg):
            found.setdefault(kv.key, arg.first_line + 1)
    return found


def _reported_before(df: Dockerfile, stage: Stage, global_lines: dict[str, int]) -> dict[int, frozenset[str]]:
    """For each instruction of the stage, by index, the global ARG names DF418 reported on the
    stage's instructions before it (each name is reported once a stage), starting from those the
    stage inherits. Worked out once per stage and model; each entry reads only earlier ones."""
    key = ("global-args-reported", stage.index)
    cached = df._cache.get(key)
    if cached is None:
        reported = inherited_args(df, stage)  # set in the child too: BuildKit carries them over
        cached = {}
        for inst in stage.instructions:
            cached[inst.index] = frozenset(reported)
            for _use in _global_uses(df, inst, global_lines, reported):
                pass  # (what it reports is added to `reported`)
        df._cache[key] = cached
    return cached  # type: ignore[return-value]


def _global_uses(
    df: Dockerfile, inst: Instruction, global_lines: dict[str, int], reported: set[str]
) -> Iterator[tuple[str, MappedText, VarRef]]:
    """Uses of a global ARG the stage did not re-declare, in `inst`, each name once (added to
    `reported`)."""
    if inst.keyword not in EXPANDED and inst.keyword != "RUN":
        return
    texts = list(_stage_texts(inst)) if inst.keyword == "RUN" else list(_expanded_texts(df, inst))
    for text in texts:
        for ref in references(text.text, df.escape):
            name = ref.name
            if name not in global_lines or name in reported or name in AUTOMATIC_ARGS:
                continue
            if name in df.scope(inst) or name in _declared_in(inst, df):
                continue
            if inst.keyword == "RUN" and re.search(_SHELL_ASSIGN.format(n=re.escape(name)), text.text):
                continue
            reported.add(name)
            yield name, text, ref


def _redeclare(df: Dockerfile, stage: Stage, name: str) -> Fix:
    from_ = stage.from_
    keyword = "arg" if from_.keyword_raw.islower() else "ARG"
    indent = df.source.line(from_.first_line)[: from_.keyword_range.start.col]
    last = from_.last_line
    terminator = df.source.terminator(last) or df.source.terminator(0) or "\n"
    if df.source.terminator(last):
        edit = TextEdit.insert(Pos(last + 1, 0), f"{indent}{keyword} {name}{terminator}")
    else:
        edit = TextEdit.insert(df.source.line_end(last), f"{terminator}{indent}{keyword} {name}")
    return Fix.unsafe(f"Add `ARG {name}` to the stage", edit)


@rule(
    code="DL3044",
    name="env-self-reference",
    severity=Severity.ERROR,
    summary="An ENV value uses a variable the same ENV defines",
    message="`${name}` reads `{name}`, which this same `ENV` sets, but it still has its value from "
    "before the instruction (none); set `{name}` in an earlier `ENV`",
    rationale=(
        "All pairs of one ENV are expanded with the variables as they were before the "
        "instruction, so `ENV A=1 B=$A` sets B to the old A, usually empty. Referring to a "
        "variable already set earlier is fine, and so is `PATH=$PATH:...` on its own pair. "
        "Escaped (`\\$A`) and single-quoted references are literal text and pass (hadolint "
        "flags them)."
    ),
    bad="FROM alpine:3.20\nENV APP_HOME=/srv/app APP_BIN=$APP_HOME/bin",
    good="FROM alpine:3.20\nENV APP_HOME=/srv/app\nENV APP_BIN=$APP_HOME/bin",
    needs_instructions=("ENV",),
    needs_text=("$",),
    each=("ENV",),
)
def env_self_reference(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    pairs = df.key_values(inst)
    if len(pairs) < 2:
        return
    scope = df.scope(inst)
    keys = {kv.key for kv in pairs}
    for index, pair in enumerate(pairs):
        if pair.value_range is None:
            continue
        raw = df.source.slice(pair.value_range)
        base = df.source.offset(pair.value_range.start)
        for ref in references(raw, df.escape):
            if ref.name not in keys or ref.name in scope or pairs_key_index(pairs, ref.name) == index:
                continue
            rng = Range(df.source.pos(base + ref.start), df.source.pos(base + ref.end))
            yield ctx.finding(rng, name=ref.name)


def pairs_key_index(pairs: list[KeyValue], name: str) -> int:
    for index, pair in enumerate(pairs):
        if pair.key == name:
            return index
    return -1


def windows_env(df: Dockerfile, inst: Instruction) -> bool | None:
    """For an ENV of a stage, whether the stage builds a Windows image (`is_windows_stage`): a
    fact DF421 is given, since a later SHELL of the stage can say so. None for the others."""
    if inst.keyword != "ENV" or inst.parent is not None or not 0 <= inst.stage_index < len(df.stages):
        return None
    known: dict[int, bool] | None = df._cache.get(("windows-stages",))  # type: ignore[assignment]
    if known is None:
        known = df._cache[("windows-stages",)] = {}
    found = known.get(inst.stage_index)
    if found is None:
        from docklint.rules.process import is_windows_stage

        found = known[inst.stage_index] = is_windows_stage(df, df.stages[inst.stage_index])
    return found


@rule(
    code="DF421",
    name="env-path-clobbered",
    severity=Severity.WARNING,
    summary="ENV PATH=... without $PATH drops the base image's PATH",
    message="`PATH={value}` replaces the base image's `PATH` instead of extending it, so tools the "
    "base image puts on the path disappear; write `PATH={value}:$PATH`",
    rationale=(
        "Language images put their tools on PATH (`/usr/local/go/bin`, `/opt/java/bin`, ...). "
        "Setting PATH without `$PATH` throws those away, and commands later fail with "
        "`not found`. Values that spell out the system directories (`/usr/bin` and `/bin`) are "
        "taken as deliberate, and scratch and Windows stages are skipped."
    ),
    bad="FROM golang:1.23\nENV PATH=/app/bin",
    good="FROM golang:1.23\nENV PATH=/app/bin:$PATH",
    needs_instructions=("ENV",),
    needs_text=("PATH",),
    each=("ENV",),
    given=(windows_env,),
)
def env_path_clobbered(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    stage = df.stage_of(inst)
    if stage is None or root_base(df, stage).is_scratch or windows_env(df, inst):
        return
    for pair in df.key_values(inst):
        if pair.key != "PATH" or pair.value is None or pair.value_range is None:
            continue
        raw = df.source.slice(pair.value_range)
        if any("PATH" in ref.name for ref in references(raw, df.escape)):
            continue  # $PATH itself, or a saved copy such as ${ORIGINAL_PATH}
        if ";" in pair.value or re.search(r"[A-Za-z]:\\", pair.value):
            continue  # a Windows PATH
        entries = {entry.rstrip("/") for entry in pair.value.split(":")}
        if "/usr/bin" in entries and "/bin" in entries:
            continue
        yield ctx.finding(pair.value_range, value=pair.value)
