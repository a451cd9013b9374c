"""Push diagnostics over a real stdio session: ranges, fields, versions, coalescing, close."""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from tests.lsp.helpers import change, close, config, open_and_wait, open_document, published, recorder, rng, summary

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.filterwarnings("error::pytest_lsp.checks.LspSpecificationWarning"),
]

CLIENTS = ["visual-studio-code", "neovim@v0.7.0", "neovim@v0.11.0", "emacs"]
SELECT = ["DL3020", "DL4000", "DL3000", "RT101", "RT158"]
TEXT = "FROM alpine:3.20\nMAINTAINER Jane Doe\nWORKDIR app\nADD app.py /srv/\n"
EXPECTED = [
    ("DL4000", 1, 0, 1, 10),
    ("DL3000", 2, 8, 2, 11),
    ("DL3020", 3, 4, 3, 10),
]


@pytest_lsp.fixture(scope="module", params=CLIENTS, config=config())
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    params = types.InitializeParams(
        capabilities=client_capabilities(request.param),
        initialization_options={"dlint": {"select": SELECT}},
    )
    result = await lsp_client.initialize_session(params)
    lsp_client.server_capabilities = result.capabilities  # type: ignore[attr-defined]
    lsp_client.client_name = request.param  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


def uri(name: str) -> str:
    return f"file:///nonexistent/dlint-lsp-tests/{name}"


async def test_pull_is_offered_only_to_clients_that_pull(client: LanguageClient) -> None:
    provider = client.server_capabilities.diagnostic_provider  # type: ignore[attr-defined]
    assert (provider is not None) == (client.client_name == "neovim@v0.11.0")  # type: ignore[attr-defined]
    sync = client.server_capabilities.text_document_sync  # type: ignore[attr-defined]
    assert sync.change == types.TextDocumentSyncKind.Incremental and sync.open_close


async def test_open_publishes_exact_diagnostics_with_version(client: LanguageClient) -> None:
    target = uri("exact/Dockerfile")
    after = open_document(client, target, TEXT)
    params = await published(client, target, after=after)
    assert params.version == 1
    assert summary(params.diagnostics) == EXPECTED
    by_code = {d.code: d for d in params.diagnostics}
    add = by_code["DL3020"]
    assert add.source == "dlint"
    assert add.severity == types.DiagnosticSeverity.Error
    assert add.code_description is not None and add.code_description.href == "https://dlint.dev/rules/DL3020"
    assert add.message.startswith("`ADD` of local `app.py`")
    assert add.data["version"] == 1
    assert add.data["fix"] == {"title": "Replace `ADD` with `COPY`", "safety": "safe", "edits": [[3, 0, 3, 3, "COPY"]]}
    assert list(by_code["DL4000"].tags or ()) == [types.DiagnosticTag.Deprecated]
    assert by_code["DL3000"].tags is None and "fix" not in by_code["DL3000"].data


async def test_change_publishes_the_new_version(client: LanguageClient) -> None:
    target = uri("change/Dockerfile")
    await open_and_wait(client, target, TEXT)
    after = change(client, target, 2, "FROM alpine:3.20\nWORKDIR /app\n")
    params = await published(client, target, version=2, after=after)
    assert summary(params.diagnostics) == []
    after = change(client, target, 3, "ADD x /y/\n", rng(1, 0, 1, 0))  # incremental: insert a line
    params = await published(client, target, version=3, after=after)
    assert summary(params.diagnostics) == [("DL3020", 1, 4, 1, 5)]
    after = change(client, target, 4, "app", rng(2, 8, 2, 12))  # `/app` -> `app`
    params = await published(client, target, version=4, after=after)
    assert summary(params.diagnostics) == [("DL3020", 1, 4, 1, 5), ("DL3000", 2, 8, 2, 11)]


async def test_close_clears_diagnostics(client: LanguageClient) -> None:
    target = uri("close/Dockerfile")
    await open_and_wait(client, target, TEXT)
    count = len(recorder(client).published[target])
    close(client, target)
    params = await published(client, target, after=count)
    assert len(params.diagnostics) == 0 and params.version is None


@pytest.mark.parametrize(
    ("name", "language"),
    [("Containerfile", "plaintext"), ("api.Dockerfile", "plaintext"), ("Dockerfile.dev", ""), ("build.txt", "dockerfile")],
)
async def test_dockerfiles_by_name_or_language(client: LanguageClient, name: str, language: str) -> None:
    diagnostics = await open_and_wait(client, uri(f"names/{name}"), TEXT, language=language)
    assert summary(diagnostics) == EXPECTED


@pytest.mark.parametrize(("name", "language"), [("notes.txt", "plaintext"), ("setup.py", "python"), ("values.yaml", "yaml")])
async def test_other_documents_get_nothing(client: LanguageClient, name: str, language: str) -> None:
    """Documents dlint has no rules for: nothing is published, not even an empty list."""
    target = uri(f"other/{name}")
    open_document(client, target, TEXT, language=language)
    probe = uri("other/Dockerfile")  # a later document's diagnostics prove the server moved on
    await open_and_wait(client, probe, TEXT)
    close(client, target)
    await asyncio.sleep(0.05)
    assert target not in recorder(client).published


@pytest.mark.parametrize(
    ("name", "language", "text", "expected"),
    [
        ("compose.yaml", "yaml", "services:\n  web:\n    image: nginx:1.27\n    privileged: true\n", ("RT101", 3, 16, 3, 20)),
        ("conf/daemon.json", "json", '{\n  "experimental": true\n}\n', ("RT158", 1, 18, 1, 22)),
    ],
)
async def test_runtime_config_documents_get_their_rules(
    client: LanguageClient, name: str, language: str, text: str, expected: tuple[str, int, int, int, int]
) -> None:
    """Compose files and daemon.json are linted by their own rule families."""
    diagnostics = await open_and_wait(client, uri(f"runtime/{name}"), text, language=language)
    assert expected in summary(diagnostics)


async def test_quick_changes_are_coalesced_and_outdated_results_dropped(client: LanguageClient) -> None:
    """Fifteen edits sent at once: publishes only go up in version, the last one is for the
    last text, and lints for texts that moved on are not published."""
    target = uri("coalesce/Dockerfile")
    filler = "RUN echo one && echo two && echo three\n" * 600
    await open_and_wait(client, target, "FROM alpine:3.20\n" + filler)
    before = len(recorder(client).published[target])
    for version in range(2, 17):
        text = "FROM alpine:3.20\n" + "MAINTAINER x\n" * version + filler
        change(client, target, version, text)
    final = await published(client, target, version=16, after=before)
    sent = recorder(client).published[target][before:]
    versions = [p.version for p in sent]
    assert versions == sorted(set(versions)) and versions[-1] == 16
    assert len(sent) < 15, versions  # some lints were dropped or never started
    for params in sent:  # each published set matches its own version's text
        assert sum(d.code == "DL4000" for d in params.diagnostics) == params.version
    assert len(final.diagnostics) == 16
