"""Commands that run other commands: `sh -c`, `sudo`, `env`, `xargs`, `python -m pip`, `find -exec`.

For each such wrapper the analysis adds the wrapped command as a nested `Command` (the wrapper
stays in the list too, so `sudo` is still seen). A script string (`sh -c '...'`, `su -c`,
`eval`) is parsed again with its characters mapped back to the file through the quoted word.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from docklint.model.shell import Command, ShellWord
from docklint.model.shell_flags import scan_flags, tool_name, value_flags
from docklint.model.shell_words import remap, unquote
from docklint.model.source import MappedText

if TYPE_CHECKING:
    from docklint.model.shell_parse import Builder

POSIX_SHELLS = frozenset("sh bash dash ash zsh ksh mksh yash posh busybox".split())
# Wrappers that run the rest of their arguments as a command, with how many operands come
# before that command (`timeout 10 cmd`, `gosu user cmd`).
WRAPPERS: dict[str, int] = {
    "sudo": 0, "doas": 0, "env": 0, "nice": 0, "nohup": 0, "time": 0, "exec": 0, "command": 0,
    "builtin": 0, "stdbuf": 0, "ionice": 0, "xargs": 0, "fakeroot": 0, "unbuffer": 0, "eatmydata": 0,
    "setpriv": 0, "timeout": 1, "chroot": 1, "gosu": 1, "su-exec": 1, "taskset": 1, "runuser": 0,
}
# Wrappers that take `NAME=value` words before the command.
_TAKES_ASSIGNMENTS = frozenset({"env", "sudo", "doas"})
_SHELL_VALUE_OPTIONS = frozenset({"-o", "+o", "-O", "+O", "--rcfile", "--init-file"})


def unwrap(builder: Builder, command: Command, depth: int) -> None:
    """Add the commands `command` runs on behalf of the script, if it is a wrapper."""
    name = command.name
    args = command.args
    if not args:
        return
    if name in POSIX_SHELLS:
        script = shell_script_word(args)
        if script is not None:
            parse_string(builder, command, script, "sh -c", depth)
    elif name in ("su", "runuser") and any(f.name in ("-c", "--command") for f in command.flags):
        flag = next(f for f in command.flags if f.name in ("-c", "--command"))
        if flag.value_word is not None:
            parse_string(builder, command, flag.value_word, name + " -c", depth)
    elif name == "eval" and len(args) == 1:
        parse_string(builder, command, args[0], "eval", depth)
    elif tool_name(name) in ("python", "pypy"):
        _python_module(builder, command, depth)
    elif name == "find":
        _find_exec(builder, command, depth)
    elif name in WRAPPERS:
        _wrapped(builder, command, depth)


def shell_script_word(args: tuple[ShellWord, ...]) -> ShellWord | None:
    """The script operand of `sh [options] -c SCRIPT`, or None when there is no `-c`."""
    has_c = False
    i = 0
    while i < len(args):
        text = args[i].value
        if text == "--" or text == "-":
            i += 1
            break
        if len(text) < 2 or text[0] not in "-+":
            break
        if text in _SHELL_VALUE_OPTIONS:
            i += 2
            continue
        if not text.startswith("--"):
            has_c = has_c or ("c" in text[1:] and text[0] == "-")
            if "o" in text[1:] or "O" in text[1:]:
                i += 1  # `-euo pipefail`: the option name follows
        i += 1
    if has_c and i < len(args):
        return args[i]
    return None


def parse_string(builder: Builder, command: Command, word: ShellWord, nested: str, depth: int) -> None:
    """Parse the script held by `word` as nested commands of `command`."""
    if word.value.startswith(("$(", "`")) and word.value.endswith((")", "`")):
        return  # `sh -c "$(curl ...)"`: the substitution is already a command of the outer script
    if command.text is builder.exec_text:
        value, offsets = json_offsets(word.raw)
    else:
        value, offsets, _, _ = unquote(word.raw)
    inner = remap(command.text, word.offset, value, offsets)
    builder.parse(inner, nested, command, depth + 1)


def json_offsets(raw: str) -> tuple[str, list[int]]:
    """Decode a JSON string literal, with the index in `raw` of every decoded character."""
    value: list[str] = []
    offsets: list[int] = []
    i = 1
    end = len(raw) - 1 if raw.endswith('"') and len(raw) > 1 else len(raw)
    while i < end:
        ch = raw[i]
        if ch == "\\" and i + 1 < end:
            size = 6 if raw[i + 1] == "u" else 2
            if size == 6 and raw[i + 6 : i + 8] == "\\u":
                size = 12  # a surrogate pair
            try:
                decoded = json.loads('"' + raw[i : i + size] + '"')
            except ValueError:
                decoded = raw[i + 1]
            for char in decoded:
                value.append(char)
                offsets.append(i + 1)
            i += size
            continue
        value.append(ch)
        offsets.append(i)
        i += 1
    return "".join(value), offsets


def _first_operand(tool: str, args: tuple[ShellWord, ...]) -> int:
    """Index of the first operand when options stop at the first non-option (getopt `+`)."""
    takes_value = value_flags(tool)
    i = 0
    while i < len(args):
        text = args[i].value
        if text == "--":
            return i + 1
        if len(text) < 2 or text[0] != "-":
            return i
        name = text.partition("=")[0] if text.startswith("--") else text[:2]
        attached = "=" in text if text.startswith("--") else len(text) > 2
        i += 2 if name in takes_value and not attached else 1
    return i


def _wrapped(builder: Builder, command: Command, depth: int) -> None:
    name = command.name
    args = command.args
    if name == "command" and any(a.value in ("-v", "-V") for a in args[:2]):
        return  # `command -v x` looks x up; it does not run it
    k = _first_operand(name, args)
    k += WRAPPERS[name]
    assignments: list[ShellWord] = []
    if name in _TAKES_ASSIGNMENTS:
        while k < len(args) and "=" in args[k].value and args[k].value.split("=", 1)[0].isidentifier():
            assignments.append(args[k])
            k += 1
    if k >= len(args):
        return
    _add(builder, command, assignments, list(args[k:]), name, depth)


def _python_module(builder: Builder, command: Command, depth: int) -> None:
    args = command.args
    for i, word in enumerate(args):
        if word.value == "-m" and i + 1 < len(args) and args[i + 1].value in ("pip", "pip3"):
            _add(builder, command, [], list(args[i + 1 :]), "python -m", depth)
            return
        if word.value == "-c" or not word.value.startswith("-"):
            return


def _find_exec(builder: Builder, command: Command, depth: int) -> None:
    args = command.args
    i = 0
    while i < len(args):
        if args[i].value in ("-exec", "-execdir", "-ok", "-okdir"):
            j = i + 1
            while j < len(args) and args[j].value not in (";", "+"):
                j += 1
            if j > i + 1:
                _add(builder, command, [], list(args[i + 1 : j]), "find -exec", depth)
            i = j
        i += 1


def _add(builder: Builder, command: Command, assignments: list[ShellWord], argv: list[ShellWord], nested: str, depth: int) -> None:
    if depth >= 8:
        return
    first = assignments[0] if assignments else argv[0]
    last = argv[-1]
    text: MappedText = command.text
    builder.add(
        text, assignments, argv, [], first.offset, last.offset + len(last.raw), nested, command, depth + 1,
        command.in_condition, command.negated, command.fallback,
    )


__all__ = ["POSIX_SHELLS", "WRAPPERS", "json_offsets", "parse_string", "shell_script_word", "unwrap", "scan_flags"]
