"""Pull diagnostics (textDocument/diagnostic, workspace/diagnostic) for clients that declare them."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from tests.lsp.helpers import close, config, file_uri, open_and_wait, published, recorder, summary

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.filterwarnings("error::pytest_lsp.checks.LspSpecificationWarning"),
]

TEXT = "FROM alpine:3.20\nWORKDIR app\nADD app.py /srv/\n"
SELECT = ["DL3020", "DL3000"]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pull-workspace")
    (root / "svc").mkdir()
    (root / "svc" / "Dockerfile").write_text("FROM alpine:3.20\nADD x /y/\n", encoding="utf-8")
    (root / "node_modules" / "pkg").mkdir(parents=True)
    (root / "node_modules" / "pkg" / "Dockerfile").write_text("ADD x /y/\n", encoding="utf-8")
    (root / "README.md").write_text("ADD x /y/\n", encoding="utf-8")
    return root


@pytest_lsp.fixture(scope="module", config=config())
async def client(lsp_client: LanguageClient, workspace: Path):  # type: ignore[no-untyped-def]
    params = types.InitializeParams(
        capabilities=client_capabilities("neovim@v0.11.0"),
        initialization_options={"dlint": {"select": SELECT}},
        workspace_folders=[types.WorkspaceFolder(uri=file_uri(workspace), name="ws")],
    )
    result = await lsp_client.initialize_session(params)
    lsp_client.server_capabilities = result.capabilities  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


async def pull(client: LanguageClient, uri: str, previous: str | None = None) -> types.DocumentDiagnosticReport:
    params = types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri), previous_result_id=previous)
    return await client.text_document_diagnostic_async(params)


async def test_pull_is_offered_to_clients_that_declare_it(client: LanguageClient) -> None:
    provider = client.server_capabilities.diagnostic_provider  # type: ignore[attr-defined]
    assert isinstance(provider, types.DiagnosticOptions)
    assert provider.identifier == "dlint" and provider.workspace_diagnostics and not provider.inter_file_dependencies


async def test_a_pulled_document_is_no_longer_pushed(client: LanguageClient, workspace: Path) -> None:
    target = file_uri(workspace / "pulled" / "Dockerfile")
    pushed = await open_and_wait(client, target, TEXT)  # pushed until the client pulls
    assert summary(pushed) == [("DL3000", 1, 8, 1, 11), ("DL3020", 2, 4, 2, 10)]
    count = len(recorder(client).published[target])
    report = await pull(client, target)
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    assert summary(report.items) == summary(pushed) and report.result_id
    cleared = await published(client, target, after=count)  # the pushed set is withdrawn once
    assert len(cleared.diagnostics) == 0
    unchanged = await pull(client, target, previous=report.result_id)
    assert isinstance(unchanged, types.RelatedUnchangedDocumentDiagnosticReport)
    assert unchanged.result_id == report.result_id
    count = len(recorder(client).published[target])
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=target, version=2),
            [types.TextDocumentContentChangeWholeDocument(text="FROM alpine:3.20\n")],
        )
    )
    fresh = await pull(client, target, previous=report.result_id)
    assert isinstance(fresh, types.RelatedFullDocumentDiagnosticReport) and len(fresh.items) == 0
    assert fresh.result_id != report.result_id
    assert len(recorder(client).published[target]) == count  # nothing pushed for version 2
    close(client, target)


async def test_pulling_a_document_that_is_not_open(client: LanguageClient, workspace: Path) -> None:
    report = await pull(client, file_uri(workspace / "nowhere" / "Dockerfile"))
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport) and len(report.items) == 0


async def test_workspace_diagnostics_cover_open_documents_and_files_on_disk(client: LanguageClient, workspace: Path) -> None:
    target = file_uri(workspace / "open" / "Dockerfile")
    await open_and_wait(client, target, TEXT)
    result = await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[]))
    reports = {item.uri: item for item in result.items}
    disk = file_uri(workspace / "svc" / "Dockerfile")
    assert set(reports) == {target, disk}  # node_modules and README.md are skipped
    assert reports[target].version == 1 and reports[disk].version is None
    assert summary(reports[disk].items) == [("DL3020", 1, 4, 1, 5)]  # type: ignore[union-attr]
    previous = [types.PreviousResultId(uri=uri, value=item.result_id) for uri, item in reports.items()]
    again = await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=previous))
    assert all(isinstance(item, types.WorkspaceUnchangedDocumentDiagnosticReport) for item in again.items)
