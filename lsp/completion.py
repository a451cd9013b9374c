"""Completion: rule codes and names in ignore pragmas, instruction keywords, instruction flags.

Completion works on the text as typed, which is often mid-edit and unparsable, so it reads the
current line (and the lines above, for continuations) rather than the last lint's model.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lsprotocol import types

from docklint.lsp.convert import Positions
from docklint.lsp.keywords import FLAGS, INSTRUCTIONS
from docklint.model.source import Pos, Range, Source

if TYPE_CHECKING:
    from docklint.lsp.server import DlintServer

PRAGMA = re.compile(r"^[ \t]*#[ \t]*(dlint|hadolint)[ \t]+(global[ \t]+)?ignore[ \t]*=(?P<list>.*)$", re.IGNORECASE)
FLAG = re.compile(
    r"^[ \t]*(?:onbuild[ \t]+)?(?P<keyword>from|run|copy|add|healthcheck)[ \t]+(?:--\S+[ \t]+)*"
    r"--(?P<name>[A-Za-z-]*)(?:=(?P<value>\S*))?$",
    re.IGNORECASE,
)
KEYWORD = re.compile(r"^(?P<indent>[ \t\ufeff]*)(?:(?P<onbuild>onbuild)[ \t]+)?(?P<partial>[A-Za-z]*)$", re.IGNORECASE)
ESCAPE = re.compile(r"^#[ \t]*escape[ \t]*=[ \t]*(\S)", re.IGNORECASE)


def complete(ls: DlintServer, params: types.CompletionParams) -> types.CompletionList | None:
    document = ls.documents.get(params.text_document.uri)
    if document is None or document.kind != "dockerfile":
        return None
    source = document.source
    positions = Positions(source, ls.encoding)
    pos = positions.from_client(params.position)
    before = source.line(pos.line)[: pos.col]
    markdown = ls.support.completion_markdown
    items: list[types.CompletionItem] | None = None
    if match := PRAGMA.match(before):
        items = rule_items(match.group("list"), pos, positions, markdown)
    elif before.lstrip().startswith("#"):
        return None
    elif match := FLAG.match(before):
        items = flag_items(match, pos, positions, markdown)
    elif (match := KEYWORD.match(before)) and not continues(source, pos.line):
        items = keyword_items(match, pos, positions, markdown)
    if items is None:
        return None
    return types.CompletionList(is_incomplete=False, items=items)


def _docs(text: str, markdown: bool) -> types.MarkupContent | str:
    return types.MarkupContent(types.MarkupKind.Markdown, text) if markdown else text.replace("`", "")


def _edit(positions: Positions, pos: Pos, start_col: int, text: str) -> types.TextEdit:
    rng = Range(Pos(pos.line, start_col), pos)
    return types.TextEdit(range=positions.range_to_client(rng), new_text=text)


def rule_items(listed: str, pos: Pos, positions: Positions, markdown: bool) -> list[types.CompletionItem]:
    """Every rule's code and name, except those already in the pragma's list."""
    from docklint.registry import registry

    partial = re.split(r"[,\s]", listed)[-1]
    start = pos.col - len(partial)
    present = {part.lower() for part in re.split(r"[,\s]+", listed[: len(listed) - len(partial)]) if part}
    items = []
    for rule in registry().rules:
        if rule.code.lower() in present or rule.name.lower() in present:
            continue
        for label, detail, order in ((rule.code, rule.name, "0"), (rule.name, rule.code, "1")):
            items.append(
                types.CompletionItem(
                    label=label,
                    kind=types.CompletionItemKind.Constant,
                    detail=detail,
                    documentation=_docs(f"{rule.summary} ({rule.severity})", markdown),
                    sort_text=f"{order}{label}",
                    filter_text=label,
                    text_edit=_edit(positions, pos, start, label),
                )
            )
    return items


def flag_items(match: re.Match[str], pos: Pos, positions: Positions, markdown: bool) -> list[types.CompletionItem]:
    flags = FLAGS.get(match.group("keyword").upper(), ())
    if match.group("value") is not None:  # `--network=|`: the flag's values
        value = match.group("value")
        found = [f for f in flags if f.name == match.group("name").lower()]
        if not found:
            return []
        start = pos.col - len(value)
        return [
            types.CompletionItem(
                label=choice,
                kind=types.CompletionItemKind.EnumMember,
                text_edit=_edit(positions, pos, start, choice),
            )
            for choice in found[0].values
        ]
    start = pos.col - len(match.group("name")) - 2
    items = []
    for flag in flags:
        text = f"--{flag.name}=" if flag.takes_value else f"--{flag.name}"
        items.append(
            types.CompletionItem(
                label=f"--{flag.name}",
                kind=types.CompletionItemKind.Property,
                documentation=_docs(flag.help, markdown),
                filter_text=f"--{flag.name}",
                text_edit=_edit(positions, pos, start, text),
            )
        )
    return items


def keyword_items(match: re.Match[str], pos: Pos, positions: Positions, markdown: bool) -> list[types.CompletionItem]:
    partial = match.group("partial")
    lower = bool(partial) and partial.islower()
    start = pos.col - len(partial)
    items = []
    for keyword, description in INSTRUCTIONS.items():
        if match.group("onbuild") and keyword in ("ONBUILD", "FROM", "MAINTAINER"):
            continue  # BuildKit rejects these after ONBUILD
        label = keyword.lower() if lower else keyword
        items.append(
            types.CompletionItem(
                label=label,
                kind=types.CompletionItemKind.Keyword,
                documentation=_docs(description, markdown),
                text_edit=_edit(positions, pos, start, label),
            )
        )
    return items


def continues(source: Source, line: int) -> bool:
    """Whether `line` continues an instruction from above (escape character at the end of the
    last line above that is neither blank nor a comment)."""
    escape = "\\"
    for index in range(min(source.line_count, 8)):
        match = ESCAPE.match(source.line(index).lstrip("\ufeff"))
        if match:
            escape = match.group(1)
            break
    for index in range(line - 1, -1, -1):
        text = source.line(index).rstrip(" \t")
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        return text.endswith(escape)
    return False
