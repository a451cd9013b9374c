"""The editor sees what the command line reports: same findings, messages, severities, ranges
and fixes, for real Dockerfiles of the shared corpus, with no settings at all."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from tests.conftest import CORPUS
from tests.lsp.helpers import config, file_uri, open_and_wait

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.filterwarnings("error::pytest_lsp.checks.LspSpecificationWarning"),
]

FILES = [
    "GoogleCloudPlatform__cloud-builders/gke-deploy/Dockerfile",
    "moby__buildkit/Dockerfile",
    "docker-library__python/3.13/slim-bookworm/Dockerfile",
]
SEVERITY = {"error": 1, "warning": 2, "info": 3, "style": 4}


@pytest_lsp.fixture(scope="module", config=config())
async def client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    # The command line's defaults, with ShellCheck off on both sides (it may not be installed).
    params = types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), initialization_options={"dlint": {"shellcheck": False}}
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


def command_line(path: Path) -> list[dict]:  # type: ignore[type-arg]
    run = subprocess.run(
        [sys.executable, "-m", "docklint", "--format", "json", "--no-shellcheck", str(path)],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode in (0, 1), run.stderr
    return list(json.loads(run.stdout)["findings"])


@pytest.mark.parametrize("relative", FILES)
async def test_the_editor_and_the_command_line_agree(client: LanguageClient, relative: str) -> None:
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"corpus file missing: {path}")
    text = path.read_text(encoding="utf-8")
    assert text.isascii()  # so UTF-16 columns are code points plus one
    expected = sorted(
        (f["code"], f["line"] - 1, f["column"] - 1, f["end_line"] - 1, f["end_column"] - 1,
         SEVERITY[f["severity"]], f["message"], json.dumps(f["fix"], sort_keys=True) if f["fix"] else None)
        for f in command_line(path)
    )
    diagnostics = await open_and_wait(client, file_uri(path), text)
    got = sorted(
        (d.code, d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character,
         int(d.severity or 0), d.message, _fix_json(d.data.get("fix")))
        for d in diagnostics
    )
    assert got == expected
    assert len(got) > 0


def _fix_json(fix: dict | None) -> str | None:  # type: ignore[type-arg]
    """Our `Diagnostic.data` fix in the command line's JSON shape (1-based, exclusive ends)."""
    if fix is None:
        return None
    edits = [
        {"line": a + 1, "column": b + 1, "end_line": c + 1, "end_column": d + 1, "text": text}
        for a, b, c, d, text in fix["edits"]
    ]
    return json.dumps({"title": fix["title"], "safety": fix["safety"], "edits": edits}, sort_keys=True)
