"""GitHub Actions workflow commands: one annotation per finding.

    ::warning file=Dockerfile,line=1,col=6,endLine=1,endColumn=12,title=DL3006 image-tag-missing::...

error -> `::error`, warning -> `::warning`, info and style -> `::notice`. GitHub takes columns
only on single-line ranges, so `col`/`endColumn` are left out when the range spans lines; the end
column is exclusive, as in every dlint format. Escaping follows the runner's rules: in the
message `%`, CR and LF become `%25`, `%0D`, `%0A`; in property values `:` and `,` also become
`%3A` and `%2C`. An input that could not be read is an `::error` on that file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from docklint.formats.common import error_reason, location, message_with_image
from docklint.positions import span
from docklint.rule import Finding, Severity

if TYPE_CHECKING:
    from docklint.report import Report

COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice", Severity.STYLE: "notice"}


def render(report: Report, out: TextIO) -> None:
    for result in report.results:
        if result.error is not None:
            out.write(command("error", [("file", result.path), ("title", "dlint: input error")], error_reason(result)))
        for finding in result.findings:
            out.write(annotation(finding))


def annotation(finding: Finding) -> str:
    where = location(finding)
    properties: list[tuple[str, str]] = [("file", where.path)]
    if where.range is not None:
        s = span(where.range)
        properties.append(("line", str(s.line)))
        if s.line == s.end_line:
            properties += [("col", str(s.column)), ("endLine", str(s.end_line)), ("endColumn", str(s.end_column))]
        else:
            properties.append(("endLine", str(s.end_line)))
    properties.append(("title", f"{finding.code} {finding.name}"))
    return command(COMMAND[finding.severity], properties, message_with_image(finding))


def command(name: str, properties: list[tuple[str, str]], message: str) -> str:
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{name} {props}::{escape_data(message)}\n"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
