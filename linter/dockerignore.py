"""`.dockerignore` patterns, matched the way Docker and BuildKit match them.

Follows moby/patternmatcher (https://github.com/moby/patternmatcher): one pattern per line,
`#` comment lines, surrounding blanks dropped, `!` re-includes, each pattern cleaned like Go's
`filepath.Clean` with a leading `/` removed (patterns are anchored at the context root either
way), `*` and `?` stop at `/`, `**` spans directories, `[...]` classes and `\\` escapes as in
`filepath.Match`. A path is ignored when the last pattern matching it, or one of its parent
folders, is not an exception. The same matcher serves `COPY --exclude`.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence


@dataclass(frozen=True, slots=True)
class Pattern:
    text: str  # the cleaned pattern, without `!`
    exclusion: bool  # a `!pattern` line: re-includes what earlier lines ignored
    line: int  # 1-based line in the ignore file (0 for patterns from elsewhere)
    regex: re.Pattern[str] | None  # None: the pattern cannot match anything (bad syntax)

    def match(self, path: str) -> bool:
        return self.regex is not None and self.regex.fullmatch(path) is not None


def clean(path: str) -> str:
    """Go's `filepath.Clean` for slash paths, relative to the root (`/a/../b/` -> `b`)."""
    cleaned = posixpath.normpath("/" + path).lstrip("/")
    return cleaned or "."


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> re.Pattern[str] | None:
    """Translate a patternmatcher pattern into a regular expression over slash paths."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            if i + 1 < n and pattern[i + 1] == "*":
                i += 1
                while i + 1 < n and pattern[i + 1] == "*":
                    i += 1
                if i + 1 == n:
                    out.append(".*")  # `**` at the end: everything below
                elif pattern[i + 1] == "/":
                    out.append("(?:.*/)?")  # `**/`: zero or more folders
                    i += 1
                else:
                    out.append(".*")
            else:
                out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        elif ch == "[":
            end = pattern.find("]", i + 2 if i + 1 < n and pattern[i + 1] in "^!" else i + 1)
            if end < 0:
                return None  # Go reports ErrBadPattern; the pattern never matches
            body = pattern[i + 1 : end]
            if body.startswith(("^", "!")):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    try:
        return re.compile("".join(out))
    except re.error:
        return None


def parse_patterns(lines: Iterable[str], first_line: int = 1) -> list[Pattern]:
    """Patterns from the lines of an ignore file (or `--exclude` values, one per item)."""
    patterns: list[Pattern] = []
    for number, raw in enumerate(lines, start=first_line):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        exclusion = text.startswith("!")
        if exclusion:
            text = text[1:].strip()
            if not text:
                continue
        text = clean(text)
        patterns.append(Pattern(text, exclusion, number, _compile(text)))
    return patterns


@dataclass(frozen=True)
class Matcher:
    """An ordered list of patterns; the last one that matches decides."""

    patterns: tuple[Pattern, ...]
    source: str | None = None  # the ignore file's name, for messages

    @staticmethod
    def from_text(text: str, source: str | None = None) -> Matcher:
        return Matcher(tuple(parse_patterns(text.splitlines())), source)

    @staticmethod
    def from_patterns(items: Sequence[str]) -> Matcher:
        return Matcher(tuple(parse_patterns(items, first_line=0)))

    @property
    def has_exclusions(self) -> bool:
        return any(p.exclusion for p in self.patterns)

    def matches(self, path: str) -> bool:
        """Whether `path` (slash-separated, relative to the root) or a parent folder is ignored."""
        path = clean(path)
        parents = path.split("/")[:-1]
        matched = False
        for pattern in self.patterns:
            if pattern.exclusion != matched:
                continue  # an include that already matched, or an exception with nothing to undo
            hit = pattern.match(path)
            if not hit:
                hit = any(pattern.match("/".join(parents[: i + 1])) for i in range(len(parents)))
            if hit:
                matched = not pattern.exclusion
        return matched

    def deciding_pattern(self, path: str) -> Pattern | None:
        """The last pattern that ignores `path` (for messages), if it is ignored."""
        if not self.matches(path):
            return None
        path = clean(path)
        parents = path.split("/")
        for pattern in reversed(self.patterns):
            if not pattern.exclusion and any(pattern.match("/".join(parents[: i + 1])) for i in range(len(parents))):
                return pattern
        return None

    def may_reinclude_below(self, folder: str) -> bool:
        """Whether an exception pattern could re-include something inside an ignored folder."""
        folder = clean(folder)
        for pattern in self.patterns:
            if pattern.exclusion and (pattern.text.startswith(folder + "/") or "*" in pattern.text or "?" in pattern.text):
                return True
        return False
