"""The terminal format: finding lines, underlined source, grouping, statistics and summary."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from docklint.config import Config
from docklint.engine import LintResult
from docklint.engine import lint_path as _lint_path
from docklint.engine import lint_text as _lint_text

# The rules these tests were written around; new rules must not change the expected output.
PINNED = Config(select=("DL3006", "DL3020", "DL3024", "DL3025"))


def lint_text(text: str, path: str = "Dockerfile") -> LintResult:
    return _lint_text(text, path, PINNED)


def lint_path(path: Path) -> LintResult:
    return _lint_path(path, PINNED)
from docklint.formats import render_to
from docklint.formats.tty import display
from docklint.report import Report
from tests.test_formats import CLEAN, SAMPLE, image_finding

ROOT = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def tty(report: Report) -> list[str]:
    out = io.StringIO()
    render_to("tty", report, out)
    return out.getvalue().split("\n")


def test_findings_grouped_by_file_with_summary() -> None:
    report = Report(
        [
            lint_text(SAMPLE, "Dockerfile"),
            lint_text(CLEAN, "clean/Dockerfile"),
            lint_text("FROM ubuntu\n", "other/Dockerfile"),
            lint_path(Path("missing/Dockerfile")),
        ]
    )
    assert tty(report) == [
        "Dockerfile:1:6: DL3006 warning `debian` has no tag, so every build may pull a different image; "
        "pin a version such as `debian:<version>` (image-tag-missing)",
        "  1 | FROM debian",
        "    |      ^^^^^^",
        "Dockerfile:2:5: DL3020 [*] error `ADD` of local `app/` does nothing `COPY` cannot, but may also fetch "
        "or unpack; use `COPY` (copy-instead-of-add)",
        "  2 | ADD app/ /srv/app/",
        "    |     ^^^^",
        "Dockerfile:3:5: DL3025 [*] warning `CMD` in shell form runs under `/bin/sh -c`, so the app misses "
        "`docker stop`'s SIGTERM; use the JSON form `CMD [\"executable\", \"arg\"]` (json-args-recommended)",
        "  3 | CMD python -m http.server",
        "    |     ^^^^^^^^^^^^^^^^^^^^^",
        "",
        "other/Dockerfile:1:6: DL3006 warning `ubuntu` has no tag, so every build may pull a different image; "
        "pin a version such as `ubuntu:<version>` (image-tag-missing)",
        "  1 | FROM ubuntu",
        "    |      ^^^^^^",
        "",
        "missing/Dockerfile: error: no such file",
        "",
        "Found 4 problems (1 error, 3 warnings) in 2 files; 1 fixable with --fix, 1 more with an unsafe fix; "
        "1 file could not be read",
        "",
    ]


def test_crlf_and_wide_characters_underline_the_right_cells() -> None:
    text = "FROM alpine:3.20\r\nADD --chown=ü日 app/ /x/\r\nCMD python \\\r\n  -m http.server\r\n"
    lines = tty(Report([lint_text(text, "crlf/Dockerfile")]))
    assert lines[0].startswith("crlf/Dockerfile:2:16: DL3020 [*] error ")  # columns count code points
    assert lines[1:3] == [
        "  2 | ADD --chown=ü日 app/ /x/",
        "    |                 ^^^^",  # `日` takes two cells, so the carets sit one further right
    ]
    assert lines[3].startswith("crlf/Dockerfile:3:5: DL3025 [*] warning ")
    assert lines[4:6] == [
        "  3 | CMD python \\",
        "    |     ^^^^^^^^",  # a range over several lines is underlined to the end of its first
    ]
    assert not any("\r" in line for line in lines)


def test_display_widths() -> None:
    assert display("a\tb") == ("a    b", [1, 4, 1])
    assert display("e\u0301x") == ("e\u0301x", [1, 0, 1])
    assert display("\x1b[31m") == ("\u241b[31m", [1, 1, 1, 1, 1])
    assert display("a\u202eb") == ("a<U+202E>b", [1, 8, 1])
    assert display("日本") == ("日本", [2, 2])


def test_control_characters_never_reach_the_terminal() -> None:
    finding = lint_text(SAMPLE, "Dockerfile").findings[0]
    nasty = finding.with_(message="evil \x1b[2J\nfake: line", path="a\x1bb")
    lines = tty(Report([LintResult("a\x1bb", [nasty], source_text=SAMPLE)]))
    assert lines[0] == "a\u241bb:1:6: DL3006 warning evil \u241b[2J\u240afake: line (image-tag-missing)"
    assert not any("\x1b" in line for line in lines)


def test_image_findings_show_the_place_in_the_image() -> None:
    report = Report([LintResult("app.tar", [image_finding(), image_finding(mapped=True)])])
    message = image_finding().message
    assert tty(report) == [
        f"app.tar: IM201 error {message} (secret-file)",
        "  = image: /root/.ssh/id_rsa, layer 2 (sha256:0123456789ab), history entry 5",
        f"app.tar: IM201 error {message} (secret-file)",
        "  = image: /root/.ssh/id_rsa, layer 2 (sha256:0123456789ab), history entry 5",
        "  = dockerfile: Dockerfile:4:1",
        "",
        "Found 2 problems (2 errors) in 1 file",
        "",
    ]


def test_statistics_most_frequent_first() -> None:
    report = Report(
        [lint_text(SAMPLE, "Dockerfile"), lint_text("FROM ubuntu\nADD a b\n", "b/Dockerfile")],
        statistics=True,
    )
    lines = tty(report)
    start = lines.index("2  DL3006      image-tag-missing")
    assert lines[start:] == [
        "2  DL3006      image-tag-missing",
        "2  DL3020  [*] copy-instead-of-add",
        "1  DL3025  [*] json-args-recommended",
        "Found 5 problems (2 errors, 3 warnings) in 2 files; 2 fixable with --fix, 1 more with an unsafe fix",
        "",
    ]


def test_clean_runs_and_fixed_counts() -> None:
    assert tty(Report([lint_text(CLEAN, "a"), lint_text(CLEAN, "b")])) == ["No problems found in 2 files", ""]
    fixed = {"Dockerfile": Counter({"DL3020": 2, "DL4000": 1}), "b/Dockerfile": Counter({"DL3020": 1})}
    assert tty(Report([lint_text(CLEAN, "Dockerfile")], fixed=fixed)) == [
        "",
        "Fixed 4 problems (3 DL3020, 1 DL4000) in 2 files",
        "No problems found in 1 file",
        "",
    ]


def test_color_output_has_the_same_text() -> None:
    report = Report([lint_text(SAMPLE, "Dockerfile")], statistics=True)
    plain = tty(report)
    report.color = True
    colored = tty(report)
    assert any("\x1b[" in line for line in colored)
    assert [ANSI.sub("", line) for line in colored] == plain


def _modules_after_render(color: bool) -> list[str]:
    code = f"""
import io, sys
from docklint.engine import lint_text
from docklint.report import Report
from docklint.formats import render_to
render_to("tty", Report([lint_text({SAMPLE!r}, "Dockerfile")], color={color}, statistics=True), io.StringIO())
print(",".join(sorted(m for m in sys.modules if m == "rich" or m.startswith("rich."))))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return [m for m in done.stdout.strip().split(",") if m]


def test_plain_tty_never_imports_rich() -> None:
    assert _modules_after_render(color=False) == []
    assert "rich.console" in _modules_after_render(color=True)  # the check can see rich
