"""Linting open documents off the event loop: config per document, coalescing, push and pull.

One lint runs per document at a time, in a worker thread, so the server keeps reading messages
while it works. Changes that arrive meanwhile are coalesced: when the lint ends, a result for a
version that is no longer current is dropped and the latest text is linted instead. There is no
timer, so an edit after a pause gets its diagnostics as fast as one lint takes.

Diagnostics are pushed (`textDocument/publishDiagnostics` with the version) to every client.
A client that pulls (`textDocument/diagnostic`) a document gets its diagnostics from the pull
from then on: the pushed set is cleared once so the editor does not show both.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from lsprotocol import types

from docklint.lsp.convert import Positions, diagnostics, diagnostics_json
from docklint.lsp.documents import Document, DocumentStore
from docklint.lsp.settings import Settings

log = logging.getLogger("docklint.lsp")

# Documents larger than this are not linted: real Dockerfiles stay under 30 kB, and a
# megabyte already takes seconds of rule time. The server logs a notice instead.
MAX_LINT_CHARS = 1_000_000
SETTINGS_WAIT = 2.0  # seconds the first lint waits for the client's settings


@dataclass
class Outcome:
    """The result of linting one version of one document."""

    version: int | None
    generation: int
    text: str
    handled: bool = True  # False: no rules of this document's kind exist
    findings: list[Any] = field(default_factory=list)
    wire: list[dict[str, Any]] = field(default_factory=list)  # the diagnostics as JSON (pushed)
    skipped: bool = False  # too large to lint
    errors: list[str] = field(default_factory=list)  # internal errors worth a log line
    model: Any = None  # the parsed document, for code actions, hover and completion
    seconds: float = 0.0  # how long the lint took (debug log)
    positions: Positions | None = None  # for building `diagnostics` when a pull asks for them
    _diagnostics: list[types.Diagnostic] | None = field(default=None, repr=False)

    @property
    def diagnostics(self) -> list[types.Diagnostic]:
        """The diagnostics as lsprotocol objects (for pulls and code actions; pushes send
        `wire`), built on first use."""
        if self._diagnostics is None:
            positions = self.positions
            self._diagnostics = diagnostics(self.findings, positions, self.version) if positions is not None else []
        return self._diagnostics

    @property
    def result_id(self) -> str:
        return f"{self.generation}:{self.version}:{hash(self.text) & 0xFFFFFFFF:08x}"


def linter_for(kind: str | None) -> Callable[..., Any] | None:
    """The engine function for a document kind, once rules of that kind exist."""
    if kind is None:
        return None
    from docklint import engine
    from docklint.registry import registry

    if not registry().entries_of_kind(kind):  # the index: importing the rules is the lint's business
        return None
    if kind == "dockerfile":
        return engine.lint_text
    found: Callable[..., Any] | None = getattr(engine, f"lint_{kind}_text", None)
    return found


class Configs:
    """Configs per (directory, settings), cached until a config file or the settings change."""

    def __init__(self, report: Callable[[str], None]) -> None:
        self._cache: dict[tuple[str | None, str], Any] = {}
        self._lock = threading.Lock()
        self._report = report

    def clear(self) -> None:
        from docklint.config_files import clear_cache

        with self._lock:
            self._cache.clear()
        clear_cache()

    def get(self, directory: str | None, settings: Settings) -> Any:
        key = (directory, settings.key)
        with self._lock:
            found = self._cache.get(key)
        if found is None:
            found = self._resolve(directory, settings)
            with self._lock:
                self._cache[key] = found
        return found

    def _resolve(self, directory: str | None, settings: Settings) -> Any:
        from pathlib import Path

        from docklint.config import DEFAULT
        from docklint.config_files import resolve_config
        from docklint.errors import DlintError

        folder = Path(directory) if directory else None
        try:
            layer = settings.layer()
        except DlintError as error:
            self._report(f"dlint: ignoring the editor settings: {error}")
            layer = None
        extra = [layer] if layer is not None else []
        try:
            return resolve_config(folder, extra=extra)
        except DlintError as error:
            self._report(f"dlint: {error}")
        try:  # lint with the editor settings alone rather than not at all
            return resolve_config(None, extra=extra)
        except DlintError:
            return DEFAULT


@dataclass(frozen=True)
class Snapshot:
    """What a lint needs, copied on the event loop so the worker sees one consistent state."""

    uri: str
    kind: str | None
    text: str
    version: int | None
    path: str
    directory: str | None
    settings: Settings
    generation: int
    encoding: str


def lint_snapshot(snapshot: Snapshot, configs: Configs) -> Outcome:
    """Lint one snapshot (in a worker thread). Never raises: a crash becomes a DF000 finding."""
    import time

    from docklint.model.source import Source

    started = time.perf_counter()
    outcome = Outcome(snapshot.version, snapshot.generation, snapshot.text)
    if not snapshot.settings.enable:
        return outcome
    if len(snapshot.text) > MAX_LINT_CHARS:
        outcome.skipped = True
        return outcome
    model = None
    try:
        lint = linter_for(snapshot.kind)
        if lint is None:
            outcome.handled = False
            return outcome
        config = configs.get(snapshot.directory, snapshot.settings)
        result = lint(snapshot.text, snapshot.path, config, context_dir=snapshot.directory)
        outcome.findings = list(result.findings)
        model = outcome.model = result.model
    except Exception as error:  # noqa: BLE001 - the server must outlive any bug in a lint
        from docklint.engine import internal_error

        log.error("linting %s failed:\n%s", snapshot.uri, traceback.format_exc())
        outcome.findings = [internal_error(snapshot.path, f"linting failed: {type(error).__name__}: {error}")]
    outcome.errors = [f.message for f in outcome.findings if f.code == "DF000"]
    source = getattr(model, "source", None)
    if not isinstance(source, Source) or source.text is not snapshot.text:
        source = Source(snapshot.text)
    outcome.positions = Positions(source, snapshot.encoding)
    outcome.wire = diagnostics_json(outcome.findings, outcome.positions, snapshot.version)
    outcome.seconds = time.perf_counter() - started
    return outcome
