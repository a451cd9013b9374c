"""Helpers the image rule families share: placing a finding in an image, glob lists, sizes."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, Iterable

from docklint.model.source import Pos, Range
from docklint.rule import Context, Finding

if TYPE_CHECKING:
    from docklint.model.image import Image

# Image findings have no text position of their own; formats show where in the image instead.
ORIGIN = Range(Pos(0, 0), Pos(0, 0))


def image_finding(
    ctx: Context,
    image: Image,
    *,
    path: str | None = None,
    layer: int | None = None,
    history: int | None = None,
    message: str | None = None,
    **fields: Any,
) -> Finding:
    """A finding at a file (`path`), a layer and/or a history entry of the image."""
    if layer is not None and history is None:
        history = image.history_of(layer)
    if path is not None:
        fields.setdefault("path", path)
    if layer is not None:
        fields.setdefault("layer", layer)
    # Formatted here: `layer` and `path` are placeholders of several messages but also keyword
    # arguments of `Context.finding`.
    text = (message if message is not None else ctx.rule.message).format(**fields)
    return ctx.finding(
        ORIGIN,
        image_path=path,
        layer=image.layer_ref(layer) if layer is not None and layer < len(image.layers) else None,
        history_index=history,
        message=text,
    )


def glob_matcher(patterns: Iterable[str]) -> Callable[[str], bool]:
    """A test for absolute paths against globs: `*` stays within a folder, `**` crosses them,
    and a pattern without `/` matches a file or folder name anywhere."""
    return _compiled(tuple(patterns))


@lru_cache(maxsize=64)
def _compiled(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    if not patterns:
        return lambda path: False
    # Each pattern is tried only when its longest literal piece occurs in the path: a substring
    # test is far cheaper than a regex with `.*`, and most paths contain none of the pieces.
    tests: list[tuple[str, re.Pattern[str]]] = []
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        while pattern.endswith("/**"):
            pattern = pattern[:-3]  # `dir/**` is the folder and all inside it: the suffix below
        body = _glob(pattern)
        anchored = f"{body}(?:/.*)?" if pattern.startswith("/") else f"(?:.*/)?{body}(?:/.*)?"
        literal = max(re.split(r"\*+|\?", pattern), key=len)
        tests.append((literal, re.compile(f"^{anchored}$")))

    def matches(path: str) -> bool:
        for literal, regex in tests:
            if literal in path and regex.match(path):
                return True
        return False

    return matches


def _glob(pattern: str) -> str:
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        out.append("[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char))
        i += 1
    return "".join(out)


def size_text(size: float) -> str:
    from docklint.model.imagefs.stream import format_size

    return format_size(size)


def history_setting(image: Image, keyword: str, needle: str) -> int | None:
    """The last history entry whose instruction is `keyword` and mentions `needle`."""
    for entry in reversed(image.history):
        text = entry.created_by
        if keyword in text and needle in text:
            return entry.index
    return None
