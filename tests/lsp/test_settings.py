"""Client settings (section `dlint`): initializationOptions, workspace/configuration per folder in
a multi-root workspace, and workspace/didChangeConfiguration in both push and pull styles."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from tests.lsp.helpers import config, file_uri, open_and_wait, published, recorder

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.filterwarnings("error::pytest_lsp.checks.LspSpecificationWarning"),
]

TEXT = "FROM alpine:3.20\nMAINTAINER Jane Doe\nWORKDIR app\nADD app.py /srv/\n"
SELECT = ["DL3020", "DL4000", "DL3000"]


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("settings-workspace")
    (root / "one").mkdir()
    (root / "two").mkdir()
    return root / "one", root / "two"


@pytest_lsp.fixture(scope="module", config=config())
async def client(lsp_client: LanguageClient, folders: tuple[Path, Path]):  # type: ignore[no-untyped-def]
    one, two = folders
    # What VS Code answers for folder `two`: the merged settings of that scope.
    lsp_client.set_configuration({"select": SELECT, "ignore": ["DL3000"]}, section="dlint", scope_uri=file_uri(two))
    params = types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        initialization_options={"dlint": {"select": SELECT, "failureThreshold": "error"}},
        workspace_folders=[
            types.WorkspaceFolder(uri=file_uri(one), name="one"),
            types.WorkspaceFolder(uri=file_uri(two), name="two"),
        ],
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


def codes(diagnostics: list[types.Diagnostic]) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


async def republished(client: LanguageClient, uri: str, notify: types.DidChangeConfigurationParams) -> list[types.Diagnostic]:
    before = len(recorder(client).published[uri])
    client.workspace_did_change_configuration(notify)
    return list((await published(client, uri, after=before)).diagnostics)


async def test_initialization_options_and_folder_settings(client: LanguageClient, folders: tuple[Path, Path]) -> None:
    one, two = folders
    assert codes(await open_and_wait(client, file_uri(one / "Dockerfile"), TEXT)) == ["DL3000", "DL3020", "DL4000"]
    assert codes(await open_and_wait(client, file_uri(two / "Dockerfile"), TEXT)) == ["DL3020", "DL4000"]
    assert not [m for m in client.messages if "failureThreshold" in m.message]  # accepted, ignored


async def test_pushed_settings_apply_to_open_documents(client: LanguageClient, folders: tuple[Path, Path]) -> None:
    target = file_uri(folders[0] / "Dockerfile")
    settings = {"dlint": {"select": ["DL3020", "DL3026"], "severity": {"DL3020": "info"}, "trustedRegistries": ["ghcr.io"]}}
    diagnostics = await republished(client, target, types.DidChangeConfigurationParams(settings=settings))
    assert [(d.code, d.severity) for d in sorted(diagnostics, key=lambda d: str(d.code))] == [
        ("DL3020", types.DiagnosticSeverity.Information),
        ("DL3026", types.DiagnosticSeverity.Error),
    ]
    assert "`docker.io`, which is not among the trusted registries (`ghcr.io`)" in next(
        d.message for d in diagnostics if d.code == "DL3026"
    )


async def test_pulled_settings_can_turn_dlint_off(client: LanguageClient, folders: tuple[Path, Path]) -> None:
    target = file_uri(folders[0] / "Dockerfile")
    client.set_configuration({"enable": False}, section="dlint")
    diagnostics = await republished(client, target, types.DidChangeConfigurationParams(settings=None))
    assert len(diagnostics) == 0
    client.set_configuration({"select": SELECT}, section="dlint")
    diagnostics = await republished(client, target, types.DidChangeConfigurationParams(settings={"other": 1}))
    assert codes(diagnostics) == ["DL3000", "DL3020", "DL4000"]


async def test_bad_settings_are_reported_not_fatal(client: LanguageClient, folders: tuple[Path, Path]) -> None:
    target = file_uri(folders[0] / "Dockerfile")
    settings = {"dlint": {"select": ["DL3020"], "ignroe": ["DL3020"], "shellcheck": "yes"}}
    diagnostics = await republished(client, target, types.DidChangeConfigurationParams(settings=settings))
    assert len(diagnostics) > 0  # linted without the broken settings
    logged = [(m.type, m.message) for m in client.log_messages]
    assert (types.MessageType.Warning, "dlint: unknown setting 'dlint.ignroe' (did you mean 'ignore'?)") in logged
    shown = [m.message for m in client.messages if m.type == types.MessageType.Error]
    assert "dlint: ignoring the editor settings: editor settings (dlint): 'shellcheck' must be true or false, not 'yes'" in shown

