"""Hover: a rule's documentation over its diagnostics, a description over instruction keywords."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

from docklint.lsp.convert import Positions
from docklint.lsp.keywords import INSTRUCTIONS
from docklint.model.source import Pos, Range, Source

if TYPE_CHECKING:
    from docklint.lsp.server import DlintServer
    from docklint.rule import Finding, Rule


def touches(rng: Range, pos: Pos) -> bool:
    """Whether the cursor is on the range (its end included, so a cursor just after counts)."""
    return rng.start <= pos <= rng.end


async def hover(ls: DlintServer, params: types.HoverParams) -> types.Hover | None:
    document = ls.documents.get(params.text_document.uri)
    if document is None or document.kind is None:
        return None
    outcome = await ls.scheduler.current(document.uri)
    if outcome is None or not outcome.handled:
        return None
    source = getattr(outcome.model, "source", None)
    positions = Positions(source if isinstance(source, Source) else Source(outcome.text), ls.encoding)
    pos = positions.from_client(params.position)
    hits = [f for f in outcome.findings if touches(f.range, pos)]
    if hits:
        text = "\n\n---\n\n".join(finding_markdown(f) for f in hits)
        target = hits[0].range
    else:
        keyword = keyword_at(outcome.model, pos)
        if keyword is None:
            return None
        text, target = instruction_markdown(keyword[0]), keyword[1]
    if not ls.support.hover_markdown:
        return types.Hover(contents=types.MarkupContent(types.MarkupKind.PlainText, text), range=positions.range_to_client(target))
    return types.Hover(contents=types.MarkupContent(types.MarkupKind.Markdown, text), range=positions.range_to_client(target))


def keyword_at(model: Any, pos: Pos) -> tuple[str, Range] | None:
    """The instruction keyword under the cursor (ONBUILD's wrapped one too), with its range."""
    for inst in getattr(model, "instructions", ()):
        if inst.first_line > pos.line:
            break
        for candidate in (inst, inst.onbuild):
            if candidate is not None and touches(candidate.keyword_range, pos):
                return candidate.keyword, candidate.keyword_range
    return None


def instruction_markdown(keyword: str) -> str:
    description = INSTRUCTIONS.get(keyword)
    if description is None:
        return f"**{keyword}** is not a Dockerfile instruction."
    anchor = keyword.lower()
    return (
        f"**{keyword}**\n\n{description}\n\n"
        f"[Dockerfile reference](https://docs.docker.com/reference/dockerfile/#{anchor})"
    )


def finding_markdown(finding: Finding) -> str:
    from docklint.registry import registry

    rule = registry().by_code.get(finding.code)
    if rule is None:
        return f"**{finding.code}** {finding.name}\n\n{finding.message}"
    return f"{finding.message}\n\n{rule_markdown(rule)}"


def rule_markdown(rule: Rule) -> str:
    """The rule's documentation (what, why, example, instead, fix, how to silence it)."""
    rendered = _shared_renderer(rule)
    if rendered is not None:
        return rendered + silence_markdown(rule)
    parts = [
        f"### {rule.code} `{rule.name}`",
        f"*{rule.severity}* · [documentation]({rule.docs_url})",
        f"**What it flags:** {rule.summary}",
        f"**Why it matters:** {rule.rationale}",
        f"**Example**\n```dockerfile\n{rule.bad}\n```",
        f"**Instead**\n```dockerfile\n{rule.good}\n```",
    ]
    if rule.fix_safety:
        parts.append(f"**Fix:** {rule.fix_safety}")
    return "\n\n".join(parts) + silence_markdown(rule)


def silence_markdown(rule: Rule) -> str:
    return (
        f"\n\n**Silence it:** `# dlint ignore={rule.code}` on the line above the instruction, "
        f"`# dlint global ignore={rule.code}` for the whole file, or `ignore: [{rule.code}]` in `.dlint.yaml`."
    )


def _shared_renderer(rule: Rule) -> str | None:
    """The Markdown renderer behind `dlint explain` (`docklint.docs`), when it is there."""
    try:
        from docklint.docs import rule_markdown as render
    except ImportError:
        return None
    try:
        return str(render(rule, heading="###")).rstrip("\n") + f"\n\n[Documentation]({rule.docs_url})"
    except Exception:  # noqa: BLE001 - fall back to our own rendering
        return None
