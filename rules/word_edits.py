"""Text edits on shell words: drop a flag (with its value), a letter of a short-flag cluster, a
prefix assignment, or a whole command with its `&&`; replace part of a word.

Every helper returns None rather than guess: it edits only words whose file text is exactly
what the shell analysis read (`ShellWord.exact`), and never across a comment line inside a
continued RUN. Exec-form RUNs (`["curl", "-k", ...]`) lose the JSON string and its comma.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from docklint.model.shell import Command, ShellFlag, ShellWord
from docklint.model.source import Range
from docklint.rule import TextEdit

if TYPE_CHECKING:
    from docklint.model.dockerfile import Dockerfile

_CONNECTORS = ("&&", "||", ";")


def _contiguous(word: ShellWord, start: int, end: int) -> bool:
    from docklint.model.shell_words import contiguous

    return contiguous(word.text, start, end)


def _exec_form(command: Command) -> bool:
    script = command.script
    return script is not None and script.kind == "exec" and command.nested is None


def _has_comment(df: Dockerfile, rng: Range) -> bool:
    """Whether a comment line of the instruction lies inside `rng` (deleting would eat it)."""
    if rng.start.line == rng.end.line:
        return False
    for line in range(rng.start.line + 1, rng.end.line + 1):
        if df.source.line(line).lstrip().startswith("#"):
            return True
    return False


def delete_words(df: Dockerfile, command: Command, words: list[ShellWord]) -> TextEdit | None:
    """Delete consecutive words of `command` (a flag and its value) and the blank before them."""
    if not words or not all(w.exact for w in words):
        return None
    first, last = words[0], words[-1]
    text = first.text
    if last.text is not text:
        return None
    if _exec_form(command):
        index = next((i for i, w in enumerate(command.argv) if w is first), 0)
        if index == 0:
            return None
        rng = Range(command.argv[index - 1].range.end, last.range.end)
        return None if _has_comment(df, rng) else TextEdit.delete(rng)
    start = first.offset
    while start > 0 and text.text[start - 1] in " \t":
        start -= 1
    crosses = text.pos(start).line != first.range.start.line
    if start == first.offset or (start == 0 and first is command.argv[0]) or (crosses and _text_after(df, last)):
        # Nothing before it on its line (or only a line continuation): take the blank after.
        end = last.end
        while end < len(text.text) and text.text[end] in " \t":
            end += 1
        rng = text.range(first.offset, end)
    else:
        rng = text.range(start, last.end)
    if _has_comment(df, rng):
        return None
    return TextEdit.delete(rng)


def _text_after(df: Dockerfile, word: ShellWord) -> bool:
    """Whether something other than a line continuation follows `word` on its file line."""
    end = word.range.end
    rest = df.source.line(end.line)[end.col :].strip()
    return bool(rest) and rest != df.escape


def delete_flag(df: Dockerfile, command: Command, flag: ShellFlag) -> TextEdit | None:
    """Drop one parsed flag: its word (and separate value), or its letter in a cluster (`-fsSLk`)."""
    word = flag.word
    text = word.value
    if text.startswith("--") or len(text) == 2 or text == flag.name:
        words = [word] + ([flag.value_word] if flag.value_word is not None else [])
        return delete_words(df, command, words)
    if flag.value is not None or word.raw != text or not word.exact:
        return None  # a cluster ending in a value flag, or quoted: leave it to the user
    letter = flag.name[1:]
    index = text.find(letter, 1)
    if index < 0:
        return None
    start = word.offset + index
    return TextEdit.delete(word.text.range(start, start + 1))


def replace_in_word(word: ShellWord, old: str, new: str) -> TextEdit | None:
    """Replace the last `old` in the word's written text with `new` (exact words only)."""
    if not word.exact:
        return None
    index = word.raw.rfind(old)
    if index < 0:
        return None
    start = word.offset + index
    if not _contiguous(word, start, start + len(old)):
        return None
    return TextEdit.replace(word.text.range(start, start + len(old)), new)


def delete_command(df: Dockerfile, command: Command) -> TextEdit | None:
    """Delete a whole simple command with the `&&`/`;` joining it to the next (or previous) one.

    None when the command stands alone, is part of a pipeline or condition, or the text around
    it is not plain (exec form, a wrapper, a line continuation with a comment).
    """
    if command.nested not in (None, "sh -c", "su -c", "runuser -c", "eval"):
        return None  # a wrapped command: deleting it would leave the wrapper behind
    if command.piped_to is not None or command.piped_from is not None:
        return None
    if command.in_condition or _exec_form(command):
        return None
    words = (*command.assignments, *command.argv)
    if not all(w.exact for w in words):
        return None
    text = command.text.text
    start, end = command.start, command.end
    after = _skip_blank(text, end)
    connector = next((c for c in _CONNECTORS if text.startswith(c, after)), None)
    if connector is not None and connector != "||":
        rng = command.text.range(start, _skip_blank(text, after + len(connector)))
    elif _alone_on_line(text, start, end) and text.strip() != text[start:end].strip():
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        rng = command.text.range(line_start, len(text) if line_end < 0 else line_end + 1)
    else:
        before = _skip_blank_back(text, start)
        connector = next((c for c in _CONNECTORS if text[:before].endswith(c)), None)
        if connector is None or connector == "||" or text[:before].endswith(";;"):
            return None
        rng = command.text.range(_skip_blank_back(text, before - len(connector)), end)
    return None if _has_comment(df, rng) else TextEdit.delete(rng)


def _alone_on_line(text: str, start: int, end: int) -> bool:
    """Whether only blanks share the command's line (a line of a heredoc script)."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    return "\n" in text and not text[line_start:start].strip() and not text[end:line_end].strip()


def _skip_blank(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\n":
        index += 1
    return index


def _skip_blank_back(text: str, index: int) -> int:
    while index > 0 and text[index - 1] in " \t\n":
        index -= 1
    return index
