"""Checkstyle XML, as CI plugins and review bots read it.

    <checkstyle version="4.3"><file name="Dockerfile">
      <error line="1" column="6" severity="warning" message="..." source="dlint.DL3006"/>
    </file></checkstyle>

One `<file>` per file the line numbers refer to (image findings mapped with `--dockerfile` go
under the Dockerfile), in the report's order; a clean input is an empty `<file>`. Checkstyle
knows error, warning and info: `style` becomes `info`. An input that could not be read is one
error with `source="dlint.input-error"`. Characters XML cannot carry become U+FFFD.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from docklint.formats.common import error_reason, location, message_with_image, xml_attr
from docklint.positions import one_based
from docklint.rule import Finding, Severity

if TYPE_CHECKING:
    from docklint.report import Report

SEVERITY = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "info", Severity.STYLE: "info"}


def render(report: Report, out: TextIO) -> None:
    files: dict[str, list[str]] = {}
    for result in report.results:
        files.setdefault(result.path, [])
        if result.error is not None:
            files[result.path].append(
                f"<error line=\"1\" severity=\"error\" message={xml_attr(error_reason(result))} source=\"dlint.input-error\"/>"
            )
        for finding in result.findings:
            where = location(finding)
            files.setdefault(where.path, []).append(error_element(finding))
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n<checkstyle version="4.3">\n')
    for path, errors in files.items():
        if not errors:
            out.write(f"  <file name={xml_attr(path)}/>\n")
            continue
        out.write(f"  <file name={xml_attr(path)}>\n")
        for error in errors:
            out.write(f"    {error}\n")
        out.write("  </file>\n")
    out.write("</checkstyle>\n")


def error_element(finding: Finding) -> str:
    where = location(finding)
    if where.range is not None:
        line, column = one_based(where.range.start)
        position = f'line="{line}" column="{column}"'
    else:
        position = 'line="1"'  # the input as a whole (an image finding without a Dockerfile line)
    return (
        f"<error {position} severity=\"{SEVERITY[finding.severity]}\" "
        f"message={xml_attr(message_with_image(finding))} source=\"dlint.{finding.code}\"/>"
    )
