"""Workspace diagnostics (`workspace/diagnostic`): open documents plus Dockerfiles on disk.

The walk over the workspace folders is bounded (entries visited, files reported) and skips the
folders no build reads from; results for files on disk are cached by size and modification time,
so a client that pulls again and again gets cheap `unchanged` reports.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any, Iterator

from lsprotocol import types

from docklint.lsp.documents import kind_by_name, uri_to_path
from docklint.lsp.linting import Outcome, Snapshot, lint_snapshot

if TYPE_CHECKING:
    from docklint.lsp.server import DlintServer

MAX_FILES = 200
MAX_ENTRIES = 20_000
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache"})


def find_files(folders: list[str]) -> Iterator[tuple[str, str]]:
    """(path, kind) of files named like a lintable input under the folders, bounded."""
    seen = 0
    found = 0
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            seen += len(dirs) + len(files)
            for name in sorted(files):
                kind = kind_by_name(name)
                if kind is not None:
                    found += 1
                    yield os.path.join(root, name), kind
                    if found >= MAX_FILES:
                        return
            if seen >= MAX_ENTRIES:
                return


def _read(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            data = handle.read(2_000_000)
    except OSError:
        return None
    if b"\x00" in data[:8192]:
        return None
    return data.decode("utf-8", "replace")


def _file_uri(path: str) -> str:
    from pathlib import Path

    return Path(path).absolute().as_uri()


async def workspace_report(ls: DlintServer, params: types.WorkspaceDiagnosticParams) -> types.WorkspaceDiagnosticReport:
    previous = {item.uri: item.value for item in params.previous_result_ids or []}
    items: list[Any] = []
    open_uris = set()
    for document in ls.documents:
        open_uris.add(document.uri)
        if document.kind is None:
            continue
        outcome = await ls.scheduler.current(document.uri)
        if outcome is not None and outcome.handled:
            items.append(_report(document.uri, document.version, outcome, previous))
    folders = [p for p in (uri_to_path(uri) for uri in ls.workspace.folders) if p]
    if not folders and ls.workspace.root_path:
        folders = [ls.workspace.root_path]
    loop = asyncio.get_running_loop()
    files = await loop.run_in_executor(ls.scheduler.executor, lambda: list(find_files(folders)))
    for path, kind in files:
        uri = _file_uri(path)
        if uri in open_uris:
            continue
        outcome = await _disk_outcome(ls, path, uri, kind)
        if outcome is not None and outcome.handled:
            items.append(_report(uri, None, outcome, previous))
    ls.scheduler.tidy()
    return types.WorkspaceDiagnosticReport(items=items)


async def _disk_outcome(ls: DlintServer, path: str, uri: str, kind: str) -> Outcome | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    key = (status.st_size, status.st_mtime_ns, ls.scheduler.generation)
    cached = ls.disk_results.get(path)
    if cached is not None and cached[0] == key:
        return cached[1]
    loop = asyncio.get_running_loop()
    text = await loop.run_in_executor(ls.scheduler.executor, _read, path)
    if text is None:
        return None
    snapshot = Snapshot(
        uri=uri,
        kind=kind,
        text=text,
        version=None,
        path=path,
        directory=os.path.dirname(path),
        settings=ls.settings_for_uri(uri),
        generation=ls.scheduler.generation,
        encoding=ls.encoding,
    )
    outcome = await loop.run_in_executor(ls.scheduler.executor, lint_snapshot, snapshot, ls.scheduler.configs)
    ls.disk_results[path] = (key, outcome)
    return outcome


def _report(uri: str, version: int | None, outcome: Outcome, previous: dict[str, str]) -> Any:
    if previous.get(uri) == outcome.result_id:
        return types.WorkspaceUnchangedDocumentDiagnosticReport(uri=uri, version=version, result_id=outcome.result_id)
    return types.WorkspaceFullDocumentDiagnosticReport(
        uri=uri, version=version, items=outcome.diagnostics, result_id=outcome.result_id
    )
