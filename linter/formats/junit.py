"""JUnit XML, for CI services that show test reports: one test case per linted input.

    <testsuites name="dlint" tests="2" failures="1" errors="0">
      <testsuite name="dlint" tests="2" failures="1" errors="0" skipped="0">
        <testcase classname="dlint" name="Dockerfile">
          <failure type="DL3006" message="1:6: DL3006 `debian` has no tag, ...">Dockerfile:1:6: ...</failure>
        </testcase>
        <testcase classname="dlint" name="clean/Dockerfile"/>
      </testsuite>
    </testsuites>

A clean input is a passing test case; each finding is one `<failure>` of its input's case (so
`failures` counts failing inputs, not findings); an input that could not be read has an
`<error>`. The failure text is the terminal line of the finding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from docklint.formats.common import error_reason, location, message_with_image, xml_attr, xml_text
from docklint.positions import one_based
from docklint.rule import Finding

if TYPE_CHECKING:
    from docklint.engine import LintResult
    from docklint.report import Report


def render(report: Report, out: TextIO) -> None:
    tests = len(report.results)
    failures = sum(1 for r in report.results if r.findings)
    errors = len(report.errors)
    counts = f'tests="{tests}" failures="{failures}" errors="{errors}"'
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(f'<testsuites name="dlint" {counts}>\n')
    out.write(f'  <testsuite name="dlint" {counts} skipped="0">\n')
    for result in report.results:
        out.write(testcase(result))
    out.write("  </testsuite>\n</testsuites>\n")


def testcase(result: LintResult) -> str:
    opening = f'    <testcase classname="dlint" name={xml_attr(result.path)}'
    if result.error is None and not result.findings:
        return opening + "/>\n"
    parts = [opening + ">\n"]
    if result.error is not None:
        reason = error_reason(result)
        parts.append(f'      <error type="input-error" message={xml_attr(reason)}>{xml_text(reason)}</error>\n')
    for finding in result.findings:
        parts.append(failure(finding))
    parts.append("    </testcase>\n")
    return "".join(parts)


def failure(finding: Finding) -> str:
    where = location(finding)
    message = message_with_image(finding)
    if where.range is not None:
        line, column = one_based(where.range.start)
        place = f"{where.path}:{line}:{column}"
        short = f"{line}:{column}: {finding.code} {message}"
    else:
        place = where.path
        short = f"{finding.code} {message}"
    body = f"{place}: {finding.code} {finding.severity.value} {message} ({finding.name})"
    return f"      <failure type={xml_attr(finding.code)} message={xml_attr(short)}>{xml_text(body)}</failure>\n"
