"""Quote-aware scanning of shell text: quote removal with offset maps, and a fallback tokenizer.

bashlex gives word positions but not always a usable value (it keeps some escapes and fails on
valid shell), so word values come from `unquote` here, which follows POSIX quote removal
(https://pubs.opengroup.org/onlinepubs/9699919799/utilities/V3_chap02.html#tag_18_02) and keeps
`$(...)`, `${...}` and backquoted text verbatim: variables are never expanded. The tokenizer is
the fallback for scripts bashlex rejects: it splits at top-level `&&`, `||`, `;`, `|`, `&` and
newlines and cuts each segment into words and redirection operators.
"""

from __future__ import annotations

import re

from docklint.model.source import MappedText

_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789@*#?-$!{(")
_DOUBLE_ESCAPES = frozenset('$`"\\\n')
_ANSI = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "a": "\a", "e": "\x1b", "0": "\0"}
OPERATOR_CHARS = frozenset(";&|<>()\n")
BLANKS = " \t\r"
_REDIRECT = re.compile(r"(?:\d+|\{[A-Za-z_]\w*\})?(?:<<<|<<-|<<|<>|<&|>>|>&|>\||&>>|&>|<|>)")
RESERVED = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "(", ")", "esac", "in"})


def skip_expansion(text: str, i: int) -> int:
    """End offset of the `$(...)`, `$((...))`, `${...}` or backquoted text starting at `i`."""
    n = len(text)
    if text[i] == "`":
        j = i + 1
        while j < n and text[j] != "`":
            j += 2 if text[j] == "\\" else 1
        return min(j + 1, n)
    opener = text[i + 1]
    closer = ")" if opener == "(" else "}"
    depth = 0
    j = i + 1
    while j < n:
        ch = text[j]
        if ch == "\\":
            j += 2
            continue
        if ch == "'" and closer == ")":
            end = text.find("'", j + 1)
            j = n if end < 0 else end + 1
            continue
        if ch == '"':
            j = _skip_double(text, j)
            continue
        if ch == "`" or (ch == "$" and j + 1 < n and text[j + 1] in "({"):
            j = skip_expansion(text, j)
            continue
        if ch == opener:
            depth += 1
        elif ch == closer:
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return n


def _skip_double(text: str, i: int) -> int:
    """End offset of the double-quoted string opening at `i`."""
    n = len(text)
    j = i + 1
    while j < n:
        ch = text[j]
        if ch == "\\":
            j += 2
        elif ch == '"':
            return j + 1
        elif ch == "`" or (ch == "$" and j + 1 < n and text[j + 1] in "({"):
            j = skip_expansion(text, j)
        else:
            j += 1
    return n


def unquote(raw: str) -> tuple[str, list[int], bool, bool]:
    """Quote removal: `(value, offsets, quoted, has_expansion)`.

    `offsets[k]` is the index in `raw` of value character `k`, so positions inside a quoted
    string (the script of `sh -c '...'`) map back to the file.
    """
    value: list[str] = []
    offsets: list[int] = []
    quoted = expansion = False
    n = len(raw)
    i = 0
    state = ""  # "", "'", '"', "$'"
    while i < n:
        ch = raw[i]
        if state == "'":
            if ch == "'":
                state = ""
            else:
                value.append(ch)
                offsets.append(i)
            i += 1
            continue
        if state == "$'":
            if ch == "'":
                state = ""
            elif ch == "\\" and i + 1 < n:
                value.append(_ANSI.get(raw[i + 1], raw[i + 1]))
                offsets.append(i + 1)
                i += 1
            else:
                value.append(ch)
                offsets.append(i)
            i += 1
            continue
        if ch == "\\" and i + 1 < n:
            nxt = raw[i + 1]
            quoted = True
            if state == '"' and nxt not in _DOUBLE_ESCAPES:
                value.append(ch)  # `"\d"` keeps its backslash; the next character is read as usual
                offsets.append(i)
                i += 1
                continue
            if nxt != "\n":
                value.append(nxt)
                offsets.append(i + 1)
            i += 2
            continue
        if ch == "`" or (ch == "$" and i + 1 < n and raw[i + 1] in "({"):
            end = skip_expansion(raw, i)
            expansion = True
            value.append(raw[i:end])
            offsets.extend(range(i, end))
            i = end
            continue
        if ch == "$" and i + 1 < n and raw[i + 1] in _NAME_START:
            expansion = True
        if state == '"':
            if ch == '"':
                state = ""
            else:
                value.append(ch)
                offsets.append(i)
            i += 1
            continue
        if ch in "'\"":
            state, quoted = ch, True
        elif ch == "$" and i + 1 < n and raw[i + 1] in "'\"":
            state, quoted = ("$'" if raw[i + 1] == "'" else '"'), True
            i += 1
        else:
            value.append(ch)
            offsets.append(i)
        i += 1
    return "".join(value), offsets, quoted, expansion


def word_end(text: str, i: int, end: int) -> int:
    """End of the shell word starting at `i` (stops at unquoted blanks and operators)."""
    first = i
    while i < end:
        ch = text[i]
        if ch == "(" and i > first and text[i - 1] == "=":
            i = skip_expansion(text, i - 1)  # `arr=(a b c)`: an array assignment is one word
            continue
        if ch in BLANKS or ch in OPERATOR_CHARS:
            return i
        if ch == "\\":
            i += 2
        elif ch == "'":
            close = text.find("'", i + 1, end)
            i = end if close < 0 else close + 1
        elif ch == '"':
            i = _skip_double(text, i)
        elif ch == "`" or (ch == "$" and i + 1 < end and text[i + 1] in "({"):
            i = skip_expansion(text, i)
        else:
            i += 1
    return min(i, end)


