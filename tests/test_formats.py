"""The machine-readable formats (json, sarif, checkstyle, gitlab, github, junit) on real lint results.

Reports are built from `lint_text` on small Dockerfiles that fire DL3006 (no fix), DL3020 (safe
fix) and DL3025 (unsafe fix), an unreadable input from `lint_path`, and a synthetic image finding.
Every SARIF document is validated against the SARIF 2.1.0 schema, offline.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from docklint.engine import LintResult, lint_path, lint_text
from docklint.errors import UsageError
from docklint.formats import FORMATS, load, render_to
from docklint.model.source import Pos, Range
from docklint.report import Report
from docklint.rule import Finding, LayerRef, Severity
from tests.conftest import SCHEMAS

SAMPLE = "FROM debian\nADD app/ /srv/app/\nCMD python -m http.server\n"
CLEAN = "FROM alpine:3.20\n"
DIGEST = "sha256:" + "0123456789abcdef" * 4


def image_finding(mapped: bool = False) -> Finding:
    return Finding(
        code="IM201",
        name="secret-file",
        severity=Severity.ERROR,
        message="`id_rsa` is a private key left in the image; delete it in the same step",
        range=Range(Pos(0, 0), Pos(0, 0)),
        path="app.tar",
        image_path="/root/.ssh/id_rsa",
        layer=LayerRef(2, DIGEST),
        history_index=5,
        dockerfile_range=Range(Pos(3, 0), Pos(3, 17)) if mapped else None,
        dockerfile_path="Dockerfile" if mapped else None,
    )


def sample_report(text: str = SAMPLE) -> Report:
    return Report(
        [
            lint_text(text, "Dockerfile"),
            lint_text(CLEAN, "clean/Dockerfile"),
            LintResult("app.tar", [image_finding(), image_finding(mapped=True)]),
            lint_path(Path("missing/Dockerfile")),
        ]
    )


def rendered(name: str, report: Report) -> str:
    out = io.StringIO()
    render_to(name, report, out)
    return out.getvalue()


# --- json ---------------------------------------------------------------------------------


def test_json_contract() -> None:
    document = json.loads(rendered("json", sample_report()))
    assert document["version"] == "1.0.0"
    assert document["errors"] == [{"path": "missing/Dockerfile", "message": "no such file"}]
    tag, add, cmd, image, mapped = document["findings"]
    assert tag == {
        "code": "DL3006",
        "name": "image-tag-missing",
        "severity": "warning",
        "message": "`debian` has no tag, so every build may pull a different image; "
        "pin a version such as `debian:<version>`",
        "path": "Dockerfile",
        "line": 1,
        "column": 6,
        "end_line": 1,
        "end_column": 12,
        "fix": None,
    }
    assert (add["code"], add["line"], add["column"], add["end_line"], add["end_column"]) == ("DL3020", 2, 5, 2, 9)
    assert add["fix"] == {
        "title": "Replace `ADD` with `COPY`",
        "safety": "safe",
        "edits": [{"line": 2, "column": 1, "end_line": 2, "end_column": 4, "text": "COPY"}],
    }
    assert cmd["fix"]["safety"] == "unsafe"
    assert cmd["fix"]["edits"] == [
        {"line": 3, "column": 5, "end_line": 3, "end_column": 26, "text": '["python", "-m", "http.server"]'}
    ]
    assert image["image_path"] == "/root/.ssh/id_rsa"
    assert image["layer"] == {"index": 2, "digest": DIGEST}
    assert image["history_index"] == 5
    assert "dockerfile" not in image
    assert image["message"] == image_finding().message  # the same words; the place is in fields
    assert mapped["dockerfile"] == {"path": "Dockerfile", "line": 4, "column": 1, "end_line": 4, "end_column": 18}
    base_keys = ["code", "name", "severity", "message", "path", "line", "column", "end_line", "end_column", "fix"]
    assert list(tag) == base_keys
    assert list(mapped) == [*base_keys, "image_path", "layer", "history_index", "dockerfile"]


def test_json_without_findings_still_has_every_key() -> None:
    document = json.loads(rendered("json", Report([lint_text(CLEAN, "Dockerfile")])))
    assert document == {"version": "1.0.0", "findings": [], "errors": []}
