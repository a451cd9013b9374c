"""Linting runtime configuration: compose files and `daemon.json`, through the same engine.

The flow is the Dockerfile one: parse once into a model with positions, run the enabled rules
of that kind (`engine.run_rules`, so a crashing rule is one DF000 finding), drop suppressed
findings, sort. Compose files take `# dlint ignore=CODE` on the line above a key or list item
(it covers that whole entry: above a service, the whole service) or at the end of the entry's
first line, and `# dlint global ignore=CODE` anywhere; the `# hadolint` spellings work too.
JSON has no comments, so `daemon.json` findings are silenced through configuration only.
"""

from __future__ import annotations

import logging
import traceback
from typing import TYPE_CHECKING, Any, Sequence

from docklint.config import Config
from docklint.engine import LintResult, enabled_rules, internal_error, run_rules
from docklint.rule import Finding, Rule

if TYPE_CHECKING:
    from docklint.model.nodes import Comment

log = logging.getLogger("docklint")

READERS = {"compose": "compose file", "daemon": "daemon.json"}


def parse_model(text: str, path: str, kind: str) -> Any:
    """The model of a compose file or `daemon.json`."""
    if kind == "compose":
        from docklint.model.compose import parse

        return parse(text, path)
    if kind == "daemon":
        from docklint.model.daemon import parse as parse_daemon

        return parse_daemon(text, path)
    raise ValueError(f"unknown document kind {kind!r}")


def lint_runtime(text: str, path: str, config: Config, kind: str, *, rules: Sequence[Rule] | None = None) -> LintResult:
    """Lint compose or `daemon.json` text. `rules` limits the run (rule-case tests)."""
    result = LintResult(path=path, source_text=text)
    try:
        model = parse_model(text, path, kind)
    except ValueError:
        raise
    except Exception as error:  # noqa: BLE001 - the reader must never take the run down
        log.debug("reader crashed on %s:\n%s", path, traceback.format_exc())
        result.findings.append(internal_error(path, f"the {READERS[kind]} reader crashed: {type(error).__name__}: {error}"))
        return result
    result.model = model
    chosen = enabled_rules(config, kind) if rules is None else tuple(rules)
    findings = run_rules(model, chosen, config, path)
    if kind == "compose":
        findings = apply_yaml_suppressions(findings, model)
    result.findings = sorted(findings, key=lambda f: f.sort_key)
    return result


def apply_yaml_suppressions(findings: Sequence[Finding], model: Any) -> list[Finding]:
    """Drop findings silenced by `# dlint ignore=` comments in a YAML file."""
    if not findings or not model.comments:
        return list(findings)
    global_codes, by_line = yaml_pragmas(model)
    kept = []
    for finding in findings:
        if finding.code in global_codes or finding.code in by_line.get(finding.range.start.line, ()):
            continue
        kept.append(finding)
    return kept


def yaml_pragmas(model: Any) -> tuple[set[str], dict[int, set[str]]]:
    """Codes ignored in the whole file, and codes ignored per line."""
    from docklint.suppress import pragmas, selector_codes

    source = model.source
    comments = yaml_comments(model)
    comment_lines = set(standalone_comments(model))
    spans: dict[int, int] = model.yaml.spans
    global_codes: set[str] = set()
    by_line: dict[int, set[str]] = {}
    for pragma in pragmas(comments):
        codes: set[str] = set()
        for selector, _rng in pragma.selectors:
            codes |= selector_codes(selector)
        if pragma.is_global:
            global_codes |= codes
            continue
        line = pragma.comment.range.start.line
        if line in comment_lines:
            line += 1
            while line in comment_lines:
                line += 1
            if line >= source.line_count or not source.line(line).strip():
                continue  # a blank line after the comment: it annotates nothing
        for covered in range(line, spans.get(line, line) + 1):
            by_line.setdefault(covered, set()).update(codes)
    return global_codes, by_line


def yaml_comments(model: Any) -> list[Comment]:
    """The comments of a YAML model as `Comment` nodes, which the pragma reader takes."""
    from docklint.model.nodes import Comment

    return [Comment(text, rng, rng) for text, rng in model.comments]


def standalone_comments(model: Any) -> dict[int, Comment]:
    """Comments alone on their line (not after a value), by line: the ones a pragma applies
    to the entry below."""
    source = model.source
    return {c.range.start.line: c for c in yaml_comments(model) if not source.line(c.range.start.line)[: c.range.start.col].strip()}