def segments(text: str, start: int = 0, end: int | None = None, pipes: bool = True) -> list[tuple[int, int, str]]:
    """Split `text[start:end]` at top-level `&&`, `||`, `;`, `;;`, `&`, newlines and (with
    `pipes`) `|`.

    Returns `(start, end, operator_after)`; quotes, substitutions and here-document bodies are
    never split (a segment with `<<EOF` runs to the end of its terminator line). Comments (`#`
    at the start of a word) run to the end of the line and are dropped. A `;;` alone on its
    line is given to the segment before it.
    """
    stop = len(text) if end is None else end
    parts: list[tuple[int, int, str]] = []
    pending: list[tuple[str, bool]] = []
    seg_start = i = start
    while i < stop:
        ch = text[i]
        if ch in BLANKS:
            i += 1
            continue
        if ch == "#" and (i == start or text[i - 1] in BLANKS or text[i - 1] in OPERATOR_CHARS):
            newline = text.find("\n", i, stop)
            _add(parts, text, seg_start, i, "\n")
            i = seg_start = stop if newline < 0 else newline
            continue
        two = text[i : i + 2]
        if two == "<<" and text[i : i + 3] != "<<<":
            i = _heredoc_operator(text, i, stop, pending)
        elif ch == "\n" and pending:
            body_end = skip_bodies(text, i, stop, pending)
            _add(parts, text, seg_start, body_end, "\n")
            i = seg_start = body_end + 1
        elif two in ("&&", "||", ";;"):
            _add(parts, text, seg_start, i, two)
            i = seg_start = i + 2
        elif ch in ";\n" or (pipes and ch == "|" and two != "|&") or (ch == "&" and text[i - 1 : i] not in "<>" and two != "&>"):
            _add(parts, text, seg_start, i, ch)
            i = seg_start = i + 1
        elif ch in "<>()&|":
            i += 1
        else:
            i = word_end(text, i, stop)
    _add(parts, text, seg_start, stop, "")
    return parts


def _add(parts: list[tuple[int, int, str]], text: str, start: int, end: int, op: str) -> None:
    if text[start:end].strip():
        parts.append((start, end, op))
    elif op == ";;" and parts:
        parts[-1] = (parts[-1][0], parts[-1][1], op)


def _heredoc_operator(text: str, i: int, stop: int, pending: list[tuple[str, bool]]) -> int:
    """Read `<<[-]WORD` at `i`, queue its delimiter, and return the offset after it."""
    j = i + 2
    strip_tabs = text.startswith("-", j)
    j += strip_tabs
    while j < stop and text[j] in BLANKS:
        j += 1
    word_stop = word_end(text, j, stop)
    if word_stop > j:
        pending.append((unquote(text[j:word_stop])[0], strip_tabs))
    return max(word_stop, i + 2)


def skip_bodies(text: str, newline: int, stop: int, pending: list[tuple[str, bool]]) -> int:
    """Offset of the line break ending the last pending here-document (or `stop`)."""
    position = newline
    while pending and position < stop:
        delimiter, strip_tabs = pending[0]
        line_start = position + 1
        line_end = text.find("\n", line_start, stop)
        line_end = stop if line_end < 0 else line_end
        line = text[line_start:line_end].rstrip("\r ")
        if (line.lstrip("\t") if strip_tabs else line) == delimiter:
            pending.pop(0)
        position = line_end
    pending.clear()
    return min(position, stop)


def tokens(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Words and redirection operators of one segment as `(start, end)` offsets (here-document
    bodies skipped)."""
    found: list[tuple[int, int]] = []
    pending: list[tuple[str, bool]] = []
    i = start
    while i < end:
        ch = text[i]
        if ch == "\n" and pending:
            i = skip_bodies(text, i, end, pending) + 1
            continue
        if ch in BLANKS or ch == "\n":
            i += 1
            continue
        match = _REDIRECT.match(text, i, end)
        if match and (ch in "<>&" or match.end() > i + 1 and text[match.end() - 1] in "<>&|"):
            found.append((i, match.end()))
            if match.group(0).lstrip("0123456789").startswith("<<") and not match.group(0).endswith("<<<"):
                _heredoc_operator(text, match.end() - 2 - match.group(0).endswith("-"), end, pending)
            i = match.end()
            continue
        if ch in "()":
            found.append((i, i + 1))
            i += 1
            continue
        j = word_end(text, i, end)
        if j == i:  # a stray operator character
            j = i + 1
        found.append((i, j))
        i = j
    return found


def is_redirect(raw: str) -> bool:
    return _REDIRECT.fullmatch(raw) is not None


def contiguous(text: MappedText, start: int, end: int) -> bool:
    """True when `text[start:end]` is one unbroken stretch of the file (so its range slices back)."""
    if end - start <= 1:
        return True
    return text.source_offset(end - 1) - text.source_offset(start) == end - 1 - start and _same_piece(text, start, end - 1)


def _same_piece(text: MappedText, a: int, b: int) -> bool:
    pieces = text.pieces
    if len(pieces) == 1:
        return True
    for index, (text_start, _) in enumerate(pieces):
        next_start = pieces[index + 1][0] if index + 1 < len(pieces) else len(text.text)
        if text_start <= a < next_start:
            return b < next_start
    return False


def remap(text: MappedText, start: int, value: str, offsets: list[int]) -> MappedText:
    """A mapped text for `value`, whose characters sit at `text[start + offsets[k]]`."""
    pieces: list[tuple[int, int]] = []
    previous = -2
    for k, offset in enumerate(offsets):
        source = text.source_offset(start + offset)
        if source != previous + 1:
            pieces.append((k, source))
        previous = source
    if not pieces:
        pieces.append((0, text.source_offset(start)))
    return MappedText(value, text.source, tuple(pieces))
