"""Helpers shared by the package-manager rule families: where a command is, how a RUN is edited.

Fixes follow the text around them: a missing flag goes where the command's other flags are, a
cleanup command joins the RUN with `&&` in the continuation style the RUN already uses, and a
heredoc script gets the cleanup as a new line of its body.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterator

from docklint.model.source import Pos, Range
from docklint.rule import TextEdit
from docklint.rules.stage_refs import not_shipped

if TYPE_CHECKING:
    from docklint.model.dockerfile import Dockerfile
    from docklint.model.nodes import Instruction, Stage
    from docklint.model.shell import Command, Script, ShellWord

# What may follow the last command of a script when a cleanup is appended after it.
_TAIL = re.compile(r"(?:\s|;|\)|\}|\b(?:fi|done|esac)\b)*")
_OPERATOR_START = ("&&", "||", ";", "|")


def command_range(command: Command) -> Range:
    """The command's name through its subcommand (`apt-get install`), prefix assignments left out."""
    start = command.argv[0].range.start
    sub = command.subcommand
    end = sub.range.end if sub is not None else command.argv[0].range.end
    return Range(start, end)


def run_instructions(df: Dockerfile) -> Iterator[Instruction]:
    """RUN instructions in file order, ONBUILD bodies included."""
    return iter(df.with_onbuild("RUN"))


def run_commands(df: Dockerfile, inst: Instruction) -> list[Command]:
    """Every analysed command of one RUN, over all its scripts, in order."""
    return [command for script in df.scripts(inst) if script.analysed for command in script.commands]


def order(command: Command, commands: list[Command]) -> int:
    """Position of `command` in a RUN's command list (by identity)."""
    for index, other in enumerate(commands):
        if other is command:
            return index
    return -1


def reaches_image(df: Dockerfile, stage: Stage | None) -> bool:
    """True for the final stage and the stages it builds on (`FROM stage`), transitively."""
    if stage is None or not df.stages:
        return stage is None
    return stage.index in _image_stages(df)


def shipped_runs(df: Dockerfile) -> Iterator[Instruction]:
    """RUNs of the stages that end up in the final image (ONBUILD bodies left out: they run in
    another build). Nothing when the file is for a development or test image."""
    final = df.final_stage
    if final is None or not_shipped(df, final):
        return
    for stage in df.stages:
        if reaches_image(df, stage):
            yield from stage.of("RUN")


# Facts per-instruction rules may be given (`given=`): what they say depends on later stages.


def in_image(df: Dockerfile, inst: Instruction) -> bool:
    """Whether `inst`'s stage is the final stage or one it builds on (`reaches_image`)."""
    return reaches_image(df, df.stage_of(inst.parent or inst))


def ships(df: Dockerfile, inst: Instruction) -> bool:
    """Whether `inst` is one of `shipped_runs`: a RUN of a stage in the final image, in a file
    that is not for a development or test image."""
    if inst.keyword != "RUN" or inst.parent is not None:
        return False
    final = df.final_stage
    return final is not None and inst.stage_index in _image_stages(df) and not not_shipped(df, final)


def _image_stages(df: Dockerfile) -> frozenset[int]:
    """The indexes of the final stage and the stages it builds on (worked out once per model)."""
    found = df._cache.get(("image-stages",))
    if found is None:
        found = df._cache[("image-stages",)] = frozenset(stage.index for stage in df.lineage()) if df.stages else frozenset()
    return found  # type: ignore[return-value]


def earlier_runs(df: Dockerfile, inst: Instruction) -> Iterator[Instruction]:
    """RUNs whose layers `inst` builds on: earlier in its stage, and in the stages under it."""
    target = inst.parent or inst
    stage = df.stage_of(target)
    for stage in df.lineage(stage) if stage is not None else ():
        for other in stage.instructions:
            if other.keyword == "RUN" and (stage.index != target.stage_index or other.index < target.index):
                yield other


# -- inserting a flag ---------------------------------------------------------------------------


def insert_flag(command: Command, flag: str) -> TextEdit | None:
    """An edit adding `flag` next to the command's other flags (after the subcommand when none).

    Exec-form commands get a new JSON string. Returns None when the command cannot be edited
    safely (its name or subcommand spans text that is not written as one piece).
    """
    anchor = _flag_anchor(command)
    if anchor is None:
        return None
    script = command.script
    if script is not None and script.kind == "exec" and command.nested is None:
        return TextEdit.insert(anchor.range.end, f', "{flag}"')
    return TextEdit.insert(anchor.range.end, f" {flag}")


