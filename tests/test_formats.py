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


def test_every_format_loads_and_unknown_names_fail() -> None:
    assert set(FORMATS) == {"tty", "json", "sarif", "checkstyle", "gitlab", "github", "junit"}
    for name in FORMATS:
        assert callable(load(name).render)
    with pytest.raises(UsageError, match=r"unknown format 'sarf' \(choose from tty, json, sarif"):
        load("sarf")


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


# --- sarif --------------------------------------------------------------------------------


@cache
def sarif_validator() -> Any:
    from jsonschema.validators import validator_for

    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)  # every $ref is internal ("#/definitions/..."): no network


def sarif(report: Report) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(rendered("sarif", report))
    errors = sorted(sarif_validator().iter_errors(document), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    return document


def test_sarif_run_rules_and_results() -> None:
    run = sarif(sample_report())["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == Path.cwd().as_uri().rstrip("/") + "/"
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["informationUri"]) == ("dlint", "https://dlint.dev")
    assert [r["id"] for r in driver["rules"]] == ["DL3006", "DL3020", "DL3025", "IM201"]
    tag = driver["rules"][0]
    assert tag["name"] == "image-tag-missing"
    assert tag["shortDescription"]["text"] == "FROM names an image without a tag"
    assert tag["fullDescription"]["text"].startswith("Without a tag Docker pulls `latest`")
    assert tag["helpUri"] == "https://dlint.dev/rules/DL3006"
    assert tag["defaultConfiguration"] == {"level": "warning", "enabled": True}
    assert tag["properties"]["tags"] == ["base"]
    assert "```dockerfile\nFROM debian\n```" in tag["help"]["markdown"]
    assert "Instead\n    FROM debian:12.7-slim" in tag["help"]["text"]
    assert driver["rules"][1]["defaultConfiguration"]["level"] == "error"
    assert "### Fix\n\nSafe:" in driver["rules"][1]["help"]["markdown"]

    results = run["results"]
    for result in results:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("DL3006", "warning"), ("DL3020", "error"), ("DL3025", "warning"), ("IM201", "error"), ("IM201", "error"),
    ]  # fmt: skip
    location = results[0]["locations"][0]["physicalLocation"]
    assert location == {
        "artifactLocation": {"uri": "Dockerfile", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 1, "startColumn": 6, "endLine": 1, "endColumn": 12},
    }
    assert "fixes" not in results[0]
    assert results[1]["fixes"] == [
        {
            "description": {"text": "Replace `ADD` with `COPY`"},
            "artifactChanges": [
                {
                    "artifactLocation": {"uri": "Dockerfile", "uriBaseId": "%SRCROOT%"},
                    "replacements": [
                        {
                            "deletedRegion": {"startLine": 2, "startColumn": 1, "endLine": 2, "endColumn": 4},
                            "insertedContent": {"text": "COPY"},
                        }
                    ],
                }
            ],
            "properties": {"safety": "safe"},
        }
    ]
    assert results[2]["fixes"][0]["properties"] == {"safety": "unsafe"}


