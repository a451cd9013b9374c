"""DL4006: pipes in RUN whose shell does not fail on a failing left-hand side."""

from __future__ import annotations

import posixpath
import re
from typing import Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.model.nodes import Instruction, Stage
from docklint.model.shell import Command, Script
from docklint.rule import Context, Finding, Fix, Range, Severity, TextEdit, rule

# Commands run by another shell process: that shell's options, not the script's, apply.
OWN_SHELL_STRINGS = frozenset({"sh -c", "su -c", "runuser -c"})
# Shells that accept `set -o pipefail` in every version images ship. Debian's dash (`/bin/sh`
# on Debian and Ubuntu until dash 0.5.13) rejects it, BusyBox ash accepts it.
PIPEFAIL_SHELLS = frozenset({"bash", "zsh", "ksh", "mksh", "ash"})
_BUSYBOX_BASE = re.compile(r"alpine|busybox", re.IGNORECASE)
_SET_OPTION = re.compile(r"[-+][A-Za-z]+")


def in_own_shell(command: Command) -> bool:
    """Whether the script's shell itself runs `command` (not a `sh -c '...'` child shell)."""
    current: Command | None = command
    while current is not None and current.nested is not None:
        if current.nested in OWN_SHELL_STRINGS:
            return False
        current = current.parent
    return True


def unguarded_pipe(script: Script) -> Range | None:
    """The first `|` of the script that runs while `pipefail` is off, if any."""
    found: list[tuple[int, Range]] = []
    for command in script.commands:
        if command.piped_to is not None and in_own_shell(command) and "pipefail" not in script.options_at(command):
            rng = pipe_range(command)
            found.append((script.text.source.offset(rng.start), rng))
            break
    code = script.text.text
    if script.kind == "run" and script.instruction.heredocs:
        code = code[: len(script.instruction.args.text)]  # the bodies after the first line are data
    for offset in compound_pipes(code):
        if "pipefail" not in _options_after(script, offset):
            rng = script.text.range(offset, offset + 1)
            found.append((script.text.source.offset(rng.start), rng))
            break
    return min(found, key=lambda item: item[0])[1] if found else None


def pipe_range(command: Command) -> Range:
    """The `|` after `command` (the whole command when it cannot be found)."""
    after = command.piped_to
    if after is not None and after.text is command.text:
        between = command.text.text[command.end : after.start]
        bar = between.find("|")
        if bar >= 0:
            offset = command.end + bar
            return command.text.range(offset, offset + 1)
    return command.range


# A pipe fed by a compound command (`case ... esac | sha256sum -c -`, `done | sort`, `} | tee`):
# the analysis links pipes between simple commands, and loses this one when bashlex cannot
# parse the compound (it has no `case`).
_COMPOUND_PIPE = re.compile(r"(?:\besac|\bdone|\bfi|[})])[ \t]*\|(?![|&])")


def compound_pipes(text: str) -> Iterator[int]:
    """Offsets of `|` right after a compound command's end, outside quotes and comments."""
    for match in _COMPOUND_PIPE.finditer(text):
        offset = match.end() - 1
        if _is_code(text, offset):
            yield offset


def _is_code(text: str, offset: int) -> bool:
    """Whether `offset` is outside quotes and comments (a light scan, not a parser)."""
    quote = ""
    i = 0
    while i < offset:
        char = text[i]
        if char == "\\" and quote != "'":
            i += 2
            continue
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or text[i - 1] in " \t\n;&|("):
            end = text.find("\n", i)
            if end < 0 or end >= offset:
                return False
            i = end
        i += 1
    return not quote


def _options_after(script: Script, offset: int) -> frozenset[str]:
    """Shell options in effect at `offset` of the script text (at the next command)."""
    for command in script.commands:
        if command.text is script.text and command.start >= offset:
            return script.options_at(command)
    return script.set_options


def _on_busybox(df: Dockerfile, stage: Stage | None) -> bool:
    for current in df.lineage(stage) if stage is not None else ():
        if current.base is not None:
            return bool(_BUSYBOX_BASE.search(current.base.text))
    return False


def supports_pipefail(df: Dockerfile, script: Script) -> bool:
    """Whether `set -o pipefail` is known to work in the shell running `script`."""
    if not script.shell_argv:
        return False
    program = posixpath.basename(script.shell_argv[0])
    if program in PIPEFAIL_SHELLS:
        return True
    return program == "sh" and _on_busybox(df, df.stage_of(script.instruction))


def pipefail_fix(df: Dockerfile, script: Script) -> Fix | None:
    """Turn on pipefail at the start of a shell-form script, where the shell is known to take it."""
    if script.kind != "run" or not script.commands or not supports_pipefail(df, script):
        return None
    first = script.commands[0]
    title = "Turn on `pipefail` for this `RUN`"
    if first.name == "set" and first.nested is None and first.args and first.argv[-1].exact:
        words = [w.value for w in first.args]
        if all(_SET_OPTION.fullmatch(w) and "o" not in w[1:] for w in words):
            return Fix.unsafe(title, TextEdit.insert(first.argv[-1].range.end, " -o pipefail"))
    text = script.text.text
    start = len(text) - len(text.lstrip())
    if start >= len(text):
        return None
    return Fix.unsafe(title, TextEdit.insert(script.text.pos(start), "set -o pipefail && "))


@rule(
    code="DL4006",
    name="pipefail-missing",
    severity=Severity.WARNING,
    summary="RUN pipes into a command while the shell lacks -o pipefail",
    message="without `pipefail`, a failure left of this `|` is ignored and the build goes on "
    "with bad output; set `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]` (or "
    "`/bin/ash` on Alpine) or start the script with `set -o pipefail`",
    rationale=(
        "A shell reports only the exit status of the last command of a pipeline, so in "
        "`curl -fsSL URL | tar -xz` a failed download still counts as success and the step is "
        "cached. With `pipefail` any failing part fails the step. Set it in `SHELL` (bash, zsh, "
        "BusyBox ash) or at the start of the script; Debian's and Ubuntu's `/bin/sh` (dash) "
        "rejects it, so there switch `SHELL` to bash."
    ),
    bad="FROM debian:12\nRUN curl -fsSL https://example.com/tool.tgz | tar -xz -C /opt",
    good='FROM debian:12\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\n'
    "RUN curl -fsSL https://example.com/tool.tgz | tar -xz -C /opt",
    fix_safety="Unsafe: a pipeline that used to pass may now fail the build (`yes | cmd`, "
    "`cmd | head -1`). Offered only for shell-form RUNs whose shell is known to support "
    "`pipefail` (bash, zsh, ksh, ash, or `/bin/sh` on Alpine/BusyBox bases); it extends a "
    "leading `set` or prefixes `set -o pipefail && `.",
    needs_instructions=("RUN",),
    needs_text=("|",),
    each=("RUN",),
    onbuild=True,
)
def pipefail_missing(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for script in df.scripts(inst):
        if script.shell != "posix" or not script.analysed:
            continue
        pipe = unguarded_pipe(script)
        if pipe is not None:
            yield ctx.finding(pipe, fix=pipefail_fix(df, script))
            return
