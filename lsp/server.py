"""`dlint lsp`: the language server (pygls 2). Handlers stay thin; the work lives next door.

Start it with `dlint lsp` (stdio) or `dlint lsp --tcp HOST:PORT`. Only pygls and our light
modules load before the first message; the engine and the rules load in a worker thread while
the client finishes its handshake.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any, Sequence

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from docklint import __version__
from docklint.lsp import settings as settings_module
from docklint.lsp import transport
from docklint.lsp.capabilities import ClientSupport
from docklint.lsp.documents import Document, DocumentStore
from docklint.lsp.linting import Outcome
from docklint.lsp.scheduler import WORKER_PREFIX, Scheduler
from docklint.lsp.settings import Settings

log = logging.getLogger("docklint.lsp")

CONFIG_GLOBS = ("**/.dlint.yaml", "**/.dlint.yml", "**/pyproject.toml", "**/.hadolint.yaml", "**/.hadolint.yml")
CONFIG_NAMES = frozenset(glob.rsplit("/", 1)[-1] for glob in CONFIG_GLOBS)
FIX_ALL_KIND = "source.fixAll.dlint"


class DlintProtocol(LanguageServerProtocol):
    """pygls' protocol with document sync on our own store (see `documents.py` for why)."""

    _server: DlintServer

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams) -> Any:
        self._server.documents.open(params.text_document)
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Any:
        self._server.documents.change(params.text_document, params.content_changes, self._server.encoding)
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams) -> Any:
        document = self._server.documents.close(params.text_document.uri)
        if document is not None:
            self._server.scheduler.closed(document)
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None


class DlintServer(LanguageServer):
    """The server's state: open documents, settings per scope, the lint scheduler."""

    def __init__(self) -> None:
        super().__init__("dlint", __version__, protocol_cls=DlintProtocol)
        self.documents = DocumentStore()
        self.support = ClientSupport()
        self.initialized = False
        self.init_settings = settings_module.DEFAULT
        self.global_settings: Settings | None = None
        self.folder_settings: dict[str, Settings] = {}
        self.scheduler = Scheduler(self.documents, self.settings_for, lambda: self.encoding, self.push, self.notify)
        self.disk_results: dict[str, tuple[object, Outcome]] = {}  # workspace diagnostics cache
        self._shown: set[str] = set()

    @property
    def encoding(self) -> str:
        try:
            return str(self.workspace.position_encoding or types.PositionEncodingKind.Utf16)
        except RuntimeError:  # not initialized
            return str(types.PositionEncodingKind.Utf16)

    # -- output -----------------------------------------------------------------------------

    def push(self, uri: str, version: int | None, items: Sequence[types.Diagnostic | dict[str, Any]]) -> None:
        """`textDocument/publishDiagnostics`. The message is built as JSON here, not as
        lsprotocol objects for pygls to unstructure: it goes out after every edit, and the
        lints' diagnostics already are JSON (`Outcome.wire`, see `convert.diagnostic_json`)."""
        converter = self.protocol._converter
        diagnostics = [item if isinstance(item, dict) else converter.unstructure(item) for item in items]
        params: dict[str, Any] = {"uri": uri, "diagnostics": diagnostics}
        if version is not None:
            params["version"] = version
        self.protocol._send_data({"jsonrpc": "2.0", "method": types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, "params": params})

    def notify(self, level: types.MessageType, message: str) -> None:
        """A line in the client's log (and stderr); errors also pop up once per message."""
        self.window_log_message(types.LogMessageParams(type=level, message=message))
        if level == types.MessageType.Error and message not in self._shown:
            self._shown.add(message)
            self.window_show_message(types.ShowMessageParams(type=level, message=message))

    def report(self, message: str) -> None:
        log.error("%s", message)
        self.window_log_message(types.LogMessageParams(type=types.MessageType.Error, message=f"dlint: {message}"))

    def report_server_error(self, error: Exception, source: Any) -> None:
        """pygls' hook for errors outside a request: stderr and the client's log, no pop-up."""
        log.error("%s: %s", getattr(source, "__name__", source), error)
        try:
            self.window_log_message(types.LogMessageParams(type=types.MessageType.Error, message=f"dlint: {error}"))
        except Exception:  # noqa: BLE001 - reporting must never raise
            pass

    # -- settings -----------------------------------------------------------------------------

    def folder_of(self, uri: str) -> str | None:
        """The innermost workspace folder holding `uri` (multi-root workspaces)."""
        try:
            folders = list(self.workspace.folders.keys())
        except RuntimeError:
            return None
        matches = [folder for folder in folders if uri.startswith(folder.rstrip("/") + "/")]
        return max(matches, key=len) if matches else None

    def settings_for_uri(self, uri: str) -> Settings:
        folder = self.folder_of(uri)
        if folder is not None and folder in self.folder_settings:
            return self.folder_settings[folder]
        return self.global_settings or self.init_settings

    def settings_for(self, document: Document) -> Settings:
        return self.settings_for_uri(document.uri)

    def show_problems(self, settings: Settings) -> None:
        for problem in settings.problems:
            self.notify(types.MessageType.Warning, f"dlint: {problem}")

    async def fetch_settings(self) -> None:
        """Ask the client for the `dlint` section, globally and per workspace folder."""
        if not self.support.configuration:
            return
        folders = list(self.workspace.folders.keys())
        items = [types.ConfigurationItem(section=settings_module.SECTION)]
        items += [types.ConfigurationItem(scope_uri=uri, section=settings_module.SECTION) for uri in folders]
        try:
            answers = await asyncio.wait_for(
                self.workspace_configuration_async(types.ConfigurationParams(items=items)), 5
            )
        except Exception as error:  # noqa: BLE001 - a client may answer with an error
            log.warning("workspace/configuration failed: %s", error)
            return
        answers = list(answers or [])
        if answers and settings_module.section(_wrap(answers[0])) is not None:
            self.global_settings = settings_module.parse(_wrap(answers[0]))
            self.show_problems(self.global_settings)
        self.folder_settings = {}
        for uri, answer in zip(folders, answers[1:]):
            if settings_module.section(_wrap(answer)) is not None:
                self.folder_settings[uri] = settings_module.parse(_wrap(answer))

    def settings_changed(self) -> None:
        self.scheduler.invalidate()
        if self.support.diagnostic_refresh and self.scheduler.pulled:
            self.workspace_diagnostic_refresh(None)


