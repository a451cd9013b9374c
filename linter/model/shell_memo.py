"""The commands of a shell script, parsed once per text and moved to where the text is now.

What `Builder.parse` finds in a script depends only on the script's characters and on how its
pieces sit relative to each other in the file (`MappedText.pieces`; a line continuation or a
heredoc line break is a gap between pieces), not on the file around it. So the commands of
a script are kept, keyed by those two, with texts detached from any file; a script with the
same key (the same RUN in the next lint of an edited document, or in another file) gets a copy
whose texts are moved onto its own `Source` and offsets. Every word and command range then
comes from the new file, exactly as a fresh parse would give it.
"""

from __future__ import annotations

from docklint.model.memo import Memo
from docklint.model.shell import Command, Redirect, ShellWord
from docklint.model.source import MappedText, Source

# At most 1,024 scripts of at most 8 kB each, 128k characters of script text in all. The words
# and commands kept take about 26 bytes per character of script (measured on the corpus), so
# about 3.5 MB at most; a 500-line Dockerfile has about 40 scripts, 9k characters.
_SCRIPTS: Memo[tuple[tuple[Command, ...], bool, int, MappedText]] = Memo("shell scripts", 1024, budget=131_072)
_SCRIPT_CHARS = 8_192
_DETACHED = Source("")  # the source of kept texts: never read, every copy is moved first


def parse_commands(text: MappedText) -> tuple[list[Command], bool, int]:
    """`Builder.parse(text)`'s commands (nested ones included, in order), whether it fell back
    to parsing segments, and how many segments it tokenized."""
    from docklint.model.shell_parse import Builder

    origin = text.pieces[0][1]
    key = (text.text, tuple([(t, s - origin) for t, s in text.pieces])) if len(text.text) <= _SCRIPT_CHARS else None
    found = _SCRIPTS.get(key) if key is not None else None
    if found is not None:
        commands, fallback, tokenized, root = found
        return move_commands(commands, text.source, origin, root, text), fallback, tokenized
    builder = Builder()
    builder.parse(text)
    if key is not None:
        detached = _move_text(text, _DETACHED, -origin)
        kept = tuple(move_commands(builder.commands, _DETACHED, -origin, text, detached))
        _SCRIPTS.put(key, (kept, builder.fallback, builder.tokenized, detached), len(text.text) + 64)
    return builder.commands, builder.fallback, builder.tokenized


def _move_text(text: MappedText, source: Source, chars: int) -> MappedText:
    return MappedText(text.text, source, tuple([(t, s + chars) for t, s in text.pieces]))


def move_commands(
    commands: tuple[Command, ...] | list[Command], source: Source, chars: int, root: MappedText, moved_root: MappedText
) -> list[Command]:
    """Copies of `commands` (with their parent and pipe links) on `source`, `chars` further on;
    texts that were `root` (the script's text) become `moved_root` (rules compare texts by
    identity to tell the script's own commands from nested ones).

    Only what `Builder.parse` sets is copied; `analyse` fills in the rest on the copies.
    """
    texts: dict[int, MappedText] = {id(root): moved_root}
    words: dict[int, ShellWord] = {}

    def text_of(old: MappedText) -> MappedText:
        new = texts.get(id(old))
        if new is None:
            new = texts[id(old)] = _move_text(old, source, chars)
        return new

    def word_of(old: ShellWord) -> ShellWord:
        new = words.get(id(old))
        if new is None:  # a wrapper's words are also its wrapped command's: one copy for both
            new = words[id(old)] = ShellWord(old.value, old.raw, text_of(old.text), old.offset, old.quoted, old.has_expansion)
        return new

    moved: dict[int, Command] = {}
    copies: list[Command] = []
    for old in commands:
        new = Command(
            name=old.name,
            argv=tuple([word_of(w) for w in old.argv]),
            assignments=tuple([word_of(w) for w in old.assignments]) if old.assignments else (),
            redirects=tuple([
                Redirect(r.op, r.fd, word_of(r.target) if r.target is not None else None, text_of(r.text), r.start, r.end)
                for r in old.redirects
            ]) if old.redirects else (),
            text=text_of(old.text),
            start=old.start,
            end=old.end,
            nested=old.nested,
            parent=moved[id(old.parent)] if old.parent is not None else None,  # parents come first
            negated=old.negated,
            in_condition=old.in_condition,
            fallback=old.fallback,
        )
        moved[id(old)] = new
        copies.append(new)
    for old, new in zip(commands, copies):
        if old.piped_from is not None:
            new.piped_from = moved[id(old.piped_from)]
        if old.piped_to is not None:
            new.piped_to = moved[id(old.piped_to)]
    return copies
