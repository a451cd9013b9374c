"""The JSON format: the contract of `spec/DESIGN.md` that other tools rely on.

    {"version": "1.0.0", "findings": [...], "errors": [...]}

Each finding: `code`, `name`, `severity`, `message`, `path`, `line`, `column`, `end_line`,
`end_column` (1-based, end column exclusive) and `fix` (`{"title", "safety", "edits"}`, null when
the finding has none). Image findings add `image_path`, `layer` (`{"index", "digest"}`),
`history_index` when set, and `dockerfile` (`{"path", "line", "column", "end_line",
"end_column"}`) when mapped back with `--dockerfile`. `errors` (an additive extension of the
contract) lists inputs that could not be read as `{"path", "message"}`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TextIO

from docklint.formats.common import error_reason
from docklint.positions import span
from docklint.rule import Finding, Fix

if TYPE_CHECKING:
    from docklint.report import Report

VERSION = "1.0.0"


def render(report: Report, out: TextIO) -> None:
    document = {
        "version": VERSION,
        "findings": [finding_dict(f) for f in report.findings],
        "errors": [{"path": r.path, "message": error_reason(r)} for r in report.errors],
    }
    json.dump(document, out, indent=2, ensure_ascii=False)
    out.write("\n")


def finding_dict(finding: Finding) -> dict[str, Any]:
    """One finding as the contract spells it (the language server's `data` may reuse it)."""
    item: dict[str, Any] = {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.value,
        "message": finding.message,
        "path": finding.path,
        **span(finding.range).as_dict(),
        "fix": fix_dict(finding.fix) if finding.fix is not None else None,
    }
    if finding.image_path is not None:
        item["image_path"] = finding.image_path
    if finding.layer is not None:
        item["layer"] = {"index": finding.layer.index, "digest": finding.layer.digest}
    if finding.history_index is not None:
        item["history_index"] = finding.history_index
    if finding.dockerfile_range is not None:
        item["dockerfile"] = {"path": finding.dockerfile_path, **span(finding.dockerfile_range).as_dict()}
    return item


def fix_dict(fix: Fix) -> dict[str, Any]:
    return {
        "title": fix.title,
        "safety": fix.safety.value,
        "edits": [{**span(edit.range).as_dict(), "text": edit.new_text} for edit in fix.edits],
    }
