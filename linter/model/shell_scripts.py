"""Which scripts a RUN instruction runs, with which shell, options and mounts.

Mimics BuildKit's dispatchRun
(https://github.com/moby/buildkit/blob/master/frontend/dockerfile/dockerfile2llb/convert.go):
`RUN <<EOF` alone runs the heredoc body with the shell (or with its `#!` interpreter); any
other heredoc RUN runs the first line with the bodies appended, so a body is code only when it
feeds a shell (`RUN bash <<EOF`) or an interpreter (`RUN python3 <<EOF`); `cat <<EOF > f`
bodies are data. The shell comes from the stage's last SHELL (inherited through `FROM stage`),
else `/bin/sh -c`, or `cmd /S /C` on Windows base images.
"""

from __future__ import annotations

import csv
import posixpath
import re
from typing import TYPE_CHECKING

from docklint.model.shell import (
    NEW_SHELL,
    STATS,
    Command,
    Mount,
    Script,
    ShellWord,
    flag_options,
    set_changes,
    shell_context,
)
from docklint.model.shell_parse import Builder, make_word
from docklint.model.shell_wrappers import POSIX_SHELLS, shell_script_word
from docklint.model.source import MappedText, Source

if TYPE_CHECKING:
    from docklint.model.dockerfile import Dockerfile
    from docklint.model.nodes import Heredoc, Instruction, Stage

DEFAULT_SHELL = ("/bin/sh", "-c")
WINDOWS_SHELL = ("cmd", "/S", "/C")
_WINDOWS_BASE = re.compile(r"windows|nanoserver|servercore|ltsc20\d\d", re.IGNORECASE)
_SHELL_PRAGMA = re.compile(r"#\s*(?:hadolint|dlint)\s+shell\s*=\s*(\S+)", re.IGNORECASE)
_SIMPLE_HEREDOC = re.compile(r"\s*<<-?([\"']?)[A-Za-z0-9_][A-Za-z0-9_.\-]*\1\s*")


def build_scripts(df: Dockerfile, inst: Instruction) -> list[Script]:
    mounts = parse_mounts(inst)
    if inst.json_args is not None:
        return [_exec_script(inst, mounts)]
    shell_argv = shell_for(df, inst)
    shell = classify(shell_argv[0]) if shell_argv else "other"
    options = shell_options(shell_argv) if shell == "posix" else frozenset()
    base = dict(instruction=inst, shell=shell, shell_argv=shell_argv, shell_options=options, mounts=mounts)
    heredocs = inst.heredocs
    if heredocs and len(heredocs) == 1 and _SIMPLE_HEREDOC.fullmatch(inst.args.text):
        heredoc = heredocs[0]
        interpreter = _shebang(heredoc.interpreter)
        text = body_text(heredoc)
        script = Script(text=text, kind="heredoc", heredoc=heredoc, interpreter=interpreter, **base)  # type: ignore[arg-type]
        return [analyse(script)]
    text = with_bodies(inst) if heredocs else inst.args
    script = analyse(Script(text=text, kind="run", **base))  # type: ignore[arg-type]
    scripts = [script]
    if heredocs and script.analysed:
        scripts.extend(_fed_heredocs(script, heredocs, base))
    return scripts


def analyse(script: Script, builder: Builder | None = None) -> Script:
    """Parse a script's commands (POSIX shells only) and fill in the derived fields."""
    if not script.analysed:
        STATS["skipped_scripts"] += 1
        return script
    STATS["scripts"] += 1
    if builder is None:
        from docklint.model.shell_memo import parse_commands

        parsed, fallback, tokenized = parse_commands(script.text)
    else:
        parsed, fallback, tokenized = builder.commands, builder.fallback, builder.tokenized
    script._parsed = tuple(parsed)
    commands = _dedup(parsed)
    main: Command | None = None
    if script.kind == "exec" and commands and commands[0].name in POSIX_SHELLS and shell_script_word(commands[0].args):
        main = commands[0]
        script.shell_options = flag_options(main)
    points: list[tuple[int, Command | None, frozenset[str], frozenset[str]]] = []
    for index, command in enumerate(commands):
        command.index = index
        command.script = script
        command.instruction = script.instruction
        if command.name == "set" and (command.nested is None or command.nested in NEW_SHELL):
            added, removed = set_changes(command.args)
            points.append((index, shell_context(command), added, removed))
    script.commands = tuple(commands)
    script.fallback = fallback
    script.tokenized = tokenized
    script._set_points = tuple(points)
    script._main = main
    options = set(script.shell_options)
    for _, where, added, _removed in points:
        if where is main:
            options |= added
    script.set_options = frozenset(options)
    return script


