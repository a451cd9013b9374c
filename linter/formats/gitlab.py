"""GitLab Code Quality JSON (the subset of Code Climate's issue format GitLab reads).

Each finding is `{"type": "issue", "check_name", "description", "categories", "fingerprint",
"severity", "location": {"path", "positions": {"begin": {line, column}, "end": {...}}}}` (1-based,
end column exclusive as in every dlint format); an image finding without a Dockerfile line uses
`"lines": {"begin": 1}`. The fingerprint is the line-independent one SARIF uses (see
`common.py`), hashed once more with its occurrence number so that it is unique in the report, as
GitLab requires. Severities: error -> critical,
warning -> major, info -> minor, style -> info (`blocker` is left for nothing dlint reports).
Categories follow the rule's headline tags. An input that could not be read becomes one
`critical` issue named `input-error`. `check_name` is the rule code.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, TextIO

from docklint.formats.common import error_reason, fingerprinted, location, message_with_image
from docklint.positions import span
from docklint.registry import registry
from docklint.rule import Finding, Severity

if TYPE_CHECKING:
    from docklint.report import Report

SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "minor", Severity.STYLE: "info"}
# Code Climate categories by headline tag; the first tag that maps wins.
CATEGORY = {"root": "Security", "secret": "Security", "port": "Security", "base": "Security", "bloat": "Performance"}


def render(report: Report, out: TextIO) -> None:
    issues = [issue(finding, fingerprint) for _, finding, fingerprint in fingerprinted(report)]
    issues += [unreadable(result.path, error_reason(result)) for result in report.errors]
    json.dump(issues, out, indent=2, ensure_ascii=False)
    out.write("\n")


def issue(finding: Finding, fingerprint: str) -> dict[str, Any]:
    where = location(finding)
    place: dict[str, Any] = {"path": where.path}
    if where.range is not None:
        s = span(where.range)
        place["positions"] = {"begin": {"line": s.line, "column": s.column}, "end": {"line": s.end_line, "column": s.end_column}}
    else:
        place["lines"] = {"begin": 1}
    return {
        "type": "issue",
        "check_name": finding.code,
        "description": message_with_image(finding),
        "categories": [category(finding)],
        "fingerprint": hashlib.sha256(fingerprint.encode()).hexdigest()[:32],
        "severity": SEVERITY[finding.severity],
        "location": place,
    }


def category(finding: Finding) -> str:
    entry = registry().entry_by_code.get(finding.code)
    for tag in entry.tags if entry is not None else ():
        if tag in CATEGORY:
            return CATEGORY[tag]
    return "Style" if finding.severity is Severity.STYLE else "Bug Risk"


def unreadable(path: str, reason: str) -> dict[str, Any]:
    return {
        "type": "issue",
        "check_name": "input-error",
        "description": reason,
        "categories": ["Bug Risk"],
        "fingerprint": hashlib.sha256(f"input-error\0{path}".encode("utf-8", "surrogatepass")).hexdigest()[:32],
        "severity": "critical",
        "location": {"path": path, "lines": {"begin": 1}},
    }
