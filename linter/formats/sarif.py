"""SARIF 2.1.0: one run of dlint, with rule metadata, results, fingerprints and fixes.

- `tool.driver.rules[]` holds every rule that has a result, rendered from the rule itself
  (summary, rationale, help as text and Markdown, docs URL, default level, headline tags).
- Regions are 1-based with exclusive `endColumn`, as SARIF defines them, counted in code points
  (`columnKind: unicodeCodePoints`). Relative paths are relative to `%SRCROOT%`, the folder dlint
  ran in (`originalUriBaseIds`).
- `partialFingerprints["dlint/v1"]` does not depend on line numbers (see `common.py`), so a
  finding keeps its identity when lines move.
- Image findings point at the archive (no region) or, when mapped with `--dockerfile`, at the
  Dockerfile range; the path inside the image and the layer go in the message and in
  `properties` (`imagePath`, `layer`, `historyIndex`).
- Inputs that could not be read become error notifications of the invocation, which is then
  not `executionSuccessful`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

from docklint import __version__
from docklint.formats.common import FINGERPRINT_KEY, error_reason, fingerprinted, location, message_with_image
from docklint.docs import rule_markdown, rule_text
from docklint.model.source import Range
from docklint.positions import span
from docklint.registry import registry
from docklint.rule import Finding, Fix, Severity
from docklint.shellcheck import wiki_url as shellcheck_wiki

if TYPE_CHECKING:
    from docklint.report import Report

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://dlint.dev"
SRCROOT = "%SRCROOT%"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note", Severity.STYLE: "note"}


def render(report: Report, out: TextIO) -> None:
    json.dump(sarif_log(report), out, indent=2, ensure_ascii=False)
    out.write("\n")


def sarif_log(report: Report) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    rule_index: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    for _result, finding, fingerprint in fingerprinted(report):
        if finding.code not in rule_index:
            rule_index[finding.code] = len(rules)
            rules.append(rule_descriptor(finding))
        results.append(result_object(finding, rule_index[finding.code], fingerprint))
    driver = {
        "name": "dlint",
        "version": __version__,
        "semanticVersion": __version__,
        "informationUri": INFORMATION_URI,
        "rules": rules,
    }
    run = {
        "tool": {"driver": driver},
        "invocations": [invocation(report)],
        "originalUriBaseIds": {SRCROOT: {"uri": Path.cwd().as_uri().rstrip("/") + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def rule_descriptor(finding: Finding) -> dict[str, Any]:
    rule = registry().by_code.get(finding.code)
    if rule is None:  # a code the registry does not know: describe it from the finding alone
        descriptor = {"id": finding.code, "name": finding.name}
        wiki = shellcheck_wiki(finding.code)  # SC codes: ShellCheck's own page
        return {**descriptor, "helpUri": wiki} if wiki is not None else descriptor
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.rationale},
        "help": {"text": rule_text(rule), "markdown": rule_markdown(rule, heading="##")},
        "helpUri": rule.docs_url,
        "defaultConfiguration": {"level": LEVEL[rule.severity], "enabled": rule.enabled},
        "properties": {"tags": list(rule.tags)},
    }


def result_object(finding: Finding, index: int, fingerprint: str) -> dict[str, Any]:
    where = location(finding)
    physical: dict[str, Any] = {"artifactLocation": artifact(where.path)}
    if where.range is not None:
        physical["region"] = region(where.range)
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": index,
        "level": LEVEL[finding.severity],
        "message": {"text": message_with_image(finding)},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    }
    if finding.fix is not None and finding.fix.edits:
        result["fixes"] = [fix_object(finding.path, finding.fix)]
    properties = image_properties(finding)
    if properties:
        result["properties"] = properties
    return result


def image_properties(finding: Finding) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    if finding.image_path is not None:
        properties["imagePath"] = finding.image_path
    if finding.layer is not None:
        properties["layer"] = {"index": finding.layer.index, "digest": finding.layer.digest}
    if finding.history_index is not None:
        properties["historyIndex"] = finding.history_index
    return properties


def fix_object(path: str, fix: Fix) -> dict[str, Any]:
    replacements = []
    for edit in fix.edits:
        replacement: dict[str, Any] = {"deletedRegion": region(edit.range)}
        if edit.new_text:
            replacement["insertedContent"] = {"text": edit.new_text}
        replacements.append(replacement)
    return {
        "description": {"text": fix.title},
        "artifactChanges": [{"artifactLocation": artifact(path), "replacements": replacements}],
        "properties": {"safety": fix.safety.value},
    }


def region(rng: Range) -> dict[str, int]:
    s = span(rng)
    return {"startLine": s.line, "startColumn": s.column, "endLine": s.end_line, "endColumn": s.end_column}


def artifact(path: str) -> dict[str, str]:
    """An artifact location: a `file:` URI for absolute paths, else relative to `%SRCROOT%`."""
    if Path(path).is_absolute():
        return {"uri": Path(path).as_uri()}
    relative = path.replace("\\", "/").removeprefix("./")
    return {"uri": quote(relative, safe="/"), "uriBaseId": SRCROOT}


def invocation(report: Report) -> dict[str, Any]:
    notifications = [
        {
            "level": "error",
            "message": {"text": error_reason(result)},
            "locations": [{"physicalLocation": {"artifactLocation": artifact(result.path)}}],
            "descriptor": {"id": "input-error"},
        }
        for result in report.errors
    ]
    document: dict[str, Any] = {"executionSuccessful": not notifications}
    if notifications:
        document["toolExecutionNotifications"] = notifications
    return document