def _wrap(answer: Any) -> Any:
    """A `workspace/configuration` answer is the section's value itself; null or an empty
    object means the client has no settings there (so `initializationOptions` stay)."""
    return {settings_module.SECTION: answer} if isinstance(answer, dict) and answer else None


def build_server() -> DlintServer:
    from docklint.lsp import handlers

    server = DlintServer()
    handlers.register(server)
    return server


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until the client says `exit` (0 after `shutdown`, else 1)."""
    parser = argparse.ArgumentParser(prog="dlint lsp", description="Run the dlint language server.")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")
    mode.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP port for one client")
    parser.add_argument(
        "--log-level", default="warning", choices=("debug", "info", "warning", "error"), help="stderr log level"
    )
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(
        stream=sys.stderr, level=args.log_level.upper(), format="dlint lsp: %(levelname)s: %(message)s"
    )
    if args.log_level != "debug":
        # pygls writes message params (document text, which may hold secrets) into its log
        # lines; its errors still reach the client, without them, via report_server_error.
        logging.getLogger("pygls").setLevel(logging.CRITICAL)
    server = build_server()
    code = 1
    try:
        if args.tcp:
            host, port = _address(parser, args.tcp)
            asyncio.run(_serve_tcp(server, host, port))
        else:
            asyncio.run(_serve_stdio(server))
        code = 0 if server.protocol._shutdown else 1
    except SystemExit as done:  # the `exit` notification
        code = int(done.code or 0)
    except KeyboardInterrupt:
        code = 1
    finally:
        server.scheduler.shutdown()
    _leave_if_stuck(code)
    return code


def _leave_if_stuck(code: int) -> None:
    """A lint still running after `exit` (a huge file, a looping rule) must not keep the
    process alive: wait a moment for the workers, then end the process without them."""
    import os
    import threading
    import time

    deadline = time.monotonic() + 1.0
    workers = [t for t in threading.enumerate() if t.name.startswith(WORKER_PREFIX)]
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
    if any(worker.is_alive() for worker in workers):
        log.warning("a lint was still running at exit; leaving without it")
        for stream in (sys.stderr, sys.__stdout__):
            try:
                if stream is not None:
                    stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)


def _address(parser: argparse.ArgumentParser, text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) < 65536:
        parser.error(f"--tcp takes HOST:PORT, not {text!r}")
    return host.strip("[]"), int(port)


async def _serve_stdio(server: DlintServer) -> None:
    stdin, stdout = transport.stdio_streams()
    server.protocol.set_writer(_StdoutWriter(stdout))
    reader = await transport.stdin_reader(stdin)
    await transport.serve(server, reader)


async def _serve_tcp(server: DlintServer, host: str, port: int) -> None:
    """Serve one client on a TCP port; the session ends the server as on stdio."""
    ended: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()

    async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if ended.done() or server.protocol.writer is not None:
            writer.close()  # one client per server
            return
        server.protocol.set_writer(writer)
        code: int | None = None
        try:
            await transport.serve(server, reader)
        except SystemExit as done:  # the `exit` notification
            code = int(done.code or 0)
        finally:
            if not ended.done():
                ended.set_result(code)

    listener = await asyncio.start_server(connected, host, port)
    bound = listener.sockets[0].getsockname()
    print(f"dlint lsp: listening on {bound[0]}:{bound[1]}", file=sys.stderr, flush=True)
    async with listener:
        code = await ended
    if code is not None:
        raise SystemExit(code)


class _StdoutWriter:
    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, data: bytes) -> None:
        self.stream.write(data)
        self.stream.flush()

    def close(self) -> None:
        try:
            self.stream.flush()
        except (OSError, ValueError):
            pass


if __name__ == "__main__":
    raise SystemExit(main())
