"""The terminal format: one line per finding, the source line underlined, then a summary.

    Dockerfile:1:6: DL3006 warning `debian` has no tag, ... (image-tag-missing)
      1 | FROM debian
        |      ^^^^^^

Layout is built once as lines of `(text, style)` segments; a plain writer joins the text (no
rich import: the hot path when output is not a terminal), and a rich writer colours it. Image
mode reuses `body_lines`, `finding_lines` and `footer_lines` and may add its own sections.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, TextIO

from docklint.formats.common import SEVERITIES, error_reason, image_where, is_image, severity_counts, source_of
from docklint.model.source import Source
from docklint.positions import one_based
from docklint.rule import Finding, Safety, Severity

if TYPE_CHECKING:
    from docklint.engine import LintResult
    from docklint.report import Report

Segment = tuple[str, str | None]  # text and a rich style (None: unstyled)
Line = list[Segment]

SEVERITY_STYLE = {
    Severity.ERROR: "bold red",
    Severity.WARNING: "yellow",
    Severity.INFO: "cyan",
    Severity.STYLE: "magenta",
}
TAB = "    "
# Bidirectional controls can make a line read differently from what it is ("Trojan source").
BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_PLAIN_ASCII = re.compile(r"[ -~]*")


def render(report: Report, out: TextIO) -> None:
    write = writer(out, report.color)
    for line in body_lines(report):
        write(line)
    for line in footer_lines(report):
        write(line)


def writer(out: TextIO, color: bool) -> Callable[[Line], None]:
    """A function writing one line of segments: plain text, or coloured through rich."""
    if not color:

        def write_plain(line: Line) -> None:
            out.write("".join(text for text, _ in line) + "\n")

        return write_plain
    from rich.console import Console
    from rich.text import Text

    console = Console(file=out, force_terminal=True, highlight=False, soft_wrap=True, emoji=False, markup=False)

    def write_rich(line: Line) -> None:
        console.print(Text.assemble(*((text, style or "") for text, style in line)), soft_wrap=True)

    return write_rich


# --- findings -----------------------------------------------------------------------------


def body_lines(report: Report) -> Iterator[Line]:
    """Findings grouped by input, a blank line between groups; unreadable inputs in place."""
    first = True
    for result in report.results:
        if not result.findings and result.error is None:
            continue
        if not first:
            yield []
        first = False
        yield from result_lines(result)


def result_lines(result: LintResult) -> Iterator[Line]:
    if result.error is not None:
        yield [(clean(result.path), "bold"), (": ", None), ("error", "bold red"), (": " + clean(error_reason(result)), None)]
    source = source_of(result)
    secrets = secret_spans(result.findings)
    for finding in result.findings:
        yield from finding_lines(finding, source, secrets)


def secret_spans(findings: Iterable[Finding]) -> dict[int, list[tuple[int, int]]]:
    """Where the file's secret findings are, by line: every snippet of such a line masks them,
    whichever finding it shows (a rule may know a secret `redact()` does not recognise)."""
    spans: dict[int, list[tuple[int, int]]] = {}
    for finding in findings:
        start, end = finding.range.start, finding.range.end
        if start.line == end.line and not is_image(finding) and _reports_masked_secret(finding):
            spans.setdefault(start.line, []).append((start.col, end.col))
    return spans


def finding_lines(
    finding: Finding, source: Source | None, secrets: dict[int, list[tuple[int, int]]] | None = None
) -> Iterator[Line]:
    """The header line, then the underlined source line (or where in the image it is)."""
    yield header(finding)
    if is_image(finding):
        yield [("  = ", "blue"), ("image: ", "bold"), (clean(image_where(finding)), None)]
        if finding.dockerfile_range is not None and finding.dockerfile_path:
            line, col = one_based(finding.dockerfile_range.start)
            yield [("  = ", "blue"), ("dockerfile: ", "bold"), (f"{clean(finding.dockerfile_path)}:{line}:{col}", None)]
        return
    if source is not None and finding.range.start.line < source.line_count:
        yield from snippet(finding, source, (secrets or {}).get(finding.range.start.line, ()))


def header(finding: Finding) -> Line:
    if is_image(finding):
        where = clean(finding.path)
    else:
        line, col = one_based(finding.range.start)
        where = f"{clean(finding.path)}:{line}:{col}"
    segments: Line = [(where, "bold"), (": ", None), (finding.code, "bold " + SEVERITY_STYLE[finding.severity])]
    if finding.fix is not None:
        segments.append((" [*]", "cyan"))
    segments += [
        (" ", None),
        (finding.severity.value, SEVERITY_STYLE[finding.severity]),
        (" " + clean(finding.message) + " ", None),
        (f"({finding.name})", "dim"),
    ]
    return segments


def snippet(finding: Finding, source: Source, secrets: Iterable[tuple[int, int]] = ()) -> Iterator[Line]:
    """The first line of the range with carets under it (to the line's end if it goes on).

    `secrets` are spans of that line that secret findings reported: masked like `redact()`'s.
    """
    from docklint.secrets import redact

    start, end = finding.range.start, finding.range.end
    text = redact(source.line(start.line))  # never print a secret the line holds
    if _reports_masked_secret(finding) and end.line == start.line:
        text = _mask_span(text, start.col, end.col)  # a secret only the rule recognised
    for secret_start, secret_end in secrets:
        text = _mask_span(text, secret_start, secret_end)
    stop = end.col if end.line == start.line else len(text)
    cells, widths = display(text)
    before = sum(widths[: start.col])
    under = max(sum(widths[start.col : stop]), 1)
    number = str(start.line + 1)
    gutter = " " * len(number)
    yield [(f"  {number} | ", "blue"), (cells, None)]
    yield [(f"  {gutter} | ", "blue"), (" " * before, None), ("^" * under, "bold red")]


def _reports_masked_secret(finding: Finding) -> bool:
    """Whether the finding shows a secret masked (`secrets.mask`), so its range is that secret:
    one `redact()` may not recognise, such as a password found by its variable's name."""
    from docklint.registry import registry
    from docklint.secrets import ELLIPSIS

    entry = registry().entry_by_code.get(finding.code)
    return entry is not None and "secret" in entry.tags and ELLIPSIS in finding.message


def _mask_span(text: str, start: int, end: int) -> str:
    """`text` with `text[start:end]` masked as `redact()` masks a secret (same length)."""
    value = text[start:end]
    shown = min(4, len(value) // 4)
    return text[:start] + value[:shown] + "*" * (len(value) - shown) + text[end:]


def display(text: str) -> tuple[str, list[int]]:
    """`text` as the terminal shows it, and how many cells each of its characters takes.

    Tabs become four spaces, control characters their visible symbols (U+2400...), bidi
    controls `<U+202E>`; wide East Asian characters take two cells, combining marks none.
    """
    if _PLAIN_ASCII.fullmatch(text):
        return text, [1] * len(text)
    parts: list[str] = []
    widths: list[int] = []
    for char in text:
        shown = _cell(char)
        parts.append(shown)
        if shown == char:
            widths.append(_width(char))
        else:
            widths.append(len(shown))
    return "".join(parts), widths


def _cell(char: str) -> str:
    code = ord(char)
    if char == "\t":
        return TAB
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    if 0x80 <= code < 0xA0:
        return "\ufffd"
    if char in BIDI:
        return f"<U+{code:04X}>"
    return char


def _width(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def clean(text: str) -> str:
    """Text safe to print on one terminal line (no escapes, newlines or bidi controls)."""
    if _PLAIN_ASCII.fullmatch(text):
        return text
    return "".join(_cell(char) for char in text)


# --- statistics and summary ---------------------------------------------------------------


def footer_lines(report: Report) -> Iterator[Line]:
    findings = list(report.findings)
    lines: list[Line] = []
    if report.statistics and findings:
        lines += statistics_lines(findings)
    if report.fixed:
        lines.append(fixed_line(report.fixed))
    lines.append(summary_line(report, findings))
    if findings or report.errors or report.fixed:
        yield []
    yield from lines


def statistics_lines(findings: Iterable[Finding]) -> list[Line]:
    """One line per code: count, code, `[*]` if a fix is available, name; most frequent first."""
    counts: Counter[str] = Counter()
    names: dict[str, str] = {}
    fixable: set[str] = set()
    for finding in findings:
        counts[finding.code] += 1
        names.setdefault(finding.code, finding.name)
        if finding.fix is not None:
            fixable.add(finding.code)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    count_width = max(len(str(n)) for _, n in ordered)
    code_width = max(len(code) for code, _ in ordered)
    return [
        [
            (f"{n:>{count_width}}", "bold"),
            ("  ", None),
            (f"{code:<{code_width}}", "bold"),
            ("  ", None),
            ("[*] " if code in fixable else "    ", "cyan"),
            (names[code], None),
        ]
        for code, n in ordered
    ]


def fixed_line(fixed: dict[str, Counter[str]]) -> Line:
    per_code: Counter[str] = Counter()
    for counts in fixed.values():
        per_code.update(counts)
    total = sum(per_code.values())
    detail = ", ".join(f"{n} {code}" for code, n in sorted(per_code.items(), key=lambda i: (-i[1], i[0])))
    files = sum(1 for counts in fixed.values() if sum(counts.values()))
    return [(f"Fixed {_plural(total, 'problem')} ({detail}) in {_plural(files, 'file')}", "bold green")]


def summary_line(report: Report, findings: list[Finding]) -> Line:
    """`Found 12 problems (3 errors, 7 warnings, 2 info) in 4 files; 5 fixable with --fix`."""
    unreadable = len(report.errors)
    if findings:
        counts = severity_counts(findings)
        detail = ", ".join(_severity_count(counts[s], s) for s in SEVERITIES if counts[s])
        files = len({f.path for f in findings})
        text = f"Found {_plural(len(findings), 'problem')} ({detail}) in {_plural(files, 'file')}"
        safe = sum(1 for f in findings if f.fix is not None and f.fix.safety is Safety.SAFE)
        unsafe = sum(1 for f in findings if f.fix is not None and f.fix.safety is not Safety.SAFE)
        if safe:
            text += f"; {safe} fixable with --fix"
        if unsafe:
            text += f"{',' if safe else ';'} {unsafe} {'more ' if safe else ''}with an unsafe fix"
        style = "bold"
    else:
        linted = len(report.results) - unreadable
        text = f"No problems found in {_plural(linted, 'file')}"
        style = "bold green"
    if unreadable:
        text += f"; {_plural(unreadable, 'file')} could not be read"
        style = "bold red"
    return [(text, style)]


def _severity_count(n: int, severity: Severity) -> str:
    if severity in (Severity.ERROR, Severity.WARNING):
        return _plural(n, severity.value)
    return f"{n} {severity.value}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