def test_sarif_image_findings_and_unreadable_inputs() -> None:
    run = sarif(sample_report())["runs"][0]
    image, mapped = run["results"][3:]
    assert image["locations"] == [{"physicalLocation": {"artifactLocation": {"uri": "app.tar", "uriBaseId": "%SRCROOT%"}}}]
    assert image["properties"] == {"imagePath": "/root/.ssh/id_rsa", "layer": {"index": 2, "digest": DIGEST}, "historyIndex": 5}
    assert image["message"]["text"].endswith(
        "[image: /root/.ssh/id_rsa, layer 2 (sha256:0123456789ab), history entry 5]"
    )
    assert mapped["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 4, "startColumn": 1, "endLine": 4, "endColumn": 18,
    }  # fmt: skip
    assert mapped["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "Dockerfile"
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    [notification] = invocation["toolExecutionNotifications"]
    assert notification["message"]["text"] == "no such file"
    assert notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "missing/Dockerfile"


def test_sarif_fingerprints_survive_lines_inserted_above() -> None:
    def fingerprints(text: str) -> list[tuple[str, int, str]]:
        run = sarif(Report([lint_text(text, "Dockerfile")]))["runs"][0]
        return [
            (
                r["ruleId"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"],
                r["partialFingerprints"]["dlint/v1"],
            )
            for r in run["results"]
        ]

    before = fingerprints(SAMPLE)
    after = fingerprints("# syntax=docker/dockerfile:1\n\n# build the app\n" + SAMPLE)
    assert [line for _, line, _ in after] == [line + 3 for _, line, _ in before]
    assert [(code, fp) for code, _, fp in after] == [(code, fp) for code, _, fp in before]
    assert len({fp for _, _, fp in before}) == 3
    # The same text flagged twice in one file: told apart by occurrence, still line-free.
    twice = fingerprints("FROM debian AS a\nFROM debian AS b\n")
    assert [fp.rsplit(":", 1)[1] for _, _, fp in twice] == ["1", "2"]
    assert len({fp.rsplit(":", 1)[0] for _, _, fp in twice}) == 1
    # A change in the flagged text is a different finding.
    assert fingerprints(SAMPLE.replace("debian", "ubuntu"))[0][2] != before[0][2]


def test_sarif_absolute_and_odd_paths(tmp_path: Path) -> None:
    absolute = tmp_path / "my app" / "Dockerfile"
    report = Report([lint_text(SAMPLE, str(absolute)), lint_text(SAMPLE, "./dir with space/Dockerfile")])
    run = sarif(report)["runs"][0]
    first = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert first == {"uri": absolute.as_uri()}
    last = run["results"][-1]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert last == {"uri": "dir%20with%20space/Dockerfile", "uriBaseId": "%SRCROOT%"}
    assert run["invocations"] == [{"executionSuccessful": True}]


def test_sarif_of_a_clean_run_is_valid() -> None:
    run = sarif(Report([lint_text(CLEAN, "Dockerfile")]))["runs"][0]
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []


# --- checkstyle ---------------------------------------------------------------------------


def test_checkstyle_structure() -> None:
    root = ET.fromstring(rendered("checkstyle", sample_report()))
    assert (root.tag, root.attrib) == ("checkstyle", {"version": "4.3"})
    files = [(f.get("name"), [dict(e.attrib) for e in f]) for f in root]
    names = [name for name, _ in files]
    assert names == ["Dockerfile", "clean/Dockerfile", "app.tar", "missing/Dockerfile"]
    dockerfile = files[0][1]
    assert [(e["line"], e["column"], e["severity"], e["source"]) for e in dockerfile] == [
        ("1", "6", "warning", "dlint.DL3006"),
        ("2", "5", "error", "dlint.DL3020"),
        ("3", "5", "warning", "dlint.DL3025"),
        ("4", "1", "error", "dlint.IM201"),  # the image finding mapped to the Dockerfile
    ]
    assert dockerfile[0]["message"].endswith("pin a version such as `debian:<version>`")
    assert files[1][1] == []  # a clean file is listed, without errors
    assert files[2][1] == [
        {
            "line": "1",
            "severity": "error",
            "message": image_finding().message + " [image: /root/.ssh/id_rsa, layer 2 (sha256:0123456789ab), history entry 5]",
            "source": "dlint.IM201",
        }
    ]
    assert files[3][1] == [{"line": "1", "severity": "error", "message": "no such file", "source": "dlint.input-error"}]


def test_xml_formats_escape_what_xml_cannot_hold() -> None:
    nasty = 'a <b> & "c" \'d\'\nnext\tline \x01\x1b end'
    finding = image_finding().with_(message=nasty, path='we"ird<&>.tar', image_path=None, layer=None)
    report = Report([LintResult('we"ird<&>.tar', [finding])])
    checkstyle = ET.fromstring(rendered("checkstyle", report))
    assert checkstyle[0].get("name") == 'we"ird<&>.tar'
    message = checkstyle[0][0].get("message")
    assert message == 'a <b> & "c" \'d\'\nnext\tline \ufffd\ufffd end [image: history entry 5]'
    junit = ET.fromstring(rendered("junit", report))
    [failure] = junit.iter("failure")
    assert failure.get("message") == "IM201 " + message
    assert failure.text == f'we"ird<&>.tar: IM201 error {message} (secret-file)'


# --- gitlab -------------------------------------------------------------------------------


def test_gitlab_code_quality() -> None:
    issues = json.loads(rendered("gitlab", sample_report()))
    assert [i["check_name"] for i in issues] == ["DL3006", "DL3020", "DL3025", "IM201", "IM201", "input-error"]
    assert [i["severity"] for i in issues] == ["major", "critical", "major", "critical", "critical", "critical"]
    assert issues[0] == {
        "type": "issue",
        "check_name": "DL3006",
        "description": "`debian` has no tag, so every build may pull a different image; "
        "pin a version such as `debian:<version>`",
        "categories": ["Security"],
        "fingerprint": issues[0]["fingerprint"],
        "severity": "major",
        "location": {"path": "Dockerfile", "positions": {"begin": {"line": 1, "column": 6}, "end": {"line": 1, "column": 12}}},
    }
    assert issues[1]["categories"] == ["Bug Risk"]
    assert issues[3]["location"] == {"path": "app.tar", "lines": {"begin": 1}}
    assert issues[4]["location"]["path"] == "Dockerfile"
    assert issues[5]["location"] == {"path": "missing/Dockerfile", "lines": {"begin": 1}}
    fingerprints = [i["fingerprint"] for i in issues]
    assert len(set(fingerprints)) == len(fingerprints)
    assert all(len(fp) == 32 and int(fp, 16) >= 0 for fp in fingerprints)
    moved = json.loads(rendered("gitlab", sample_report("\n\n" + SAMPLE)))
    assert [i["fingerprint"] for i in moved] == fingerprints
    assert moved[0]["location"]["positions"]["begin"]["line"] == 3


def test_gitlab_fingerprints_unique_for_repeated_text() -> None:
    issues = json.loads(rendered("gitlab", Report([lint_text("FROM debian AS a\nFROM debian AS b\n", "Dockerfile")])))
    assert len({i["fingerprint"] for i in issues}) == 2


# --- github -------------------------------------------------------------------------------


def test_github_workflow_commands() -> None:
    lines = rendered("github", sample_report()).splitlines()
    assert lines == [
        "::warning file=Dockerfile,line=1,col=6,endLine=1,endColumn=12,title=DL3006 image-tag-missing::"
        "`debian` has no tag, so every build may pull a different image; pin a version such as `debian:<version>`",
        "::error file=Dockerfile,line=2,col=5,endLine=2,endColumn=9,title=DL3020 copy-instead-of-add::"
        "`ADD` of local `app/` does nothing `COPY` cannot, but may also fetch or unpack; use `COPY`",
        "::warning file=Dockerfile,line=3,col=5,endLine=3,endColumn=26,title=DL3025 json-args-recommended::"
        "`CMD` in shell form runs under `/bin/sh -c`, so the app misses `docker stop`'s SIGTERM; "
        'use the JSON form `CMD ["executable", "arg"]`',
        "::error file=app.tar,title=IM201 secret-file::" + image_finding().message
        + " [image: /root/.ssh/id_rsa, layer 2 (sha256:0123456789ab), history entry 5]",
        "::error file=Dockerfile,line=4,col=1,endLine=4,endColumn=18,title=IM201 secret-file::"
        + image_finding().message + " [image: /root/.ssh/id_rsa, layer 2 (sha256:0123456789ab), history entry 5]",
        "::error file=missing/Dockerfile,title=dlint%3A input error::no such file",
    ]  # fmt: skip


def test_github_escaping_and_multi_line_ranges() -> None:
    result = lint_text("FROM alpine:3.20\nCMD python \\\n  -m http.server\n", "dir:a,b/Docker%file")
    [finding] = result.findings
    weird = finding.with_(message="100% sure: a, b\r\nsecond line", severity=Severity.INFO)
    [line] = rendered("github", Report([LintResult(result.path, [weird])])).splitlines()
    assert line == (
        "::notice file=dir%3Aa%2Cb/Docker%25file,line=2,endLine=3,title=DL3025 json-args-recommended::"
        "100%25 sure: a, b%0D%0Asecond line"
    )


# --- junit --------------------------------------------------------------------------------


def test_junit_one_case_per_file() -> None:
    root = ET.fromstring(rendered("junit", sample_report()))
    assert root.tag == "testsuites"
    [suite] = root
    expected_counts = {"tests": "4", "failures": "2", "errors": "1"}
    assert {k: suite.get(k) for k in expected_counts} == expected_counts
    assert {k: root.get(k) for k in expected_counts} == expected_counts
    cases = list(suite)
    assert [c.get("name") for c in cases] == ["Dockerfile", "clean/Dockerfile", "app.tar", "missing/Dockerfile"]
    assert [[child.tag for child in c] for c in cases] == [
        ["failure", "failure", "failure"], [], ["failure", "failure"], ["error"],
    ]  # fmt: skip
    first = cases[0][0]
    assert first.get("type") == "DL3006"
    assert first.get("message") == (
        "1:6: DL3006 `debian` has no tag, so every build may pull a different image; "
        "pin a version such as `debian:<version>`"
    )
    assert first.text == (
        "Dockerfile:1:6: DL3006 warning `debian` has no tag, so every build may pull a different image; "
        "pin a version such as `debian:<version>` (image-tag-missing)"
    )
    assert cases[2][1].text is not None and cases[2][1].text.startswith("Dockerfile:4:1: IM201 error ")
    assert (cases[3][0].get("type"), cases[3][0].get("message")) == ("input-error", "no such file")


def test_formats_keep_the_report_order() -> None:
    report = sample_report()
    report.results.reverse()
    assert [c.get("name") for c in ET.fromstring(rendered("junit", report)).iter("testcase")] == [
        "missing/Dockerfile", "app.tar", "clean/Dockerfile", "Dockerfile",
    ]  # fmt: skip
    codes = [f["code"] for f in json.loads(rendered("json", report))["findings"]]
    assert codes == ["IM201", "IM201", "DL3006", "DL3020", "DL3025"]