def _flag_anchor(command: Command) -> ShellWord | None:
    """The word the new flag goes after."""
    sub = command.subcommand
    operands = command.operands()
    limit = operands[0].offset if operands else None
    after_sub: ShellWord | None = None
    before_sub: ShellWord | None = None
    for found in command.flags:
        word = found.value_word or found.word
        if limit is not None and word.offset > limit:
            continue
        if sub is not None and word.offset > sub.offset:
            after_sub = word if after_sub is None or word.offset > after_sub.offset else after_sub
        elif sub is None or word.offset < sub.offset:
            before_sub = word if before_sub is None or word.offset > before_sub.offset else before_sub
    return after_sub or before_sub or sub or command.argv[0]


# -- appending a cleanup command ----------------------------------------------------------------


def append_command(df: Dockerfile, script: Script, text: str) -> TextEdit | None:
    """An edit running `text` after everything else in the RUN that owns `script`.

    Shell-form RUNs get ` && text` at the end (on a new continuation line when the RUN spans
    lines); a heredoc script gets `text` as its last body line. Returns None where an edit
    could change the meaning of the script (a trailing comment, a background job, exec form).
    """
    if script.kind == "heredoc":
        return _heredoc_line(df, script, text)
    inst = script.instruction
    if script.kind != "run" or inst.heredocs:
        return None
    end = _tail_end(script)
    if end is None:
        return None
    pos = script.text.end_pos(end)
    first = inst.args_range.start.line
    if pos.line == first:
        return TextEdit.insert(pos, f" && {text}")
    source = df.source
    newline = source.terminator(first) or "\n"
    lines = [source.line(n) for n in range(first, pos.line + 1)]
    leading = any(line.lstrip().startswith(_OPERATOR_START) for line in lines[1:])
    trailing = any(line.rstrip().removesuffix(df.escape).rstrip().endswith(("&&", ";", "||")) for line in lines[:-1])
    indent = _continuation_indent(script, lines, first)
    if trailing and not leading:
        return TextEdit.insert(pos, f" && {df.escape}{newline}{indent}{text}")
    return TextEdit.insert(pos, f" {df.escape}{newline}{indent}&& {text}")


def _tail_end(script: Script) -> int | None:
    """Offset after the script's last meaningful character (a trailing `;` excluded)."""
    tops = [c for c in script.commands if c.nested is None and c.text is script.text]
    if not tops:
        return None
    text = script.text.text
    last = max(c.end for c in tops)
    if not _TAIL.fullmatch(text, last):
        return None
    end = len(text.rstrip())
    while end > 0 and text[end - 1] == ";" and text[end - 2 : end] != ";;":
        end = len(text[: end - 1].rstrip())
    if end <= 0 or text[end - 1] in "&|\\":
        return None
    return end


def _continuation_indent(script: Script, lines: list[str], first: int) -> str:
    """Indentation for a new continuation line: that of the lines starting commands, else the last."""
    starts: set[int] = set()
    for command in script.commands:
        if command.nested is not None or command.text is not script.text:
            continue
        pos = (command.assignments[0] if command.assignments else command.argv[0]).range.start
        if pos.line > first and not lines[pos.line - first][: pos.col].strip():
            starts.add(pos.line - first)
    for index, line in enumerate(lines):
        if index and line.lstrip().startswith(_OPERATOR_START):
            starts.add(index)
    chosen = lines[max(starts)] if starts else lines[-1]
    indent = chosen[: len(chosen) - len(chosen.lstrip())]
    return indent or "    "


def _heredoc_line(df: Dockerfile, script: Script, text: str) -> TextEdit | None:
    heredoc = script.heredoc
    if heredoc is None or heredoc.end_range is None:
        return None
    end_line = heredoc.end_range.start.line
    body_lines = [df.source.line(n) for n in range(heredoc.body_range.start.line, end_line)]
    content = [line for line in body_lines if line.strip()]
    if not content:
        return None
    last = content[-1]
    if last.rstrip().endswith(("\\", "&&", "||", "|")):
        return None
    indent = last[: len(last) - len(last.lstrip())]
    newline = df.source.terminator(end_line - 1) or "\n"
    return TextEdit.insert(Pos(end_line, 0), f"{indent}{text}{newline}")
