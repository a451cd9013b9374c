"""The diagnostics pushed as hand-built JSON equal what lsprotocol's converter makes of them.

`convert.diagnostic_json` skips lsprotocol objects and cattrs for speed; it must give the same
JSON as `convert.diagnostic` unstructured by pygls' converter, for every field (fixes, tags,
links, severities) and in every position encoding (non-ASCII lines, positions past the end).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.protocol import default_converter

from docklint.engine import lint_text, read_text
from docklint.lsp.convert import Positions, diagnostics, diagnostics_json
from docklint.model.source import Pos, Range, Source
from docklint.rule import Finding, Fix, Severity, TextEdit

from ..conftest import corpus_files

ENCODINGS = [types.PositionEncodingKind.Utf16, types.PositionEncodingKind.Utf8, types.PositionEncodingKind.Utf32]
TEXT = (
    "FROM alpine:3.20\nMAINTAINER Jöhn 😀 Doe\nWORKDIR app\nADD app.py /srv/\n"
    "RUN apt-get install curl && echo 'ünïcode 😀' | grep x\nENV PASSWORD=hunter2hunter2\n"
)


def _same(text: str, path: str, findings: list[Finding]) -> None:
    converter = default_converter()
    source = Source(text)
    assert findings
    for encoding in ENCODINGS:
        positions = Positions(source, encoding)
        expected = [converter.unstructure(d) for d in diagnostics(findings, positions, 7)]
        assert diagnostics_json(findings, positions, 7) == expected, (path, encoding)


def test_wire_json_equals_converter_json() -> None:
    result = lint_text(TEXT, "Dockerfile")
    extra = Finding(
        code="SC2086", name="shellcheck", severity=Severity.INFO, message="m",
        range=Range(Pos(40, 3), Pos(41, 0)), path="Dockerfile",
        fix=Fix.safe("t", TextEdit(Range(Pos(1, 0), Pos(1, 2)), "x")),
    )
    _same(TEXT, "Dockerfile", [*result.findings, extra])
    assert any(f.fix is not None for f in result.findings)


@pytest.mark.parametrize("index", range(0, 1800, 150))
def test_wire_json_on_corpus_files(index: int) -> None:
    files = corpus_files()
    if not files:
        pytest.skip("no corpus")
    path: Path = files[index % len(files)]
    text = read_text(path)
    findings = lint_text(text, str(path)).findings
    if findings:
        _same(text, str(path), findings)
