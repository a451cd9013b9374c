"""The LSP feature handlers: each one fetches the document and hands off to a helper module."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from docklint.lsp import settings as settings_module
from docklint.lsp.capabilities import ClientSupport

if TYPE_CHECKING:
    from docklint.lsp.server import DlintServer

log = logging.getLogger("docklint.lsp")

WATCHER_ID = "dlint-config-files"
COMPLETION_TRIGGERS = ["=", ",", "-"]


def register(server: DlintServer) -> None:
    from docklint.lsp.server import FIX_ALL_KIND

    feature = server.feature
    feature(types.INITIALIZE)(initialize)
    feature(types.INITIALIZED)(initialized)
    feature(types.SHUTDOWN)(shutdown)
    feature(types.TEXT_DOCUMENT_DID_OPEN)(did_open)
    feature(types.TEXT_DOCUMENT_DID_CHANGE)(did_change)
    feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))(did_save)
    feature(types.TEXT_DOCUMENT_DID_CLOSE)(did_close)
    feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)(did_change_configuration)
    feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)(did_change_watched_files)
    feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)(did_change_workspace_folders)
    feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND], resolve_provider=True
        ),
    )(code_action)
    feature(types.CODE_ACTION_RESOLVE)(code_action_resolve)
    feature(types.TEXT_DOCUMENT_HOVER)(hover)
    feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=COMPLETION_TRIGGERS))(
        completion
    )


# -- life cycle ---------------------------------------------------------------------------------


def initialize(ls: DlintServer, params: types.InitializeParams) -> None:
    ls.initialized = True
    ls.support = ClientSupport.read(params.capabilities)
    ls.init_settings = settings_module.parse(params.initialization_options)
    ls.show_problems(ls.init_settings)
    if ls.support.pull:  # offered only to clients that pull, so no one gets both
        options = types.DiagnosticOptions(
            identifier="dlint", inter_file_dependencies=False, workspace_diagnostics=True
        )
        ls.feature(types.TEXT_DOCUMENT_DIAGNOSTIC, options)(document_diagnostic)
        ls.feature(types.WORKSPACE_DIAGNOSTIC)(workspace_diagnostic)
    ls.scheduler.warm_up()


async def initialized(ls: DlintServer, params: types.InitializedParams) -> None:
    try:
        if ls.support.watch_registration:
            register_watchers(ls)
        before = (ls.global_settings, dict(ls.folder_settings))
        await ls.fetch_settings()
        if ls.scheduler.ready.is_set() and before != (ls.global_settings, ls.folder_settings):
            ls.settings_changed()  # the first lints did not wait long enough for them
    finally:
        ls.scheduler.ready.set()


def register_watchers(ls: DlintServer) -> None:
    from docklint.lsp.server import CONFIG_GLOBS

    watchers = [types.FileSystemWatcher(glob_pattern=glob) for glob in CONFIG_GLOBS]
    registration = types.Registration(
        id=WATCHER_ID,
        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
    )
    ls.client_register_capability(types.RegistrationParams(registrations=[registration]))


def shutdown(ls: DlintServer, params: Any) -> None:
    ls.scheduler.shutdown()


# -- documents ----------------------------------------------------------------------------------


def did_open(ls: DlintServer, params: types.DidOpenTextDocumentParams) -> None:
    document = ls.documents.get(params.text_document.uri)
    if document is not None and document.kind is not None:
        ls.scheduler.schedule(document.uri)


def did_change(ls: DlintServer, params: types.DidChangeTextDocumentParams) -> None:
    document = ls.documents.get(params.text_document.uri)
    if document is not None and document.kind is not None:
        ls.scheduler.schedule(document.uri)


def did_save(ls: DlintServer, params: types.DidSaveTextDocumentParams) -> None:
    document = ls.documents.get(params.text_document.uri)
    if document is None:
        return
    if not ls.support.watch_registration:
        ls.settings_changed()  # no file watcher: a save is when config edits get picked up
    elif document.kind is not None:
        ls.scheduler.schedule(document.uri)


def did_close(ls: DlintServer, params: types.DidCloseTextDocumentParams) -> None:
    """The protocol already dropped the document and cleared its diagnostics."""


# -- settings and config files ----------------------------------------------------------------


async def did_change_configuration(ls: DlintServer, params: types.DidChangeConfigurationParams) -> None:
    if settings_module.section(params.settings) is not None:
        ls.global_settings = settings_module.parse(params.settings)
        ls.folder_settings = {}
        ls.show_problems(ls.global_settings)
    else:
        await ls.fetch_settings()
    ls.settings_changed()


def did_change_watched_files(ls: DlintServer, params: types.DidChangeWatchedFilesParams) -> None:
    from docklint.lsp.server import CONFIG_NAMES

    if any(change.uri.rsplit("/", 1)[-1] in CONFIG_NAMES for change in params.changes):
        ls.settings_changed()


async def did_change_workspace_folders(ls: DlintServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
    await ls.fetch_settings()
    ls.settings_changed()


# -- features ------------------------------------------------------------------------------------


async def document_diagnostic(ls: DlintServer, params: types.DocumentDiagnosticParams) -> Any:
    return await ls.scheduler.pull(params.text_document.uri, params.previous_result_id)


async def workspace_diagnostic(ls: DlintServer, params: types.WorkspaceDiagnosticParams) -> Any:
    from docklint.lsp import workspace_scan

    return await workspace_scan.workspace_report(ls, params)


async def code_action(ls: DlintServer, params: types.CodeActionParams) -> Any:
    from docklint.lsp import actions

    return await actions.code_actions(ls, params)


async def code_action_resolve(ls: DlintServer, params: types.CodeAction) -> types.CodeAction:
    from docklint.lsp import actions

    return await actions.resolve(ls, params)


async def hover(ls: DlintServer, params: types.HoverParams) -> types.Hover | None:
    from docklint.lsp import hover as hover_module

    return await hover_module.hover(ls, params)


def completion(ls: DlintServer, params: types.CompletionParams) -> types.CompletionList | None:
    from docklint.lsp import completion as completion_module

    return completion_module.complete(ls, params)
