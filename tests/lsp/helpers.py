"""Helpers for the language-server tests: a recording test client and small wait functions."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

DATA = Path(__file__).resolve().parent / "data"
TIMEOUT = 15.0


def server_command() -> list[str]:
    """How the tests start the server (`dlint lsp` dispatches to the same module)."""
    return [sys.executable, "-m", "docklint", "lsp"]


@dataclass
class Recorder:
    """What the server sent besides responses: publishes (with versions), registrations."""

    published: dict[str, list[types.PublishDiagnosticsParams]] = field(default_factory=dict)
    registrations: list[types.Registration] = field(default_factory=list)

    def last(self, uri: str) -> types.PublishDiagnosticsParams | None:
        found = self.published.get(uri)
        return found[-1] if found else None


def make_client() -> LanguageClient:
    """pytest-lsp's client, recording every publishDiagnostics and registerCapability."""
    client = LanguageClient(converter_factory=_converter)
    recorder = Recorder()
    client.recorder = recorder  # type: ignore[attr-defined]
    defaults = {k: v for k, v in DEFAULT_CLIENT_FEATURES.items() if k != types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS}
    register_lsp_features(client, defaults)

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def publish(params: types.PublishDiagnosticsParams) -> None:
        client.diagnostics[params.uri] = params.diagnostics
        recorder.published.setdefault(params.uri, []).append(params)

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        recorder.registrations.extend(params.registrations)

    return client


def _converter() -> Any:
    from pygls.protocol import default_converter

    return default_converter()


def config(**env: str) -> ClientServerConfig:
    environment = {**os.environ, **env} if env else None
    return ClientServerConfig(server_command=server_command(), client_factory=make_client, server_env=environment)


def recorder(client: LanguageClient) -> Recorder:
    return client.recorder  # type: ignore[attr-defined, no-any-return]


async def wait_for(predicate: Any, timeout: float = TIMEOUT, what: str = "condition") -> Any:
    """Poll `predicate()` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


async def published(client: LanguageClient, uri: str, version: int | None = None, after: int = 0) -> types.PublishDiagnosticsParams:
    """The first publish for `uri` (past the first `after` ones) with this version."""

    def find() -> types.PublishDiagnosticsParams | None:
        for params in recorder(client).published.get(uri, [])[after:]:
            if version is None or params.version == version:
                return params
        return None

    return await wait_for(find, what=f"diagnostics for {uri} version {version}")  # type: ignore[no-any-return]


def open_document(client: LanguageClient, uri: str, text: str, version: int = 1, language: str = "dockerfile") -> int:
    """Open a document; returns how many publishes for it came before (for `published`)."""
    count = len(recorder(client).published.get(uri, []))
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id=language, version=version, text=text))
    )
    return count


async def open_and_wait(client: LanguageClient, uri: str, text: str, language: str = "dockerfile") -> list[types.Diagnostic]:
    after = open_document(client, uri, text, language=language)
    params = await published(client, uri, version=1, after=after)
    return list(params.diagnostics)


def change(client: LanguageClient, uri: str, version: int, text: str, rng: types.Range | None = None) -> int:
    count = len(recorder(client).published.get(uri, []))
    event: Any = (
        types.TextDocumentContentChangePartial(range=rng, text=text)
        if rng is not None
        else types.TextDocumentContentChangeWholeDocument(text=text)
    )
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(types.VersionedTextDocumentIdentifier(uri=uri, version=version), [event])
    )
    return count


def close(client: LanguageClient, uri: str) -> None:
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=uri)))


def summary(diagnostics: Any) -> list[tuple[str, int, int, int, int]]:
    """(code, start line, start char, end line, end char) of each diagnostic, sorted."""
    rows = [
        (str(d.code), d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character)
        for d in diagnostics
    ]
    return sorted(rows, key=lambda row: (row[1], row[2], row[0]))


def pos(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


def rng(line: int, character: int, end_line: int, end_character: int) -> types.Range:
    return types.Range(pos(line, character), pos(end_line, end_character))


def file_uri(path: Path) -> str:
    return path.absolute().as_uri()
