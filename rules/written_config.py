"""Text a RUN writes into files: `echo`/`printf` arguments sent to a file (by redirection or
`tee`), here-documents fed to `cat`/`tee`, and the replacement text of `sed -i 's/.../.../'`.

Rules that look for configuration written by hand (`sslverify=0` in a `.repo` file, `NOPASSWD`
in sudoers, `[trusted=yes]` in an apt source) search these texts and report the matching part
at its place in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from docklint.model.shell import Command, ShellWord
from docklint.model.source import MappedText, Range
from docklint.rules.command_flow import outermost, receivers

WRITERS = frozenset({"echo", "printf"})
_SED_SUBSTITUTE = re.compile(r"(?:^|[;\s}])s(?P<d>[^\w\s\\])(?:\\.|(?!(?P=d)).)*(?P=d)(?P<repl>(?:\\.|(?!(?P=d)).)*)(?P=d)")


@dataclass(frozen=True, slots=True)
class Written:
    """A piece of text written to files. `text` is what lands in the file (quotes removed)."""

    text: str
    targets: tuple[str, ...]
    command: Command
    word: ShellWord | None = None  # where the text comes from, or
    body: MappedText | None = None  # a here-document body in the script

    def range(self, start: int, end: int) -> Range:
        """The file range of `text[start:end]`, or the whole source when it cannot be mapped."""
        if self.body is not None:
            return self.body.range(start, end)
        assert self.word is not None
        word = self.word
        piece = self.text[start:end]
        index = word.raw.find(piece) if piece else -1
        if index < 0 or not word.exact:
            return word.range
        return word.text.range(word.offset + index, word.offset + index + len(piece))


def write_targets(command: Command) -> tuple[str, ...]:
    """Files the command's standard output goes to: `>`/`>>` targets and `tee` operands."""
    targets = [r.target.value for r in outermost(command).redirects if r.op in (">", ">>", ">|") and r.target is not None]
    for receiver in receivers(command):
        if receiver.name == "tee":
            targets.extend(w.value for w in receiver.positionals())
    return tuple(targets)


def written_texts(command: Command) -> Iterator[Written]:
    """What `command` writes into files, if it is an echo/printf, a here-document or a sed edit."""
    name = command.name
    if name in WRITERS:
        targets = write_targets(command)
        if targets:
            for word in command.args:
                if not (word.value.startswith("-") and len(word.value) <= 3):
                    yield Written(word.value, targets, command, word=word)
    elif name in ("cat", "tee"):
        for redirect in command.redirects:
            if redirect.op in ("<<", "<<-") and redirect.target is not None:
                body = heredoc_body(command, redirect.target.value)
                targets = write_targets(command) + (tuple(w.value for w in command.positionals()) if name == "tee" else ())
                if body is not None and targets:
                    yield Written(body.text, targets, command, body=body)
    elif name == "sed" and any(w.value.startswith("-i") or w.value.startswith("--in-place") for w in command.args):
        files = tuple(w.value for w in command.args[1:] if not w.value.startswith("-"))
        for word in command.args:
            for match in _SED_SUBSTITUTE.finditer(word.value):
                yield Written(match.group("repl"), files, command, word=word)


def heredoc_body(command: Command, delimiter: str) -> MappedText | None:
    """The body of a here-document started on `command`'s line, from the script text."""
    text = command.text.text
    delimiter = delimiter.strip("'\"")
    start = text.find("\n", command.end)
    if start < 0:
        return None
    start += 1
    position = start
    while position <= len(text):
        end = text.find("\n", position)
        line_end = len(text) if end < 0 else end
        if text[position:line_end].strip() == delimiter:
            return command.text.sub(start, position)
        if end < 0:
            return None
        position = end + 1
    return None