def _dedup(commands: list[Command]) -> list[Command]:
    """Drop a command seen twice (a `$(...)` inside `sh -c "..."` is parsed by both shells)."""
    seen: set[tuple[int, int, str]] = set()
    kept: list[Command] = []
    for command in commands:
        key = (command.text.source_offset(command.start), command.text.source_offset(max(command.end - 1, command.start)), command.name)
        if key in seen:
            continue
        seen.add(key)
        kept.append(command)
    return kept


def _exec_script(inst: Instruction, mounts: tuple[Mount, ...]) -> Script:
    args = inst.args
    builder = Builder()
    builder.exec_text = args
    argv = [_exec_word(args, start, end) for start, end in _exec_spans(inst)]
    runs_shell = bool(argv) and posixpath.basename(argv[0].value) in POSIX_SHELLS and shell_script_word(tuple(argv[1:])) is not None
    script = Script(instruction=inst, text=args, kind="exec", shell="posix" if runs_shell else "none",
                    shell_argv=tuple(w.value for w in argv[:1]), mounts=mounts)
    if argv:
        builder.add(args, [], argv, [], argv[0].offset, argv[-1].offset + len(argv[-1].raw), None, None, 0)
    return analyse(script, builder)


def _exec_spans(inst: Instruction) -> list[tuple[int, int]]:
    import json

    text = inst.args.text
    spans: list[tuple[int, int]] = []
    position = 0
    for value in inst.json_args or ():
        encoded = json.dumps(value, ensure_ascii=False)
        found = text.find(encoded, position)
        if found < 0:
            found = text.find('"', position)
            end = _json_string_end(text, found) if found >= 0 else len(text)
        else:
            end = found + len(encoded)
        found = max(found, 0)
        spans.append((found, end))
        position = end
    return spans


def _json_string_end(text: str, start: int) -> int:
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i + 1
        i += 1
    return len(text)


def _exec_word(args: MappedText, start: int, end: int) -> ShellWord:
    from docklint.model.shell_wrappers import json_offsets

    raw = args.text[start:end]
    value, _ = json_offsets(raw)
    return ShellWord(value, raw, args, start, True, False)


def _fed_heredocs(script: Script, heredocs: tuple[Heredoc, ...], base: dict[str, object]) -> list[Script]:
    """Heredoc bodies that a command of the first line reads as a program."""
    found: list[Script] = []
    for heredoc in heredocs:
        reader = _reader(script, heredoc.delimiter)
        if reader is None:
            continue
        if reader.name in POSIX_SHELLS and not reader.positionals():
            fed = Script(text=body_text(heredoc), kind="heredoc", heredoc=heredoc, **base)  # type: ignore[arg-type]
            found.append(analyse(fed))
        elif reader.tool in _INTERPRETERS or reader.name in _INTERPRETERS:
            fed = Script(text=body_text(heredoc), kind="heredoc", heredoc=heredoc, interpreter=reader.name, **base)  # type: ignore[arg-type]
            found.append(analyse(fed))
    return found


_INTERPRETERS = frozenset(
    "python pypy perl ruby node nodejs php lua Rscript pwsh powershell tclsh awk gawk psql mysql sqlite3 "
    "fish osascript groovy jshell julia".split()
)


def _reader(script: Script, delimiter: str) -> Command | None:
    for command in script.commands:
        for redirect in command.redirects:
            if redirect.op.startswith("<<") and redirect.op != "<<<" and redirect.target is not None:
                if redirect.target.value == delimiter:
                    return command
    return None


def _shebang(interpreter: str | None) -> str | None:
    """The non-POSIX-shell program of a `#!` line (`#!/usr/bin/env python3` -> `python3`)."""
    if interpreter is None:
        return None
    words = interpreter.split()
    if not words:
        return None
    program = posixpath.basename(words[0])
    if program == "env":
        rest = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
        program = posixpath.basename(rest[0]) if rest else "env"
    return None if program in POSIX_SHELLS else program


def body_text(heredoc: Heredoc) -> MappedText:
    """The body as the shell reads it: tabs stripped for `<<-`, carriage returns blanked."""
    body = heredoc.body
    if not heredoc.strip_tabs and "\r" not in body.text:
        return body
    parts: list[str] = []
    pieces: list[tuple[int, int]] = []
    length = 0
    line_start = 0
    text = body.text
    while line_start < len(text):
        newline = text.find("\n", line_start)
        line_end = len(text) if newline < 0 else newline + 1
        skip = line_start
        if heredoc.strip_tabs:
            while skip < line_end and text[skip] == "\t":
                skip += 1
        chunk = text[skip:line_end].replace("\r", " ")
        if chunk:
            pieces.append((length, body.source_offset(skip)))
            parts.append(chunk)
            length += len(chunk)
        line_start = line_end
    if not pieces:
        return body
    return MappedText("".join(parts), body.source, tuple(pieces))


