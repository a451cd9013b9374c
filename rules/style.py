"""Style rules: inline ignore pragmas, consecutive RUN instructions and BuildKit syntax used
without a `# syntax=` directive."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.model.memo import register_lru
from docklint.model.nodes import Blank, Comment, Instruction
from docklint.model.source import Pos, Range
from docklint.rule import Context, Finding, Fix, Severity, TextEdit, rule
from docklint.suppress import all_comments, pragmas


@rule(
    code="DL1001",
    name="inline-ignore-pragma",
    severity=Severity.STYLE,
    summary="An inline ignore pragma is present",
    message="this `# {tool} ignore=` pragma silences findings for one instruction; fix the "
    "finding, or move the exception to the configuration file where it is reviewed",
    rationale=(
        "Inline pragmas scatter exceptions through Dockerfiles where reviewers rarely look. Teams "
        "that want every exception in one reviewed place turn this rule on. Off by default, as in "
        "hadolint; `global` pragmas are not reported."
    ),
    bad="FROM debian:12\n# hadolint ignore=DL3008\nRUN apt-get update && apt-get install -y curl",
    good="FROM debian:12\nRUN apt-get update && apt-get install -y curl=7.88.1-10+deb12u8",
    enabled=False,
)
def inline_ignore_pragma(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    for pragma in pragmas(all_comments(df)):
        if not pragma.is_global:
            yield ctx.finding(pragma.comment.range, tool=pragma.tool)


# -- DL3059 ---------------------------------------------------------------------------------

_SEPARATOR = re.compile(r"&&|\|\||;|\||\n|&(?!&)")
_SUBSTITUTION = re.compile(r"\$\(|`")
# Builtins whose effect would leak into the next command once two RUNs share one shell.
_STATEFUL = frozenset("cd pushd popd export set unset source . alias umask ulimit shopt eval exec trap".split())
_POSIX_SHELLS = ("sh", "bash", "ash", "dash", "zsh", "ksh", "mksh")


def _unquoted(text: str) -> str:
    """The text with quoted parts blanked out, so separators inside quotes do not count."""
    out: list[str] = []
    quote = ""
    escaped = False
    for ch in text:
        if escaped:
            out.append(" ")
            escaped = False
        elif ch == "\\" and quote != "'":
            escaped = True
            out.append(" ")
        elif quote:
            out.append(" " if ch != quote else ch)
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
            out.append(ch)
        else:
            out.append(ch)
    return "".join(out)


_KEYWORDS = frozenset("if then else elif do while until ! time { (".split())
_NOT_COMMANDS = frozenset("fi done esac } )".split())


def _segment_commands(segment: str, posix: bool) -> int:
    words = segment.replace("(", " ( ").replace(")", " ) ").split()
    while words and words[0] in _KEYWORDS:
        words = words[1:]
    if not words or words[0] in _NOT_COMMANDS or words[0].startswith("#"):
        return 0
    if words[0] == "for" or (posix and words[0] in ("[", "[[")):
        return 0  # loop headers and test brackets are not counted as commands (as in hadolint)
    return 1


def command_count(inst: Instruction, posix: bool = True) -> int:
    """How many commands a RUN runs, roughly as hadolint counts them: `;`, `&&`, `||`, `|`, `&` and
    new lines separate commands, command substitutions add one each, and test brackets
    (`[ ... ]`), compound keywords and loop headers do not count."""
    if inst.json_args is not None:
        return 1
    texts = [h.body.text for h in inst.heredocs] if inst.heredocs else [inst.args.text]
    return sum(_text_commands(text, posix) if len(text) <= 4096 else _count(text, posix) for text in texts)


def _count(text: str, posix: bool) -> int:
    blank = _unquoted(text)
    count = sum(_segment_commands(part, posix) for part in _SEPARATOR.split(blank))
    return count + len(_SUBSTITUTION.findall(text))


# The count depends on the text alone: re-lints of an edited file (the language server) and
# repeated scripts across files ask again for the same texts.
_text_commands = register_lru(lru_cache(maxsize=2048)(_count))


def _flags_key(inst: Instruction) -> tuple[tuple[str, str | None], ...]:
    return tuple(sorted((f.name, f.value) for f in inst.flags))


def _indent(df: Dockerfile) -> str:
    """The indentation the file uses on continuation lines of RUN (four spaces if none)."""
    for inst in df.of("RUN"):
        if inst.last_line > inst.first_line and not inst.heredocs:
            line = df.source.line(inst.first_line + 1)
            indent = line[: len(line) - len(line.lstrip(" \t"))]
            if indent:
                return indent
    return "    "


def _shell_is_posix(df: Dockerfile, inst: Instruction) -> bool:
    stage = df.stage_of(inst)
    if stage is None:
        return False
    shells = [s for s in stage.instructions if s.keyword == "SHELL" and s.index < inst.index]
    if shells:
        args = shells[-1].json_args
        return bool(args) and args[0].rsplit("/", 1)[-1] in _POSIX_SHELLS
    return df.escape != "`"


def _merge_fix(df: Dockerfile, first: Instruction, second: Instruction) -> Fix | None:
    if first.heredocs or second.heredocs or first.json_args is not None or second.json_args is not None:
        return None
    between = [n for n in df.nodes if isinstance(n, Comment) and first.last_line < n.range.start.line < second.first_line]
    if between or first.inner_comments or not _shell_is_posix(df, first):
        return None
    words = first.args.text.split()
    if not words or words[0] in _STATEFUL or "=" in words[0].split("/")[0]:
        return None
    terminator = df.source.terminator(first.last_line) or "\n"
    args_start = second.args_range.start
    text = f" && {df.escape}{terminator}{_indent(df)}"
    return Fix.safe("Merge into the previous `RUN`", TextEdit.replace(Range(first.args_range.end, args_start), text))


@rule(
    code="DL3059",
    name="consecutive-run",
    severity=Severity.INFO,
    summary="Consecutive RUN instructions that could be merged",
    message="this `RUN` follows another single-command `RUN` with the same flags, adding a layer "
    "for one command; merge them with `&&`",
    rationale=(
        "Each RUN makes a layer, and files deleted in a later layer still take space in the "
        "earlier one. Two one-command RUNs in a row are usually one step split by accident. As in "
        "hadolint, RUNs that already chain several commands are left alone (splitting those is "
        "usually deliberate, for caching), comments between RUNs do not separate them, and "
        "different `--mount`/`--network` flags do."
    ),
    bad="FROM alpine:3.20\nRUN apk add --no-cache curl\nRUN curl -fsSLO https://example.com/tool",
    good="FROM alpine:3.20\nRUN apk add --no-cache curl && \\\n    curl -fsSLO https://example.com/tool",
    fix_safety="Safe: the second command runs only if the first succeeds, as before; not offered "
    "when the first command changes shell state (`cd`, `export`, `set`, ...), when comments sit "
    "between the two, for heredocs, exec form or a non-POSIX SHELL.",
    tags=("bloat",),
    needs_instructions=("RUN",),
)
def consecutive_run(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    previous: Instruction | None = None
    previous_count = 0
    default_posix = df.escape != "`"
    posix, stage = default_posix, -1  # the shell in force, followed along (as _shell_is_posix reads it)
    for node in df.nodes:
        if isinstance(node, (Comment, Blank)):
            continue
        if node.stage_index != stage:
            stage, posix = node.stage_index, default_posix
        if node.keyword == "SHELL":
            args = node.json_args
            posix = bool(args) and args[0].rsplit("/", 1)[-1] in _POSIX_SHELLS
        if node.keyword != "RUN" or node.stage_index < 0:
            previous = None
            continue
        count = command_count(node, posix)
        if (
            previous is not None
            and previous.stage_index == node.stage_index
            and _flags_key(previous) == _flags_key(node)
            and count <= 1
            and previous_count <= 1
        ):
            yield ctx.finding(node.keyword_range, fix=_merge_fix(df, previous, node))
        previous, previous_count = node, count


# -- DF424 ----------------------------------------------------------------------------------

_BUILDKIT_FLAGS = {
    "RUN": ("mount", "network", "security", "device"),
    "COPY": ("link", "parents", "exclude", "chmod"),
    "ADD": ("link", "parents", "exclude", "checksum", "keep-git-dir", "unpack", "chmod"),
}


def _buildkit_feature(inst: Instruction) -> tuple[Range, str] | None:
    if inst.heredocs:
        return inst.heredocs[0].marker_range, "a heredoc"
    for flag in inst.flags:
        if flag.name in _BUILDKIT_FLAGS.get(inst.keyword, ()):
            return flag.range, f"`{inst.keyword} --{flag.name}`"
    return None


@rule(
    code="DF424",
    name="syntax-directive-missing",
    severity=Severity.INFO,
    summary="BuildKit-only syntax without a `# syntax=` directive",
    message="{feature} needs a BuildKit Dockerfile frontend, but no `# syntax=` line says which; "
    "add `# syntax=docker/dockerfile:1` as the first line",
    rationale=(
        "Heredocs, `RUN --mount`, `COPY --link` and `ADD --checksum` only work with a recent "
        "Dockerfile frontend. Without a `# syntax=` directive the builder's built-in frontend "
        "decides, and older Docker engines or other builders fail with a parse error. The "
        "directive pins the frontend so the file builds the same everywhere. Off by default."
    ),
    bad="FROM alpine:3.20\nRUN --mount=type=cache,target=/var/cache/apk apk add curl",
    good="# syntax=docker/dockerfile:1\nFROM alpine:3.20\nRUN --mount=type=cache,target=/var/cache/apk apk add curl",
    fix_safety="Unsafe: the build then pulls the `docker/dockerfile:1` frontend image, which "
    "offline builders may not have.",
    enabled=False,
    needs_instructions=("RUN", "COPY", "ADD"),
)
def syntax_directive_missing(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    if "syntax" in df.directives:
        return
    for inst in df.instructions:
        found = _buildkit_feature(inst) or (_buildkit_feature(inst.onbuild) if inst.onbuild else None)
        if found is None:
            continue
        first = df.source.line(0) if df.source.line_count else ""
        start = Pos(0, 1 if first.startswith("\ufeff") else 0)
        terminator = df.source.terminator(0) or "\n"
        edit = TextEdit.insert(start, f"# syntax=docker/dockerfile:1{terminator}")
        yield ctx.finding(found[0], fix=Fix.unsafe("Add `# syntax=docker/dockerfile:1`", edit), feature=found[1])
        return
