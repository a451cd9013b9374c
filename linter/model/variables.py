"""Build-variable expansion the way BuildKit's shell lexer does it for non-RUN instructions.

Supports `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}`, `${VAR+alt}`
and `${VAR:?msg}`; the pattern forms (`${VAR#x}`, `${VAR%x}`, `${VAR/x/y}`) are expanded when
the variable is known. A variable that is not known makes the result unresolved: rules then
know they are looking at a guess. dockerfile-parse's WordSplitter does not handle the `:-`
forms, so this is ours.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterator, Mapping

from docklint.model.memo import register_lru

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class VarRef:
    """A variable reference found in text: name and offsets of the whole `${...}`."""

    name: str
    start: int
    end: int
    name_start: int
    default: str | None = None


def references(text: str, escape: str = "\\") -> Iterator[VarRef]:
    """Yield every `$NAME` / `${NAME...}` reference, skipping escaped `\\$` and single quotes."""
    if "$" not in text:
        return iter(())
    if len(text) > 2048:
        return _scan(text, escape)
    return iter(_references(text, escape))


# By text: references carry offsets into the text, nothing else. At most 2,048 texts of at
# most 2 kB are held.
@lru_cache(maxsize=2048)
def _references(text: str, escape: str) -> tuple[VarRef, ...]:
    return tuple(_scan(text, escape))


register_lru(_references)


def _scan(text: str, escape: str) -> Iterator[VarRef]:
    i = 0
    n = len(text)
    in_single = False
    while i < n:
        ch = text[i]
        if ch == escape and i + 1 < n:
            i += 2
            continue
        if ch == "'":
            in_single = not in_single
        elif ch == "$" and not in_single and i + 1 < n:
            if text[i + 1] == "{":
                close = _matching_brace(text, i + 1)
                m = _NAME.match(text, i + 2)
                if m and close > 0:
                    rest = text[m.end() : close]
                    default = None
                    for op in (":-", "-", ":=", "="):
                        if rest.startswith(op):
                            default = rest[len(op) :]
                            break
                    yield VarRef(m.group(), i, close + 1, i + 2, default)
                    i = close + 1
                    continue
            else:
                m = _NAME.match(text, i + 1)
                if m:
                    yield VarRef(m.group(), i, m.end(), i + 1)
                    i = m.end()
                    continue
        i += 1


def _matching_brace(text: str, open_index: int) -> int:
    depth = 0
    for j in range(open_index, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return -1


Lookup = Callable[[str], "str | None"]


def expand(text: str, variables: Mapping[str, str | None], escape: str = "\\") -> tuple[str, bool]:
    """Expand variables in `text`; returns `(result, resolved)`.

    A name that is absent from `variables` or maps to None is unresolved: it expands to the
    empty string (what BuildKit would use) and `resolved` is False.
    """
    if "$" not in text:
        return text, True
    out: list[str] = []
    resolved = True
    last = 0
    for ref in references(text, escape):
        out.append(text[last : ref.start])
        value, ok = _expand_one(text[ref.start : ref.end], ref.name, variables, escape)
        resolved = resolved and ok
        out.append(value)
        last = ref.end
    out.append(text[last:])
    return "".join(out), resolved


def _expand_one(
    ref_text: str, name: str, variables: Mapping[str, str | None], escape: str
) -> tuple[str, bool]:
    value = variables.get(name)
    known = name in variables and value is not None
    if not ref_text.startswith("${"):
        return (value or ""), known
    rest = ref_text[2 + len(name) : -1]
    if rest == "":
        return (value or ""), known
    for op in (":-", ":+", ":?", ":=", "-", "+", "?", "="):
        if rest.startswith(op):
            word, word_ok = expand(rest[len(op) :], variables, escape)
            is_set = name in variables and value is not None
            is_nonempty = is_set and value != ""
            test = is_nonempty if op.startswith(":") else is_set
            if op.endswith("+"):
                return (word if test else ""), word_ok and (known or name not in variables)
            if test:
                return value or "", True
            return word, word_ok
    if not known:
        return "", False
    assert value is not None
    return _pattern(rest, value), True


def _pattern(rest: str, value: str) -> str:
    """`#`, `##`, `%`, `%%` and `/` substitutions on a known value."""
    for op, longest, from_start in (("##", True, True), ("#", False, True), ("%%", True, False), ("%", False, False)):
        if rest.startswith(op):
            pattern = rest[len(op) :]
            cuts = range(len(value) + 1)
            order = reversed(cuts) if longest == from_start else cuts
            for k in order:
                part = value[:k] if from_start else value[k:]
                if fnmatch.fnmatchcase(part, pattern):
                    return value[k:] if from_start else value[:k]
            return value
    if rest.startswith("/"):
        body = rest[2:] if rest.startswith("//") else rest[1:]
        old, _, new = body.partition("/")
        return value.replace(old, new) if rest.startswith("//") else value.replace(old, new, 1)
    return value
