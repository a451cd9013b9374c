"""Config files per document, reloaded on workspace/didChangeWatchedFiles (watcher registered
dynamically), and what a broken config file does to a session."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from tests.lsp.helpers import config, file_uri, open_and_wait, published, recorder, wait_for

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.filterwarnings("error::pytest_lsp.checks.LspSpecificationWarning"),
]

TEXT = "FROM alpine:3.20\nMAINTAINER Jane Doe\nWORKDIR app\nADD app.py /srv/\n"
SELECT = ["DL3020", "DL4000", "DL3000"]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("config-workspace")
    for name in ("plain", "dlint/sub", "pyproject", "hadolint", "reload", "broken"):
        (root / name).mkdir(parents=True)
    (root / "dlint/.dlint.yaml").write_text("ignore: [DL3020]\n", encoding="utf-8")
    (root / "pyproject/pyproject.toml").write_text('[tool.dlint]\nignore = ["DL4000"]\n', encoding="utf-8")
    (root / "hadolint/.hadolint.yaml").write_text("ignored:\n  - DL3000\n", encoding="utf-8")
    (root / "broken/.dlint.yaml").write_text("ignroed: [DL3020]\n", encoding="utf-8")
    return root


@pytest_lsp.fixture(scope="module", config=config())
async def client(lsp_client: LanguageClient, workspace: Path):  # type: ignore[no-untyped-def]
    params = types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        initialization_options={"dlint": {"select": SELECT}},
        workspace_folders=[types.WorkspaceFolder(uri=file_uri(workspace), name="workspace")],
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


def codes(diagnostics: list[types.Diagnostic]) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


async def test_the_config_file_watcher_is_registered_dynamically(client: LanguageClient) -> None:
    found = await wait_for(lambda: recorder(client).registrations, what="client/registerCapability")
    (registration,) = found
    assert registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    globs = [w["globPattern"] for w in registration.register_options["watchers"]]  # type: ignore[index]
    assert globs == ["**/.dlint.yaml", "**/.dlint.yml", "**/pyproject.toml", "**/.hadolint.yaml", "**/.hadolint.yml"]


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("plain", ["DL3000", "DL3020", "DL4000"]),
        ("dlint", ["DL3000", "DL4000"]),
        ("dlint/sub", ["DL3000", "DL4000"]),  # the nearest config file, walking up
        ("pyproject", ["DL3000", "DL3020"]),
        ("hadolint", ["DL3020", "DL4000"]),
    ],
)
async def test_each_document_gets_its_nearest_config_file(
    client: LanguageClient, workspace: Path, folder: str, expected: list[str]
) -> None:
    diagnostics = await open_and_wait(client, file_uri(workspace / folder / "Dockerfile"), TEXT)
    assert codes(diagnostics) == expected


async def test_a_changed_config_file_is_read_again(client: LanguageClient, workspace: Path) -> None:
    target = file_uri(workspace / "reload" / "Dockerfile")
    assert codes(await open_and_wait(client, target, TEXT)) == ["DL3000", "DL3020", "DL4000"]
    config_file = workspace / "reload" / ".dlint.yaml"
    config_file.write_text("ignore: [DL3000, DL4000]\n", encoding="utf-8")
    before = len(recorder(client).published[target])
    event = types.FileEvent(uri=file_uri(config_file), type=types.FileChangeType.Created)
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[event]))
    params = await published(client, target, version=1, after=before)
    assert codes(list(params.diagnostics)) == ["DL3020"]
    # A file the server does not read is not a reason to lint again.
    before = len(recorder(client).published[target])
    other = types.FileEvent(uri=file_uri(workspace / "reload" / "notes.txt"), type=types.FileChangeType.Changed)
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[other]))
    await open_and_wait(client, file_uri(workspace / "plain" / "Other.Dockerfile"), TEXT)  # a later round trip
    assert len(recorder(client).published[target]) == before


async def test_a_broken_config_file_is_reported_and_linting_goes_on(client: LanguageClient, workspace: Path) -> None:
    diagnostics = await open_and_wait(client, file_uri(workspace / "broken" / "Dockerfile"), TEXT)
    assert codes(diagnostics) == ["DL3000", "DL3020", "DL4000"]  # editor settings still apply
    shown = [m.message for m in client.messages if m.type == types.MessageType.Error]
    assert any("unknown key 'ignroed' (did you mean 'ignore'?)" in m and ".dlint.yaml:1" in m for m in shown), shown
