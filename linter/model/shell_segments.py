"""Reading the segments of a script bashlex rejected: what precedes the command in a segment.

A failed script is split at top-level operators (see `shell_words.segments`); a segment may
then start with reserved words (`then`, `do`), a `case` header or arm pattern, or a function
header, which are skipped here before bashlex is tried on the segment again.
"""

from __future__ import annotations

from docklint.model.shell_words import RESERVED, tokens


def pipe_before(text: str, sub_start: int, start: int) -> bool:
    before = text[start:sub_start].rstrip()
    return before.endswith("|") and not before.endswith("||")


def trim_reserved(
    text: str, start: int, end: int, after_arm: bool = False
) -> tuple[int, int, bool, bool, list[tuple[int, int]], bool]:
    """Skip what precedes the command in a fallback segment: reserved words (`then`, `do`,
    `if`, `!`), a `case WORD in` header, a case arm's pattern (`a | b)`, expected after `;;`),
    a function header (`name() {`, `function name {`).

    Returns the new bounds, whether the segment is a condition, whether it is negated, the
    header words of `for`/`case` (whose substitutions still run) and whether the next segment
    starts with a case pattern (`case x in` alone on its line). A `for ... in` header holds no
    command and comes back empty.
    """
    cond = negated = False
    headers: list[tuple[int, int]] = []
    spans = tokens(text, start, end)
    if after_arm:
        spans = drop_pattern(text, spans, force=True)
    while spans:
        s, e = spans[0]
        word = text[s:e]
        if word in ("for", "select") or text.startswith("((", s):  # no command in `for` or `(( ))`
            return end, end, cond, negated, spans[1:], False
        if word == "case":
            closing = next((k for k, (a, b) in enumerate(spans) if text[a:b] == ")"), None)
            if closing is None:
                return end, end, cond, negated, spans[1:], True
            headers.extend(spans[1:closing])
            spans = spans[closing + 1 :]
            continue
        function = _function_header(text, spans)
        if function:
            spans = spans[function:]
            continue
        if word not in RESERVED:
            break
        cond = cond or word in ("if", "elif", "while", "until")
        negated = negated or word == "!"
        spans = spans[1:]
    while spans and text[spans[-1][0] : spans[-1][1]] in ("fi", "done", "esac", "}", ")") and len(spans) > 1:
        if text[spans[-1][0] : spans[-1][1]] == ")" and any(text[a:b] == "(" for a, b in spans):
            break
        spans = spans[:-1]
    if not spans:
        return end, end, cond, negated, headers, False
    return spans[0][0], spans[-1][1], cond, negated, headers, False


def _function_header(text: str, spans: list[tuple[int, int]]) -> int:
    """How many tokens a function header takes (`f() {`, `function f {`), or 0."""
    words = [text[a:b] for a, b in spans[:5]]
    k = 0
    if words and words[0] == "function" and len(words) > 1:
        k = 2
    elif len(words) >= 3 and words[1:3] == ["(", ")"] and words[0].replace("-", "_").replace(":", "_").isidentifier():
        k = 3
    else:
        return 0
    if words[k : k + 2] == ["(", ")"]:
        k += 2
    if k < len(words) and words[k] == "{":
        k += 1
    return k


def drop_pattern(text: str, spans: list[tuple[int, int]], force: bool = False) -> list[tuple[int, int]]:
    """Drop a `case` arm's pattern (`*)`, `a|b)`, `(a)`) in front of a tokenized segment.

    Without `force` only a `)` among the first tokens with no `(` before it counts.
    """
    limit = len(spans) if force else 6
    for k, (s, e) in enumerate(spans[:limit]):
        raw = text[s:e]
        if raw == "(" and not (force and k == 0):
            return spans
        if raw == ")":
            return spans[k + 1 :]
    return spans