def with_bodies(inst: Instruction) -> MappedText:
    """The first line followed by each heredoc body and terminator, as the shell receives it."""
    args = inst.args
    source = args.source
    parts = [args.text]
    pieces = list(args.pieces)
    length = len(args.text)
    newline_at = source.offset(args.range(0, len(args.text)).end) if args.text else args.source_offset(0)
    for index, heredoc in enumerate(inst.heredocs):
        if index == 0:  # the line break after the first line; later bodies follow a terminator
            pieces.append((length, newline_at))
            parts.append("\n")
            length += 1
        body = heredoc.body
        for text_start, source_start in body.pieces:
            pieces.append((length + text_start, source_start))
        parts.append(body.text.replace("\r", " "))
        length += len(body.text)
        if heredoc.end_range is None:
            break
        end_start = source.offset(heredoc.end_range.start)
        terminator = source.text[end_start : source.offset(heredoc.end_range.end)]
        pieces.append((length, end_start))
        parts.append(terminator + "\n")
        length += len(terminator) + 1
    return MappedText("".join(parts), source, tuple(pieces))


def shell_for(df: Dockerfile, inst: Instruction) -> tuple[str, ...]:
    """The shell running `inst`'s script.

    The stage's last SHELL before `inst` (through `FROM stage` chains), unless a later
    `# hadolint shell=<name>` / `# dlint shell=<name>` comment says otherwise (hadolint's shell
    pragma: it holds for the rest of the file); else `/bin/sh -c`, or `cmd /S /C` on a Windows
    base image.
    """
    found, found_line = _shell_instruction(df, inst)
    pragma = _shell_pragma(df, inst.first_line)
    if pragma is not None and pragma[0] > found_line:
        return (pragma[1],)
    return found


def _shell_instruction(df: Dockerfile, inst: Instruction) -> tuple[tuple[str, ...], int]:
    stage: Stage | None = df.stage_of(inst.parent or inst)
    limit = (inst.parent or inst).index
    seen: set[int] = set()
    while stage is not None and stage.index not in seen:
        seen.add(stage.index)
        for other in reversed(stage.instructions):
            if other.index < limit and other.keyword == "SHELL" and other.json_args:
                return other.json_args, other.first_line
        if stage.base_stage is None:
            break
        stage = df.stages[stage.base_stage]
        limit = 1 << 30
    if stage is not None and stage.base is not None and _WINDOWS_BASE.search(stage.base.text):
        return WINDOWS_SHELL, -1
    return DEFAULT_SHELL, -1


def _shell_pragma(df: Dockerfile, line: int) -> tuple[int, str] | None:
    """The last shell pragma comment above `line`: `(line, shell)`."""
    key = ("shell-pragmas",)
    if key not in df._cache:
        pragmas: list[tuple[int, str]] = []
        for comment in df.comments:
            match = _SHELL_PRAGMA.match(comment.text)
            if match:
                pragmas.append((comment.range.start.line, match.group(1)))
        df._cache[key] = pragmas
    found = None
    for pragma_line, shell in df._cache[key]:  # type: ignore[attr-defined]
        if pragma_line < line:
            found = (pragma_line, shell)
    return found


def classify(program: str) -> str:
    name = program.replace("\\", "/").rsplit("/", 1)[-1].lower().removesuffix(".exe")
    if name in POSIX_SHELLS:
        return "posix"
    if name in ("powershell", "pwsh"):
        return "powershell"
    if name == "cmd":
        return "cmd"
    return "other"


def shell_options(argv: tuple[str, ...]) -> frozenset[str]:
    """Options set by the SHELL's own flags (`["/bin/bash", "-eo", "pipefail", "-c"]`)."""
    added, _ = set_changes(tuple(ShellWord(a, a, _NOWHERE) for a in argv[1:] if a != "-c"))

    return added


def parse_mounts(inst: Instruction) -> tuple[Mount, ...]:
    """The RUN's `--mount` flags (BuildKit reads each as one CSV record of `key=value` fields)."""
    mounts: list[Mount] = []
    for flag in inst.flag_values("mount"):
        try:
            fields = next(csv.reader([flag.value or ""]), [])
        except csv.Error:
            fields = (flag.value or "").split(",")
        options: list[tuple[str, str | None]] = []
        for item in fields:
            key, eq, value = item.partition("=")
            options.append((key.strip().lower(), value if eq else None))
        values = {k: v for k, v in options}
        mount_type = (values.get("type") or "bind").lower()
        target = values.get("target") or values.get("dst") or values.get("destination")
        mount_id = values.get("id")
        if mount_type == "cache" and mount_id is None:
            mount_id = target
        mounts.append(
            Mount(mount_type, target, values.get("source") or values.get("src"), mount_id, values.get("from"),
                  tuple(options), flag.range)
        )
    return tuple(mounts)


_NOWHERE = MappedText("", Source(""), ((0, 0),))

__all__ = ["build_scripts", "classify", "make_word", "parse_mounts", "set_changes", "shell_for"]
