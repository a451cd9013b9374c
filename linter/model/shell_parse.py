"""Turn shell text into `Command`s: bashlex first, then per-segment retries, then the tokenizer.

bashlex (https://github.com/idank/bashlex) rejects some valid shell (`case`, `[[ ]]`,
arithmetic, arrays, `time`); when it fails on a whole script the script is split at top-level
operators and each segment is retried, and only segments it still rejects are tokenized.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from docklint.model import shell_simple
from docklint.model.shell import STATS, Command, Redirect, ShellWord
from docklint.model.shell_segments import drop_pattern, pipe_before, trim_reserved
from docklint.model.shell_words import is_redirect, segments, skip_expansion, tokens, unquote
from docklint.model.shell_wrappers import unwrap
from docklint.model.source import MappedText

MAX_DEPTH = 6
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=")
# Constructs bashlex 0.18 never parses (`case`, `[[`, arithmetic, arrays, `time`): a script
# with one goes straight to the per-segment path instead of failing a whole parse first.
_UNSUPPORTED = re.compile(
    r"(?:^|[;&|({\n]|\b(?:then|do|else|elif|if|while|until)\s)\s*(?:time\s|\[\[\s|\(\()"
    r"|\bcase\s+\S+\s+in\b|\$\(\(|[A-Za-z0-9_]=\("
)
_PLAIN = re.compile(r"[^\\'\"$`]*")  # no quotes, escapes or expansions: value == raw
_COMMENT_WORD = re.compile(r"`\s*#[^`]*`|\$\(\s*#[^)]*\)")
_CACHE_SIZE = 4096
_bashlex: Any = None
_parsed: dict[str, Any] = {}


def load_bashlex() -> Any:
    """Import bashlex on first use (its import builds parser tables; see shell_yacc)."""
    global _bashlex
    if _bashlex is None:
        from docklint.model.shell_yacc import import_bashlex

        _bashlex = import_bashlex()
    return _bashlex


def parse_cached(text: str) -> Any:
    """bashlex's trees for `text`, or None when it cannot parse it; cached by text.

    RUN scripts repeat across files and across re-lints in the editor, and bashlex is the
    bulk of the analysis time.
    """
    if text in _parsed:
        return _parsed[text]
    # Plain command lists need no bashlex (whose import alone outweighs a small file's lint).
    trees = shell_simple.parse(text)
    if trees is None:
        bashlex = load_bashlex()
        try:
            trees = bashlex.parse(text)
        except Exception:  # bashlex raises ParsingError, NotImplementedError and worse
            trees = None
    if len(_parsed) >= _CACHE_SIZE:
        _parsed.pop(next(iter(_parsed)))
    _parsed[text] = trees
    return trees


class Builder:
    """Collects the commands of one script, in order, nested ones included."""

    def __init__(self) -> None:
        self.commands: list[Command] = []
        self.fallback = False
        self.tokenized = 0  # segments bashlex rejected even alone
        self.exec_text: MappedText | None = None  # exec-form text: its words are JSON strings

    # -- entry -----------------------------------------------------------------------------

    def parse(self, text: MappedText, nested: str | None = None, parent: Command | None = None, depth: int = 0) -> list[Command]:
        """Parse `text`; returns the direct commands it produced (nested ones are recorded too)."""
        if depth > MAX_DEPTH or not text.text.strip():
            return []
        trees = parse_cached(text.text) if not _UNSUPPORTED.search(text.text) else None
        if trees is None:
            return self._fallback(text, nested, parent, depth)
        walker = _Walker(self, text, 0, nested, parent, depth)
        for tree in trees:
            walker.walk(tree)
        return walker.direct

    def _fallback(self, text: MappedText, nested: str | None, parent: Command | None, depth: int) -> list[Command]:
        self.fallback = True
        STATS["fallback_scripts"] += depth == 0
        direct: list[Command] = []
        previous_op = ""
        arm_next = False
        for start, end, op in segments(text.text, pipes=False):
            STATS["fallback_segments"] += 1
            start, end, cond, negated, headers, arm_next = trim_reserved(
                text.text, start, end, arm_next or previous_op == ";;"
            )
            for head_start, head_end in headers:
                self.substitutions(text, make_word(text, head_start, head_end), parent, depth)
            if start >= end:
                previous_op = op
                continue
            produced: list[Command] | None = None
            trees = parse_cached(text.text[start:end])
            if trees is None:
                produced = self._tokenized(text, start, end, nested, parent, depth, cond or op == "||", negated)
            else:
                walker = _Walker(self, text, start, nested, parent, depth, cond or op == "||")
                for tree in trees:
                    walker.walk(tree)
                produced = walker.direct
            if previous_op == "|" and direct and produced:
                link(direct[-1], produced[0])
            direct.extend(produced)
            previous_op = op
        return direct

    def _tokenized(
        self, text: MappedText, start: int, end: int, nested: str | None, parent: Command | None,
        depth: int, cond: bool, negated: bool,
    ) -> list[Command]:
        """Words of a segment bashlex rejects; a pipeline inside it is split at `|`."""
        STATS["tokenized_segments"] += 1
        self.tokenized += 1
        direct: list[Command] = []
        for sub_start, sub_end, op in segments(text.text, start, end):
            spans = tokens(text.text, sub_start, sub_end)
            spans = drop_pattern(text.text, spans)
            assignments: list[ShellWord] = []
            argv: list[ShellWord] = []
            redirects: list[Redirect] = []
            k = 0
            while k < len(spans):
                s, e = spans[k]
                raw = text.text[s:e]
                if is_redirect(raw):
                    target = make_word(text, *spans[k + 1]) if k + 1 < len(spans) else None
                    last = spans[k + 1][1] if k + 1 < len(spans) else e
                    redirects.append(_redirect(raw, target, text, s, last))
                    k += 2
                    continue
                if raw in "()":
                    k += 1
                    continue
                word = make_word(text, s, e)
                (argv if argv or not _ASSIGNMENT.match(raw) else assignments).append(word)
                k += 1
            command = self.add(text, assignments, argv, redirects, sub_start, sub_end, nested, parent, depth, cond, negated, True)
            if command is not None:
                if direct and direct[-1].piped_to is None and pipe_before(text.text, sub_start, start):
                    link(direct[-1], command)
                direct.append(command)
            for word in [*assignments, *argv, *(r.target for r in redirects if r.target)]:
                self.substitutions(text, word, command or parent, depth)
        return direct

    # -- building --------------------------------------------------------------------------

    def add(
        self, text: MappedText, assignments: list[ShellWord], argv: list[ShellWord], redirects: list[Redirect],
        start: int, end: int, nested: str | None, parent: Command | None, depth: int,
        cond: bool = False, negated: bool = False, fallback: bool = False,
    ) -> Command | None:
        """Record a simple command (None for a bare assignment or redirection)."""
        if any(_COMMENT_WORD.fullmatch(w.raw) for w in argv):
            # `` `# note` `` between continuation lines expands to nothing: not an argument.
            argv = [w for w in argv if not _COMMENT_WORD.fullmatch(w.raw)]
        if not argv:
            return None
        end = max(end, argv[-1].offset + len(argv[-1].raw))
        command = Command(
            name=posixpath.basename(argv[0].value) or argv[0].value,
            argv=tuple(argv),
            assignments=tuple(assignments),
            redirects=tuple(redirects),
            text=text,
            start=start,
            end=end,
            nested=nested,
            parent=parent,
            negated=negated,
            in_condition=cond,
            fallback=fallback,
        )
        self.commands.append(command)
        unwrap(self, command, depth)
        return command

    def substitutions(self, text: MappedText, word: ShellWord, owner: Command | None, depth: int) -> None:
        """Parse the `$(...)`/backquote substitutions in a tokenizer word (bashlex did not)."""
        raw = word.raw
        if "$(" not in raw and "`" not in raw:
            return
        i = 0
        quote = ""
        while i < len(raw):
            ch = raw[i]
            if ch == "\\":
                i += 2
                continue
            if quote == "'":
                quote = "" if ch == "'" else quote
            elif ch == "'" and not quote:
                quote = "'"
            elif ch == '"':
                quote = "" if quote == '"' else '"'
            elif ch == "`" or (raw.startswith("$(", i) and not raw.startswith("$((", i)):
                end = skip_expansion(raw, i)
                inner_start = i + (1 if ch == "`" else 2)
                inner = text.sub(word.offset + inner_start, word.offset + end - 1)
                self.parse(inner, "$(", owner, depth + 1)
                i = end
                continue
            i += 1


class _Walker:
    """Walks bashlex nodes; `base` is the offset of the parsed string inside `text`."""

    def __init__(
        self, builder: Builder, text: MappedText, base: int, nested: str | None, parent: Command | None,
        depth: int, cond: bool = False,
    ) -> None:
        self.builder = builder
        self.text = text
        self.base = base
        self.nested = nested
        self.parent = parent
        self.depth = depth
        self.cond = cond
        self.direct: list[Command] = []

    def walk(self, node: Any, cond: bool = False, negated: bool = False) -> list[Command]:
        """Walk `node`; returns the direct commands found, in order."""
        kind = node.kind
        if kind == "command":
            command = self.command(node, cond, negated)
            return [command] if command is not None else []
        if kind == "list":
            return self.list_(node.parts, cond)
        if kind == "pipeline":
            return self.pipeline(node.parts, cond)
        if kind in ("if", "while", "until"):
            return self.conditional(node.parts, cond)
        found: list[Command] = []
        for child in _children(node):
            if child.kind in ("reservedword", "operator", "pipe"):
                continue
            if child.kind in ("word", "assignment"):
                self.word_substitutions(child, None)
                continue
            if child.kind == "redirect":
                self.redirect(child, None)
                continue
            found.extend(self.walk(child, cond, negated))
        return found

    def list_(self, parts: list[Any], cond: bool) -> list[Command]:
        found: list[Command] = []
        for k, part in enumerate(parts):
            if part.kind == "operator":
                continue
            follows = parts[k + 1].op if k + 1 < len(parts) and parts[k + 1].kind == "operator" else ""
            found.extend(self.walk(part, cond or follows == "||"))
        return found

    def pipeline(self, parts: list[Any], cond: bool) -> list[Command]:
        negated = any(p.kind == "reservedword" and p.word == "!" for p in parts)
        found: list[Command] = []
        previous: list[Command] = []
        for part in parts:
            if part.kind in ("pipe", "reservedword"):
                continue
            produced = self.walk(part, cond, negated)
            if previous and produced:
                link(previous[-1], produced[0])
            previous = produced or previous
            found.extend(produced)
        return found

    def conditional(self, parts: list[Any], cond: bool) -> list[Command]:
        found: list[Command] = []
        in_test = False
        for part in parts:
            if part.kind == "reservedword":
                in_test = part.word in ("if", "elif", "while", "until")
                continue
            found.extend(self.walk(part, cond or in_test))
        return found

    def command(self, node: Any, cond: bool, negated: bool) -> Command | None:
        assignments: list[ShellWord] = []
        argv: list[ShellWord] = []
        redirects: list[tuple[Any, Redirect]] = []
        for part in node.parts:
            if part.kind == "redirect":
                redirects.append((part, self.make_redirect(part)))
            elif part.kind in ("word", "assignment"):
                word = make_word(self.text, self.base + part.pos[0], self.base + part.pos[1])
                is_assignment = part.kind == "assignment" or (not argv and _ASSIGNMENT.match(word.raw))
                (assignments if is_assignment and not argv else argv).append(word)
        start, end = self.base + node.pos[0], self.base + node.pos[1]
        command = self.builder.add(
            self.text, assignments, argv, [r for _, r in redirects], start, end, self.nested, self.parent,
            self.depth, cond or self.cond, negated,
        )
        if command is not None:
            self.direct.append(command)
        owner = command or self.parent
        for part in node.parts:
            if part.kind in ("word", "assignment"):
                self.word_substitutions(part, owner)
        for part, _ in redirects:
            self.redirect(part, owner)
        return command

    def make_redirect(self, node: Any) -> Redirect:
        output = node.output
        target = None
        if not isinstance(output, int) and output is not None and hasattr(output, "pos"):
            target = make_word(self.text, self.base + output.pos[0], self.base + output.pos[1])
        fd = node.input if isinstance(node.input, int) else None
        start, end = self.base + node.pos[0], self.base + node.pos[1]
        return Redirect(node.type, fd, target, self.text, start, end)

    def redirect(self, node: Any, owner: Command | None) -> None:
        output = node.output
        if output is not None and not isinstance(output, int) and getattr(output, "kind", "") == "word":
            self.word_substitutions(output, owner)

    def word_substitutions(self, node: Any, owner: Command | None) -> None:
        for part in getattr(node, "parts", None) or ():
            if part.kind in ("commandsubstitution", "processsubstitution"):
                kind = "$("
                if part.kind == "processsubstitution":
                    kind = self.text.text[self.base + part.pos[0] : self.base + part.pos[0] + 2]  # `<(` or `>(`
                inner = _Walker(self.builder, self.text, self.base, kind, owner or self.parent, self.depth + 1)
                inner.walk(part.command)
            elif part.kind == "parameter" or getattr(part, "parts", None):
                self.word_substitutions(part, owner)


def _children(node: Any) -> list[Any]:
    for attr in ("parts", "list"):
        value = getattr(node, attr, None)
        if value:
            return list(value)
    for attr in ("command", "body"):
        value = getattr(node, attr, None)
        if value is not None:
            return [value]
    return []


def make_word(text: MappedText, start: int, end: int) -> ShellWord:
    raw = text.text[start:end]
    if _PLAIN.fullmatch(raw):
        return ShellWord(raw, raw, text, start)
    value, _, quoted, expansion = unquote(raw)
    return ShellWord(value, raw, text, start, quoted, expansion)


def _redirect(raw: str, target: ShellWord | None, text: MappedText, start: int, end: int) -> Redirect:
    digits = ""
    while raw and raw[0].isdigit():
        digits, raw = digits + raw[0], raw[1:]
    return Redirect(raw, int(digits) if digits else None, target, text, start, end)


def link(left: Command, right: Command) -> None:
    left.piped_to = right
    right.piped_from = left
