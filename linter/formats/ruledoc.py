"""A rule's documentation as plain text and Markdown, rendered from the rule's own fields.

The page reads: title `CODE name`, *What it flags* (summary), *Why it matters* (rationale),
*Example* (bad), *Instead* (good), *Options*, *Fix* (safety). SARIF `help` uses it; `dlint
explain` and hover text can too, so every surface says the same thing.
"""

from __future__ import annotations

import textwrap

from docklint.rule import Rule

FENCE_LANGUAGE = {"dockerfile": "dockerfile", "compose": "yaml", "daemon": "json"}


def rule_text(rule: Rule) -> str:
    """Plain text, for terminals and SARIF `help.text`."""
    parts = [
        f"{rule.code} {rule.name}",
        f"What it flags: {rule.summary}",
        f"Why it matters: {rule.rationale}",
        "Example:\n" + textwrap.indent(rule.bad, "    "),
        "Instead:\n" + textwrap.indent(rule.good, "    "),
    ]
    if rule.options:
        lines = [f"    {o.name} ({o.type.__name__}, default {o.default!r}): {o.help}" for o in rule.options]
        parts.append("Options:\n" + "\n".join(lines))
    if rule.fix_safety:
        parts.append(f"Fix: {rule.fix_safety}")
    return "\n\n".join(parts)


def rule_markdown(rule: Rule) -> str:
    """Markdown, for SARIF `help.markdown`, docs pages and hover text."""
    fence = _fence(rule.bad + rule.good)
    language = FENCE_LANGUAGE.get(rule.kind, "")
    parts = [
        f"## {rule.code} {rule.name}",
        f"**What it flags:** {rule.summary}",
        f"**Why it matters:** {rule.rationale}",
        f"**Example**\n\n{fence}{language}\n{rule.bad}\n{fence}",
        f"**Instead**\n\n{fence}{language}\n{rule.good}\n{fence}",
    ]
    if rule.options:
        lines = [f"- `{o.name}` ({o.type.__name__}, default `{o.default!r}`): {o.help}" for o in rule.options]
        parts.append("**Options**\n\n" + "\n".join(lines))
    if rule.fix_safety:
        parts.append(f"**Fix:** {rule.fix_safety}")
    return "\n\n".join(parts)


def _fence(text: str) -> str:
    """A backtick fence longer than any backtick run inside the examples."""
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)
