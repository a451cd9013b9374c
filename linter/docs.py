"""Rule documentation rendered from the rules' own fields: pages, the catalogue, the index.

One renderer for every surface (STYLE.md §4): `dlint explain` (plain text or Markdown),
`dlint rules` (a table), and `scripts/gen_docs.py` (`docs/rules.md` and `docs/rules/CODE.md`).
A page reads: title `CODE name`, What it flags, Why it matters, Example, Instead, Options, Fix.
"""

from __future__ import annotations

import textwrap
from typing import Callable, Sequence

from docklint.rule import Rule

FENCE_LANGUAGE = {"dockerfile": "dockerfile", "compose": "yaml", "daemon": "json"}
WIDTH = 88

# Sections of the index, by code prefix (the longest matching prefix names a rule's section).
FAMILIES: tuple[tuple[str, str], ...] = (
    ("DL", "Hadolint-compatible rules (DL)"),
    ("DF0", "Engine (DF0xx)"),
    ("DF1", "Security (DF1xx)"),
    ("DF2", "Base images and supply chain (DF2xx)"),
    ("DF3", "Size and bloat (DF3xx)"),
    ("DF4", "Correctness (DF4xx)"),
    ("DF5", "Style (DF5xx)"),
    ("IM1", "Image config and history (IM1xx)"),
    ("IM2", "Files in the image (IM2xx)"),
    ("IM3", "Image size and waste (IM3xx)"),
    ("RT", "Runtime configuration (RT1xx)"),
)


def _option_line(option: object, code: Callable[[str], str]) -> str:
    name = getattr(option, "name")
    kind = getattr(option, "type").__name__
    default = getattr(option, "default")
    return f"{code(name)} ({kind}, default {code(repr(default))}): {getattr(option, 'help')}"


def rule_text(rule: Rule, width: int = WIDTH) -> str:
    """A rule's page as plain text, for `dlint explain` in a terminal."""

    def para(label: str, text: str) -> str:
        return label + "\n" + textwrap.fill(text, width, initial_indent="    ", subsequent_indent="    ")

    parts = [
        f"{rule.code} {rule.name}",
        f"Severity: {rule.severity.value}{'' if rule.enabled else ' (opt-in: off unless selected)'}"
        f"{'; fixable' if rule.fixable else ''}",
        para("What it flags", rule.summary),
        para("Why it matters", rule.rationale),
        "Example\n" + textwrap.indent(rule.bad.rstrip("\n"), "    "),
        "Instead\n" + textwrap.indent(rule.good.rstrip("\n"), "    "),
    ]
    if rule.options:
        parts.append("Options\n" + "\n".join("    " + _option_line(o, str) for o in rule.options))
    if rule.fix_safety:
        parts.append(para("Fix", rule.fix_safety))
    parts.append(f"Docs: {rule.docs_url}")
    return "\n\n".join(parts) + "\n"


def rule_markdown(rule: Rule, heading: str = "#") -> str:
    """A rule's page as Markdown (docs pages with `#`; embedded help with `##`)."""
    fence = _fence(rule.bad + rule.good)
    language = FENCE_LANGUAGE.get(rule.kind, "")
    facts = [f"Severity: **{rule.severity.value}**"]
    facts.append("on by default" if rule.enabled else "opt-in (runs only when selected by code or name)")
    if rule.fixable:
        facts.append("fixable with `--fix`")
    if rule.aliases or rule.buildkit:
        names = sorted({*rule.aliases, *rule.buildkit})
        facts.append("also known as " + ", ".join(f"`{n}`" for n in names))
    sub = heading + "#"
    parts = [
        f"{heading} {rule.code} {rule.name}",
        " · ".join(facts),
        f"{sub} What it flags\n\n{rule.summary}",
        f"{sub} Why it matters\n\n{rule.rationale}",
        f"{sub} Example\n\n{fence}{language}\n{rule.bad.rstrip(chr(10))}\n{fence}",
        f"{sub} Instead\n\n{fence}{language}\n{rule.good.rstrip(chr(10))}\n{fence}",
    ]
    if rule.options:
        lines = [f"- {_option_line(o, lambda s: f'`{s}`')}" for o in rule.options]
        parts.append(f"{sub} Options\n\n" + "\n".join(lines))
    if rule.fix_safety:
        parts.append(f"{sub} Fix\n\n{rule.fix_safety}")
    return "\n\n".join(parts) + "\n"


def _fence(text: str) -> str:
    """A backtick fence longer than any backtick run inside the examples."""
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)


def rules_table(rules: Sequence[Rule], enabled: Callable[[Rule], bool]) -> str:
    """The catalogue for `dlint rules`: code, name, severity, fixable, on/off; aligned columns."""
    header = ("CODE", "NAME", "SEVERITY", "FIX", "STATUS")
    rows = [
        (r.code, r.name, r.severity.value, "yes" if r.fixable else "", "on" if enabled(r) else "off")
        for r in rules
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in (header, *rows)]
    return "\n".join(lines) + "\n"


def family_of(code: str) -> str:
    best = ""
    title = "Other rules"
    for prefix, name in FAMILIES:
        if code.startswith(prefix) and len(prefix) > len(best):
            best, title = prefix, name
    return title


def index_markdown(rules: Sequence[Rule]) -> str:
    """`docs/rules.md`: every rule by family, linking to its page."""
    parts = [
        "# Rules",
        "Generated from the rules' own metadata by `python scripts/gen_docs.py`; do not edit by hand.",
        "Every rule has a code and a kebab-case name; `--select`, `--ignore`, config files and "
        "`# dlint ignore=` pragmas accept either, as well as a code prefix (`DF1`) or `all`. "
        "*Opt-in* rules run only when selected by code or name. *Fix*: `safe` fixes are applied "
        "by `dlint --fix`; `unsafe` ones need `--unsafe-fixes` as well.",
    ]
    sections: dict[str, list[Rule]] = {}
    for rule in sorted(rules, key=lambda r: r.code):
        sections.setdefault(family_of(rule.code), []).append(rule)
    order = [name for _, name in FAMILIES] + ["Other rules"]
    for title in order:
        members = sections.get(title)
        if not members:
            continue
        lines = [f"## {title}", "", "| Code | Name | Severity | Fix | Default | What it flags |", "| --- | --- | --- | --- | --- | --- |"]
        for r in members:
            fix = _fix_kind(r)
            default = "on" if r.enabled else "opt-in"
            summary = r.summary.replace("|", "\\|")
            lines.append(f"| [{r.code}](rules/{r.code}.md) | `{r.name}` | {r.severity.value} | {fix} | {default} | {summary} |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def _fix_kind(rule: Rule) -> str:
    if not rule.fixable:
        return ""
    safety = (rule.fix_safety or "").lower()
    return "unsafe" if safety.startswith("unsafe") else "safe"


def generated_files(rules: Sequence[Rule]) -> dict[str, str]:
    """Every generated docs file, by path relative to `docs/`: the index and one page per rule."""
    files = {"rules.md": index_markdown(rules)}
    for rule in rules:
        files[f"rules/{rule.code}.md"] = rule_markdown(rule)
    return files
