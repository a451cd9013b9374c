"""What the client said it supports, read once from `initialize`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lsprotocol import types


def _get(capabilities: Any, path: str, default: Any = None) -> Any:
    value = capabilities
    for part in path.split("."):
        value = getattr(value, part, None)
        if value is None:
            return default
    return value


@dataclass
class ClientSupport:
    """The client capabilities the server acts on."""

    pull: bool = False  # textDocument/diagnostic
    diagnostic_refresh: bool = False  # workspace/diagnostic/refresh
    configuration: bool = False  # workspace/configuration
    watch_registration: bool = False  # dynamic registration of didChangeWatchedFiles
    relative_patterns: bool = False
    action_literals: bool = False  # code actions as CodeAction objects (not Commands)
    action_resolve_edit: bool = False  # codeAction/resolve may fill in `edit`
    document_changes: bool = False  # versioned WorkspaceEdit.documentChanges
    hover_markdown: bool = True
    completion_markdown: bool = False

    @classmethod
    def read(cls, capabilities: types.ClientCapabilities) -> ClientSupport:
        markdown = types.MarkupKind.Markdown
        resolve = _get(capabilities, "text_document.code_action.resolve_support.properties", [])
        hover_formats = _get(capabilities, "text_document.hover.content_format", None)
        completion_formats = _get(capabilities, "text_document.completion.completion_item.documentation_format", [])
        return cls(
            pull=_get(capabilities, "text_document.diagnostic") is not None,
            diagnostic_refresh=bool(_get(capabilities, "workspace.diagnostics.refresh_support", False)),
            configuration=bool(_get(capabilities, "workspace.configuration", False)),
            watch_registration=bool(_get(capabilities, "workspace.did_change_watched_files.dynamic_registration", False)),
            relative_patterns=bool(
                _get(capabilities, "workspace.did_change_watched_files.relative_pattern_support", False)
            ),
            action_literals=_get(capabilities, "text_document.code_action.code_action_literal_support") is not None,
            action_resolve_edit="edit" in resolve,
            document_changes=bool(_get(capabilities, "workspace.workspace_edit.document_changes", False)),
            hover_markdown=hover_formats is None or markdown in hover_formats,
            completion_markdown=markdown in completion_formats,
        )
