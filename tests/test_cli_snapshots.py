"""What users see: `dlint` run as a subprocess on `tests/data/`, one text snapshot per command.

Each snapshot holds the command line, the exit status, stdout and stderr. Commands run in
`tests/data/` with relative paths; the absolute path of that folder is replaced by `<data>` and
carriage returns are shown as `<CR>`, so snapshots depend neither on the machine nor on the
platform's line ends. `tests/data/.dlint.yaml` selects the foundation rules only, so rules added
later do not churn these files. Update after a reviewed change: `pytest tests/test_cli_snapshots.py
--snapshot-update`.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from tests.conftest import SCHEMAS

DATA = Path(__file__).parent / "data"
FORMATS = ("tty", "json", "sarif", "checkstyle", "gitlab", "github", "junit")


class TextSnapshot(SingleFileSnapshotExtension):
    """One `.txt` file per snapshot under `tests/snapshots/<test module>/`."""

    _write_mode = WriteMode.TEXT
    file_extension = "txt"

    @classmethod
    def dirname(cls, *, test_location: Any) -> str:
        return str(Path(test_location.filepath).parent / "snapshots" / test_location.basename)


@pytest.fixture
def snapshot_text(snapshot: Any) -> Any:
    return snapshot.use_extension(TextSnapshot)


def env() -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DLINT_", "FORCE_COLOR"))}
    clean.update(NO_COLOR="1", COLUMNS="100", PYTHONIOENCODING="utf-8")
    return clean


def run(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "docklint", *args],
        cwd=DATA,
        input=stdin if stdin is not None else b"",
        capture_output=True,
        env=env(),
        timeout=120,
    )
    return proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")


def transcript(args: tuple[str, ...], status: int, out: str, err: str) -> str:
    def clean(text: str) -> str:
        return text.replace(str(DATA.resolve()), "<data>").replace(str(DATA), "<data>").replace("\r", "<CR>")

    return (
        f"$ dlint {shlex.join(args)}\n"
        f"exit status: {status}\n"
        f"--- stdout\n{clean(out)}"
        f"{'' if not out or out.endswith(chr(10)) else chr(10)}"
        f"--- stderr\n{clean(err)}"
    )


def check(snapshot_text: Any, *args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    status, out, err = run(*args, stdin=stdin)
    assert transcript(args, status, out, err) == snapshot_text
    return status, out, err


@pytest.mark.parametrize("fmt", FORMATS)
def test_format(snapshot_text: Any, fmt: str) -> None:
    status, out, _ = check(snapshot_text, "--format", fmt, "project")
    assert status == 1
    if fmt == "sarif":
        jsonschema = pytest.importorskip("jsonschema")
        schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
        jsonschema.validate(json.loads(out), schema)
    if fmt in ("json", "gitlab"):
        json.loads(out)


def test_statistics(snapshot_text: Any) -> None:
    check(snapshot_text, "--statistics", "project")


def test_fix_diff(snapshot_text: Any) -> None:
    before = (DATA / "fix" / "Dockerfile").read_bytes()
    status, _, _ = check(snapshot_text, "--fix", "--diff", "fix/Dockerfile")
    assert status == 1
    assert (DATA / "fix" / "Dockerfile").read_bytes() == before  # --diff writes nothing


def test_config_error(snapshot_text: Any) -> None:
    status, out, err = check(snapshot_text, "bad-config")
    assert status == 2 and out == "" and len(err.splitlines()) == 1


def test_unreadable_file(snapshot_text: Any) -> None:
    status, _, _ = check(snapshot_text, "project/clean", "unreadable/Dockerfile", "missing/Dockerfile")
    assert status == 2


def test_unreadable_file_json(snapshot_text: Any) -> None:
    status, out, err = check(snapshot_text, "--format", "json", "unreadable/Dockerfile", "project/services")
    assert status == 2
    assert [e["path"] for e in json.loads(out)["errors"]] == ["unreadable/Dockerfile"]


def test_stdin(snapshot_text: Any) -> None:
    text = (DATA / "project" / "services" / "api.Dockerfile").read_bytes()
    check(snapshot_text, "--stdin-filename", "project/services/api.Dockerfile", "-", stdin=text)


def test_explain(snapshot_text: Any) -> None:
    status, _, _ = check(snapshot_text, "explain", "DL3020")
    assert status == 0


def test_explain_unknown(snapshot_text: Any) -> None:
    status, _, _ = check(snapshot_text, "explain", "copy-insted-of-add")
    assert status == 2


def test_rules(snapshot_text: Any) -> None:
    codes = "DL3000,DL3002,DL3006,DL3007,DL3020,DL3024,DL3025,DL4000"
    status, _, _ = check(snapshot_text, "rules", codes, "--ignore", "DL3025")
    assert status == 0


def test_usage_error(snapshot_text: Any) -> None:
    status, out, err = check(snapshot_text, "--format", "sarf", "project")
    assert status == 2 and out == "" and len(err.splitlines()) == 1
